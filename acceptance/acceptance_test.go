// Package acceptance is the black-box contract suite for the Tokenim HTTP API.
//
// It speaks raw net/http and encoding/json, knows nothing of the client
// package, and checks a server against docs/tokenim-api.md and
// docs/contract-decisions.md alone: status, problem code and param,
// Content-Type, the Request-Id and Tokenim-Version headers, and the state of
// each object after the call.
//
// By default every test starts its own in-process sandbox (sandbox.Start) and
// runs in parallel:
//
//	go test -race ./acceptance/
//
// To hold a standalone sandbox (or any server that speaks the contract and its
// /_sandbox/ control API) to the same suite, start it and point the suite at
// it. The tests then run one after another and call POST /_sandbox/reset
// before each one:
//
//	go run ./cmd/tokenim-sandbox -addr 127.0.0.1:8080   # prints key and merchant id
//	TOKENIM_ACCEPTANCE_URL=http://127.0.0.1:8080 \
//	TOKENIM_ACCEPTANCE_API_KEY=sk_test_... \
//	TOKENIM_ACCEPTANCE_MERCHANT_ID=mch_... \
//	go test -count=1 ./acceptance/
//
// Everything other than the first request goes over HTTP: the clock, faults,
// maintenance, extra merchants and the rate limit are driven through
// /_sandbox/, so the suite stays valid against any implementation.
package acceptance

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go/sandbox"
)

const apiVersion = "2026-11-01"

var (
	requestIDPattern = regexp.MustCompile(`^req_[a-z0-9]{24}$`)
	receiptPattern   = regexp.MustCompile(`^RCPT-\d{8}-\d{6}$`)
)

// externalMu serialises tests against a shared external server, so that a
// test calling t.Parallel by mistake still cannot see another's state.
var externalMu sync.Mutex

// env is one test's view of a server: where it is, who the test is, and the
// test that failures are reported to.
type env struct {
	t          *testing.T
	url        string
	apiKey     string
	merchantID string
	secret     string
	hc         *http.Client
	// noKeepAlive is used where the server drops connections, so that the
	// transport never silently replays a keyed POST on a fresh connection.
	noKeepAlive *http.Client
}

// start gives t a clean server. In-process it starts a sandbox of its own and
// marks t parallel; against TOKENIM_ACCEPTANCE_URL it resets the shared server
// and runs t serially.
func start(t *testing.T) *env {
	t.Helper()
	e := &env{t: t}
	if u := os.Getenv("TOKENIM_ACCEPTANCE_URL"); u != "" {
		externalMu.Lock()
		t.Cleanup(externalMu.Unlock)
		e.url = strings.TrimRight(u, "/")
		e.apiKey = os.Getenv("TOKENIM_ACCEPTANCE_API_KEY")
		e.merchantID = os.Getenv("TOKENIM_ACCEPTANCE_MERCHANT_ID")
		require.NotEmpty(t, e.apiKey, "TOKENIM_ACCEPTANCE_API_KEY must be set with TOKENIM_ACCEPTANCE_URL")
		require.NotEmpty(t, e.merchantID, "TOKENIM_ACCEPTANCE_MERCHANT_ID must be set with TOKENIM_ACCEPTANCE_URL")
	} else {
		t.Parallel()
		srv := sandbox.Start(t)
		e.url, e.apiKey, e.merchantID, e.secret = srv.URL, srv.APIKey(), srv.MerchantID, srv.WebhookSecret()
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	e.hc = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	noKA := http.DefaultTransport.(*http.Transport).Clone()
	noKA.DisableKeepAlives = true
	e.noKeepAlive = &http.Client{Transport: noKA, Timeout: 60 * time.Second}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		noKA.CloseIdleConnections()
	})
	if os.Getenv("TOKENIM_ACCEPTANCE_URL") != "" {
		e.control("POST", "/_sandbox/reset", nil)
	}
	return e
}

// at returns the same server bound to a subtest, for require/assert.
func (e *env) at(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// reply is one HTTP exchange.
type reply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// opt adjusts a request before it is sent.
type opt func(*http.Request)

// as authenticates as another key and merchant.
func as(key, merchantID string) opt {
	return func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+key)
		r.Header.Set("Tokenim-Merchant-Id", merchantID)
	}
}

// asMerchant authenticates as m.
func asMerchant(m merchant) opt { return as(m.apiKey, m.id) }

// withHeader sets a header; an empty value removes it.
func withHeader(k, v string) opt {
	return func(r *http.Request) {
		if v == "" {
			r.Header.Del(k)
			return
		}
		r.Header.Set(k, v)
	}
}

// rawHeader sets a header without canonicalising or validating its value.
func rawHeader(k, v string) opt {
	return func(r *http.Request) { r.Header[k] = []string{v} }
}

// noAuth removes both authentication headers.
func noAuth() opt {
	return func(r *http.Request) {
		r.Header.Del("Authorization")
		r.Header.Del("Tokenim-Merchant-Id")
	}
}

// key sets Idempotency-Key.
func key(k string) opt { return withHeader("Idempotency-Key", k) }

// newRequest builds a request with the test's credentials. body may be nil,
// a string or []byte (sent as is) or any value (sent as JSON).
func (e *env) newRequest(method, path string, body any, opts ...opt) *http.Request {
	e.t.Helper()
	var rdr io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rdr = strings.NewReader(b)
	case []byte:
		rdr = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(e.t, err)
		rdr = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.url+path, rdr)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.apiKey)
	req.Header.Set("Tokenim-Merchant-Id", e.merchantID)
	req.Header.Set("Tokenim-Version", apiVersion)
	for _, o := range opts {
		o(req)
	}
	return req
}

// send performs req with hc and decodes the answer; err is a transport error.
func (e *env) send(hc *http.Client, req *http.Request) (*reply, error) {
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	r := &reply{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var m map[string]any
		if dec.Decode(&m) == nil {
			r.body = m
		}
	}
	return r, nil
}

// try sends a request and returns the transport error instead of failing.
func (e *env) try(method, path string, body any, opts ...opt) (*reply, error) {
	e.t.Helper()
	return e.send(e.noKeepAlive, e.newRequest(method, path, body, opts...))
}

// do sends a request; a transport error fails the test.
func (e *env) do(method, path string, body any, opts ...opt) *reply {
	e.t.Helper()
	r, err := e.send(e.hc, e.newRequest(method, path, body, opts...))
	require.NoError(e.t, err, "%s %s", method, path)
	return r
}

// get and post are the common cases of do.
func (e *env) get(path string, opts ...opt) *reply {
	e.t.Helper()
	return e.do("GET", path, nil, opts...)
}
func (e *env) post(path string, body any, opts ...opt) *reply {
	e.t.Helper()
	return e.do("POST", path, body, opts...)
}

// checkCommon asserts the headers every /v1/ response carries.
func (e *env) checkCommon(r *reply) {
	e.t.Helper()
	assert.Regexp(e.t, requestIDPattern, r.header.Get("Request-Id"), "Request-Id header")
	assert.Equal(e.t, apiVersion, r.header.Get("Tokenim-Version"), "Tokenim-Version header")
}

// ok asserts a 200 JSON success and returns its body.
func (e *env) ok(r *reply) map[string]any {
	e.t.Helper()
	require.Equal(e.t, http.StatusOK, r.status, "want 200, body: %s", r.raw)
	assert.True(e.t, strings.HasPrefix(r.header.Get("Content-Type"), "application/json"),
		"Content-Type %q", r.header.Get("Content-Type"))
	e.checkCommon(r)
	require.NotNil(e.t, r.body, "success body is a JSON object: %s", r.raw)
	return r.body
}

// fail asserts a problem+json error with status and code (any code when
// code is empty) and returns its body.
func (e *env) fail(r *reply, status int, code string) map[string]any {
	e.t.Helper()
	require.Equal(e.t, status, r.status, "want %d %s, body: %s", status, code, r.raw)
	assert.True(e.t, strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json"),
		"Content-Type %q", r.header.Get("Content-Type"))
	e.checkCommon(r)
	require.NotNil(e.t, r.body, "problem body is a JSON object: %s", r.raw)
	got := str(r.body, "code")
	if code != "" {
		assert.Equal(e.t, code, got, "problem code; body: %s", r.raw)
	}
	assert.Equal(e.t, int64(status), num(r.body, "status"), "problem status member")
	assert.Equal(e.t, "https://docs.tokenim.com/errors/"+got, str(r.body, "type"), "problem type")
	assert.NotEmpty(e.t, str(r.body, "title"), "problem title")
	assert.NotEmpty(e.t, str(r.body, "detail"), "problem detail")
	assert.Equal(e.t, r.header.Get("Request-Id"), str(r.body, "request_id"), "problem request_id repeats the header")
	return r.body
}

// failParam is fail plus the param member; param "" means null or absent.
func (e *env) failParam(r *reply, status int, code, param string) map[string]any {
	e.t.Helper()
	b := e.fail(r, status, code)
	if param == "" {
		assert.Nil(e.t, b["param"], "param should be null; body: %s", r.raw)
	} else {
		assert.Equal(e.t, param, str(b, "param"), "param; body: %s", r.raw)
	}
	return b
}

// lookup follows a dotted path through nested objects.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// str is the string at path, or "" when absent or not a string.
func str(m map[string]any, path string) string {
	v, _ := lookup(m, path)
	s, _ := v.(string)
	return s
}

// num is the integer at path, or math.MinInt64 when absent or not an integer,
// so that a missing field never equals an expected value.
func num(m map[string]any, path string) int64 {
	v, _ := lookup(m, path)
	n, ok := v.(json.Number)
	if !ok {
		return math.MinInt64
	}
	i, err := n.Int64()
	if err != nil {
		return math.MinInt64
	}
	return i
}

// obj is the object at path, or nil.
func obj(m map[string]any, path string) map[string]any {
	v, _ := lookup(m, path)
	o, _ := v.(map[string]any)
	return o
}

// isNull reports whether path is present and JSON null.
func isNull(m map[string]any, path string) bool {
	v, ok := lookup(m, path)
	return ok && v == nil
}

// assertNull asserts that each field is present and null.
func assertNull(t *testing.T, m map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		assert.True(t, isNull(m, f), "%s should be present and null, got %v", f, m[f])
	}
}

// assertTime asserts an RFC 3339 UTC time at path and returns it.
func assertTime(t *testing.T, m map[string]any, path string) time.Time {
	t.Helper()
	s := str(m, path)
	tm, err := time.Parse(time.RFC3339, s)
	if assert.NoError(t, err, "%s is RFC 3339: %q", path, s) {
		assert.True(t, strings.HasSuffix(s, "Z"), "%s is UTC: %q", path, s)
	}
	return tm
}

// ids lists the id of each object.
func ids(objs []map[string]any) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, str(o, "id"))
	}
	return out
}

// unique returns a fresh reference for merchant_order_id and idempotency keys.
func unique(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// control calls the /_sandbox/ control API and requires 200.
func (e *env) control(method, path string, body any) map[string]any {
	e.t.Helper()
	r := e.do(method, path, body, noAuth())
	require.Equal(e.t, http.StatusOK, r.status, "%s %s: %s", method, path, r.raw)
	return r.body
}

// advance moves the sandbox clock forward.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	e.control("POST", "/_sandbox/clock/advance", map[string]any{"seconds": int64(d / time.Second)})
}

// freeze stops the sandbox clock so that only advance moves it.
func (e *env) freeze() {
	e.t.Helper()
	e.control("POST", "/_sandbox/clock/freeze", nil)
}

// now is the sandbox clock.
func (e *env) now() time.Time {
	e.t.Helper()
	b := e.control("GET", "/_sandbox/clock", nil)
	tm, err := time.Parse(time.RFC3339Nano, str(b, "now"))
	require.NoError(e.t, err, "GET /_sandbox/clock answers now: %v", b)
	return tm
}

// setFaults installs a fault plan; clearFaults removes it.
func (e *env) setFaults(plan map[string]any) {
	e.t.Helper()
	e.control("POST", "/_sandbox/faults", plan)
}

func (e *env) clearFaults() {
	e.t.Helper()
	e.control("DELETE", "/_sandbox/faults", nil)
}

// maintenance switches maintenance mode.
func (e *env) maintenance(on bool) {
	e.t.Helper()
	e.control("POST", "/_sandbox/maintenance", map[string]any{"enabled": on})
}

// merchant is an extra merchant created through the control API.
type merchant struct{ id, apiKey string }

// newMerchant creates a second merchant.
func (e *env) newMerchant() merchant {
	e.t.Helper()
	b := e.control("POST", "/_sandbox/merchants", map[string]any{"restricted": false})
	m := merchant{id: str(b, "id"), apiKey: str(b, "api_key")}
	require.True(e.t, strings.HasPrefix(m.id, "mch_"), "merchant id %q", m.id)
	require.True(e.t, strings.HasPrefix(m.apiKey, "sk_test_"), "merchant key is a test key")
	return m
}

// restrict sets whether merchant id is restricted.
func (e *env) restrict(id string, restricted bool) {
	e.t.Helper()
	e.control("POST", "/_sandbox/merchants/"+id+"/restrict", map[string]any{"restricted": restricted})
}

// list GETs a list endpoint and returns its data and has_more.
func (e *env) list(path string, opts ...opt) ([]map[string]any, bool) {
	e.t.Helper()
	b := e.ok(e.get(path, opts...))
	assert.Equal(e.t, "list", str(b, "object"))
	raw, ok := b["data"].([]any)
	require.True(e.t, ok, "list data is an array: %v", b)
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		o, ok := x.(map[string]any)
		require.True(e.t, ok, "list items are objects")
		out = append(out, o)
	}
	hasMore, ok := b["has_more"].(bool)
	assert.True(e.t, ok, "has_more is a boolean")
	return out, hasMore
}

// orderBody is a valid order request; extra fields override.
func orderBody(amount int64, currency string, extra map[string]any) map[string]any {
	b := map[string]any{
		"merchant_order_id": unique("mo"),
		"amount":            amount,
		"currency":          currency,
	}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

// order creates a CNY order of amount and returns it.
func (e *env) order(amount int64) map[string]any {
	e.t.Helper()
	return e.ok(e.post("/v1/orders", orderBody(amount, "CNY", nil)))
}

// orderWith creates an order with extra fields.
func (e *env) orderWith(amount int64, extra map[string]any) map[string]any {
	e.t.Helper()
	return e.ok(e.post("/v1/orders", orderBody(amount, "CNY", extra)))
}

// getOrder, getPayment and getRefund read an object back.
func (e *env) getOrder(id string) map[string]any {
	e.t.Helper()
	return e.ok(e.get("/v1/orders/" + id))
}
func (e *env) getPayment(id string) map[string]any {
	e.t.Helper()
	return e.ok(e.get("/v1/payments/" + id))
}
func (e *env) getRefund(id string) map[string]any {
	e.t.Helper()
	return e.ok(e.get("/v1/refunds/" + id))
}

// expYear is a card expiry year comfortably in the future.
var expYear = time.Now().UTC().Year() + 5

const testCVC = "9731"

// card is a card method with a future expiry.
func card(number string) map[string]any {
	return cardExp(number, 12, expYear)
}

// cardExp is a card method with the given expiry.
func cardExp(number string, month, year int) map[string]any {
	return map[string]any{"type": "card", "card": map[string]any{
		"number": number, "exp_month": month, "exp_year": year, "cvc": testCVC,
	}}
}

// wallet is a wallet method.
func wallet(provider string) map[string]any {
	return map[string]any{"type": "wallet", "wallet": map[string]any{"provider": provider}}
}

// bank is a bank transfer method.
func bank() map[string]any { return map[string]any{"type": "bank_transfer"} }

// pay sends POST /v1/payments for an order.
func (e *env) pay(orderID string, method map[string]any, opts ...opt) *reply {
	e.t.Helper()
	return e.post("/v1/payments", map[string]any{"order_id": orderID, "method": method}, opts...)
}

// paidOrder creates an order of amount and pays it with the 4242 card.
func (e *env) paidOrder(amount int64) (order, payment map[string]any) {
	e.t.Helper()
	order = e.order(amount)
	payment = e.ok(e.pay(str(order, "id"), card("4242424242424242")))
	require.Equal(e.t, "succeeded", str(payment, "status"))
	return order, payment
}

// refund sends POST /v1/refunds.
func (e *env) refund(paymentID string, extra map[string]any, opts ...opt) *reply {
	e.t.Helper()
	b := map[string]any{"payment_id": paymentID}
	for k, v := range extra {
		b[k] = v
	}
	return e.post("/v1/refunds", b, opts...)
}

// events lists up to 100 events of a type (all types when typ is empty).
func (e *env) events(typ string) []map[string]any {
	e.t.Helper()
	path := "/v1/events?limit=100"
	if typ != "" {
		path += "&type=" + typ
	}
	data, _ := e.list(path)
	return data
}

// eventsFor lists the events of typ whose data.object has id.
func (e *env) eventsFor(typ, objectID string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for _, ev := range e.events(typ) {
		if str(ev, "data.object.id") == objectID {
			out = append(out, ev)
		}
	}
	return out
}

// requireEvent asserts exactly one event of typ about objectID and returns it.
func (e *env) requireEvent(typ, objectID string) map[string]any {
	e.t.Helper()
	evs := e.eventsFor(typ, objectID)
	require.Len(e.t, evs, 1, "exactly one %s event for %s", typ, objectID)
	ev := evs[0]
	assert.True(e.t, strings.HasPrefix(str(ev, "id"), "evt_"))
	assert.Equal(e.t, "event", str(ev, "object"))
	assert.Equal(e.t, typ, str(ev, "type"))
	assert.Equal(e.t, apiVersion, str(ev, "api_version"))
	assertTime(e.t, ev, "created_at")
	return ev
}

// luhn appends the Luhn check digit to digits.
func luhn(digits string) string {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return digits + strconv.Itoa((10-sum%10)%10)
}

// fmtTime formats a time the way the contract does.
func fmtTime(tm time.Time) string { return tm.UTC().Format(time.RFC3339) }
