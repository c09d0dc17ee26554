package sandbox

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// page GETs a dashboard path and returns status and body.
func page(t *testing.T, srv *Server, path string, headers ...string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := doWithJar(srv, req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b), resp.Header
}

// jars keep each test server's dashboard session cookie, as a browser does:
// a CSRF token belongs to the session it was shown to.
var jars sync.Map // *Server → *cookiejar.Jar

// doWithJar sends req with the server's cookies, keeps those it sets, and
// does not follow redirects.
func doWithJar(srv *Server, req *http.Request) (*http.Response, error) {
	j, _ := cookiejar.New(nil)
	v, _ := jars.LoadOrStore(srv, j)
	jar := v.(*cookiejar.Jar)
	for _, c := range jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := srv.Client().Transport.RoundTrip(req)
	if err == nil {
		jar.SetCookies(req.URL, resp.Cookies())
	}
	return resp, err
}

var csrfField = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// post submits a dashboard form (with the page's CSRF token unless the
// form sets csrf) and returns the status and the redirect target.
func post(t *testing.T, srv *Server, path string, form url.Values, headers ...string) (int, string) {
	t.Helper()
	if !form.Has("csrf") {
		_, body, _ := page(t, srv, "/_sandbox/")
		m := csrfField.FindStringSubmatch(body)
		require.Len(t, m, 2, "no CSRF token on the overview")
		form.Set("csrf", m[1])
	}
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := doWithJar(srv, req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestDashboard_everyPageRendersAndShowsNoSecret(t *testing.T) {
	t.Parallel()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer hook.Close()
	srv := Start(t, WithFrozenClock(t0), WithWebhookEndpoint(hook.URL))
	ids, err := srv.trigger(srv.MerchantID, srv.APIKey(), "refund.succeeded")
	require.NoError(t, err)
	require.Len(t, ids, 3) // order, payment, refund
	other := srv.AddMerchant()
	evs := api(t, srv, "GET", "/v1/events?limit=1", nil)
	evID := evs.body["data"].([]any)[0].(map[string]any)["id"].(string)

	paths := []string{"/_sandbox/", "/_sandbox", "/_sandbox/ui/orders", "/_sandbox/ui/payments", "/_sandbox/ui/refunds",
		"/_sandbox/ui/events", "/_sandbox/ui/deliveries", "/_sandbox/ui/requests?all=1", "/_sandbox/ui/merchants",
		"/_sandbox/ui/orders/" + ids[0], "/_sandbox/ui/payments/" + ids[1], "/_sandbox/ui/refunds/" + ids[2],
		"/_sandbox/ui/events/" + evID, "/_sandbox/ui/orders?merchant=" + other.ID,
		"/_sandbox/ui/keys", "/_sandbox/ui/request_logs", "/_sandbox/ui/disputes", "/_sandbox/ui/balance",
		"/_sandbox/ui/settlements"}
	for _, p := range paths {
		status, body, h := page(t, srv, p)
		assert.Equal(t, 200, status, p)
		assert.Equal(t, "text/html; charset=utf-8", h.Get("Content-Type"), p)
		assert.Equal(t, "DENY", h.Get("X-Frame-Options"), p)
		assert.Contains(t, h.Get("Content-Security-Policy"), "frame-ancestors 'none'", p)
		for name, secret := range map[string]string{
			"API key": srv.APIKey(), "other merchant's key": other.APIKey(), "webhook secret": srv.WebhookSecret(),
			"card number": "4242424242424242", "webhook secret payload": strings.TrimPrefix(srv.WebhookSecret(), "whsec_"),
		} {
			assert.NotContains(t, body, secret, "%s shows the %s", p, name)
		}
	}
	_, body, _ := page(t, srv, "/_sandbox/ui/payments/"+ids[1])
	assert.Contains(t, body, "visa •••• 4242", "the card by its last four")
	_, body, _ = page(t, srv, "/_sandbox/ui/merchants")
	assert.Contains(t, body, maskKey(srv.APIKey()))
}

func TestDashboard_unknownObjectsAndPagesAre404(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	for _, p := range []string{"/_sandbox/ui/orders/ord_nope", "/_sandbox/ui/payments/pay_nope", "/_sandbox/ui/refunds/re_x",
		"/_sandbox/ui/events/evt_x", "/_sandbox/ui/nope", "/_sandbox/ui/orders?merchant=mch_nope", "/_sandbox/ui/assets/nope.css"} {
		status, body, _ := page(t, srv, p)
		assert.Equal(t, 404, status, p)
		assert.Contains(t, body, `id="error"`, p)
	}
	// The JSON control API is untouched beside the dashboard.
	r := api(t, srv, "GET", "/_sandbox/clock", nil)
	assert.Equal(t, 200, r.status)
	assert.Contains(t, r.body, "now")
}

func TestDashboard_refusesCrossSiteAndForgedForms(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	status, _, _ := page(t, srv, "/_sandbox/", "Sec-Fetch-Site", "cross-site")
	assert.Equal(t, 403, status, "a cross-site page load")
	status, _ = post(t, srv, "/_sandbox/ui/maintenance", url.Values{"enabled": {"on"}}, "Origin", "http://evil.example")
	assert.Equal(t, 403, status, "a form posted from another origin")
	status, _ = post(t, srv, "/_sandbox/ui/maintenance", url.Values{"enabled": {"on"}, "csrf": {"00"}})
	assert.Equal(t, 403, status, "a wrong CSRF token")
	status, _ = post(t, srv, "/_sandbox/ui/maintenance", url.Values{"enabled": {"on"}, "csrf": {""}})
	assert.Equal(t, 403, status, "no CSRF token")
	r := api(t, srv, "GET", "/v1/orders", nil)
	assert.Equal(t, 200, r.status, "no refused form changed anything")

	status, loc := post(t, srv, "/_sandbox/ui/maintenance", url.Values{"enabled": {"on"}, "return": {"/_sandbox/ui/orders"}})
	assert.Equal(t, http.StatusSeeOther, status)
	assert.True(t, strings.HasPrefix(loc, "/_sandbox/ui/orders?flash="), loc)
	assert.Equal(t, 503, api(t, srv, "GET", "/v1/orders", nil).status, "maintenance on")
	// A return address off the dashboard is not followed.
	for _, back := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		_, loc = post(t, srv, "/_sandbox/ui/maintenance", url.Values{"enabled": {"off"}, "return": {back}})
		assert.True(t, strings.HasPrefix(loc, "/_sandbox/?flash="), "%s → %s", back, loc)
	}
	assert.Equal(t, 200, api(t, srv, "GET", "/v1/orders", nil).status, "maintenance off")
}

// Through a listener, a Host that is not the sandbox's is refused before
// the dashboard runs (DNS rebinding, guard.go).
func TestDashboard_refusesForeignHost(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	req, err := http.NewRequest("GET", srv.URL+"/_sandbox/", nil)
	require.NoError(t, err)
	req.Host = "attacker.example"
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 403, resp.StatusCode)
}

func TestDashboard_advanceSettlesARefund(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	oid := newOrder(t, srv, 2500)
	p := api(t, srv, "POST", "/v1/payments", cardPayment(oid, "4242424242424242"))
	require.Equal(t, 200, p.status)
	rf := api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": p.str("id")})
	require.Equal(t, "pending", rf.str("status"))

	status, loc := post(t, srv, "/_sandbox/ui/clock", url.Values{"by": {"5m"}})
	assert.Equal(t, http.StatusSeeOther, status)
	assert.Contains(t, loc, "flash=")
	assert.Equal(t, t0.Add(5*time.Minute), srv.Clock().Now())
	assert.Equal(t, "succeeded", api(t, srv, "GET", "/v1/refunds/"+rf.str("id"), nil).str("status"))

	status, _ = post(t, srv, "/_sandbox/ui/clock", url.Values{"custom": {"1d"}})
	assert.Equal(t, http.StatusSeeOther, status)
	assert.Equal(t, t0.Add(5*time.Minute+24*time.Hour), srv.Clock().Now())
	for _, bad := range []string{"", "-5m", "soon", "0s", "4000d"} {
		status, _ = post(t, srv, "/_sandbox/ui/clock", url.Values{"custom": {bad}})
		assert.Equal(t, 400, status, "advance by %q", bad)
	}
	post(t, srv, "/_sandbox/ui/clock", url.Values{"action": {"resume"}})
	assert.False(t, srv.Clock().Frozen())
}

func TestDashboard_parseAdvance(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"5m": 5 * time.Minute, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour, "90": 90 * time.Second, " 1.5d ": 36 * time.Hour,
	} {
		got, msg := parseAdvance(in)
		assert.Empty(t, msg, in)
		assert.Equal(t, want, got, in)
	}
}

func TestDashboard_faultPlanSetAndClear(t *testing.T) {
	t.Parallel()
	srv := Start(t)
	plan := `{"seed":1,"rules":[{"path":"/v1/orders","kind":"error_before_commit","status":503,"rate":1}]}`
	status, _ := post(t, srv, "/_sandbox/ui/faults", url.Values{"plan": {plan}})
	assert.Equal(t, http.StatusSeeOther, status)
	assert.Equal(t, 503, api(t, srv, "GET", "/v1/orders", nil).status)
	_, body, _ := page(t, srv, "/_sandbox/")
	assert.Contains(t, body, "error_before_commit", "the overview shows the active plan")

	status, _ = post(t, srv, "/_sandbox/ui/faults", url.Values{"plan": {`{"rules":[{"kind":"nope","rate":1}]}`}})
	assert.Equal(t, 400, status, "a bad plan is refused")
	status, _ = post(t, srv, "/_sandbox/ui/faults", url.Values{"action": {"clear"}})
	assert.Equal(t, http.StatusSeeOther, status)
	assert.Equal(t, 200, api(t, srv, "GET", "/v1/orders", nil).status)
}

func TestDashboard_triggerEveryEventType(t *testing.T) {
	t.Parallel()
	for _, typ := range triggerTypes() {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			srv := Start(t, WithFrozenClock(t0))
			status, loc := post(t, srv, "/_sandbox/ui/trigger", url.Values{"type": {typ}})
			require.Equal(t, http.StatusSeeOther, status, loc)
			r := api(t, srv, "GET", "/v1/events?type="+typ, nil)
			assert.Len(t, r.body["data"], 1, "one %s event", typ)
		})
	}
	srv := Start(t)
	status, _ := post(t, srv, "/_sandbox/ui/trigger", url.Values{"type": {"payment.sucess"}})
	assert.Equal(t, 400, status)
	require.NoError(t, srv.RestrictMerchant(srv.MerchantID, true))
	status, _ = post(t, srv, "/_sandbox/ui/trigger", url.Values{"type": {"order.paid"}})
	assert.Equal(t, 400, status, "a restricted merchant cannot create the order")
}

func TestSandbox_ResendDelivery(t *testing.T) {
	t.Parallel()
	var healthy atomic.Bool
	var hits atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			w.WriteHeader(500)
		}
	}))
	defer hook.Close()
	srv := Start(t, WithFrozenClock(t0), WithWebhookEndpoint(hook.URL))
	_, err := srv.trigger(srv.MerchantID, srv.APIKey(), "order.canceled")
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, srv.FlushDeliveries(ctx))
	ds := srv.Deliveries()
	require.Len(t, ds, 1)
	require.False(t, ds[0].Succeeded)

	healthy.Store(true)
	status, loc := post(t, srv, "/_sandbox/ui/deliveries/resend", url.Values{"event": {ds[0].EventID}, "endpoint": {ds[0].EndpointID}})
	require.Equal(t, http.StatusSeeOther, status)
	assert.Contains(t, loc, "answered+200")
	ds = srv.Deliveries()
	require.Len(t, ds, 2)
	assert.Equal(t, 1, ds[1].Attempt, "a resend is a new delivery: its first attempt")
	assert.NotEqual(t, ds[0].DeliveryID, ds[1].DeliveryID)
	assert.Contains(t, loc, ds[1].DeliveryID)
	assert.True(t, ds[1].Manual)
	assert.True(t, ds[1].Succeeded)
	assert.Equal(t, int32(2), hits.Load())

	// The first delivery's retry still runs on its schedule (5 s after the first).
	srv.Advance(5 * time.Second)
	require.NoError(t, srv.FlushDeliveries(ctx))
	assert.Len(t, srv.Deliveries(), 3)

	_, err = srv.ResendDelivery(ctx, "evt_nope", ds[0].EndpointID)
	assert.Error(t, err)
	_, err = srv.ResendDelivery(ctx, ds[0].EventID, "we_nope")
	assert.Error(t, err)
	status, _ = post(t, srv, "/_sandbox/ui/deliveries/resend", url.Values{"event": {"evt_nope"}, "endpoint": {"we_nope"}})
	assert.Equal(t, 400, status)

	_, body, _ := page(t, srv, "/_sandbox/ui/events/"+ds[0].EventID)
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature: v1,", "manual", ">500<", ">200<"} {
		assert.Contains(t, body, h)
	}
	// The event shows each delivery with its attempts and answers: the first
	// (a 500, then its retry's 200) and the resend (one 200), each resendable.
	for _, id := range []string{ds[0].DeliveryID, ds[1].DeliveryID} {
		assert.Contains(t, body, `data-delivery="`+id+`"`)
	}
	assert.Contains(t, body, "2 attempts, last answer 200")
	assert.Contains(t, body, "1 attempt, last answer 200")
	assert.Equal(t, 2, strings.Count(body, `<button class="resend">`), "a Resend button per delivery")
	// The dashboard's resend made the same delivery the API lists.
	api := api(t, srv, "GET", "/v1/webhook_endpoints/"+ds[0].EndpointID+"/deliveries/"+ds[1].DeliveryID, nil)
	require.Equal(t, 200, api.status)
	assert.Equal(t, "succeeded", api.str("status"))
}

func TestDashboard_paymentLinksItsEventsAndRequestLogs(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	other := newOrder(t, srv, 300)
	oid := newOrder(t, srv, 500)
	created := api(t, srv, "POST", "/v1/payments", cardPayment(oid, "4242424242424242"))
	require.Equal(t, 200, created.status)
	payID := created.str("id")
	require.Equal(t, 200, api(t, srv, "GET", "/v1/payments/"+payID, nil).status)
	require.Equal(t, 200, api(t, srv, "GET", "/v1/payments/"+payID+"/receipt", nil).status)
	require.Equal(t, 200, api(t, srv, "POST", "/v1/payments", cardPayment(other, "4242424242424242")).status)

	_, body, _ := page(t, srv, "/_sandbox/ui/payments/"+payID)
	reqs := between(body, `id="payment-requests"`, "</table>")
	assert.Contains(t, reqs, created.header.Get("Request-Id"), "the call that made the payment")
	assert.Contains(t, reqs, "/v1/payments/"+payID+"/receipt")
	assert.Equal(t, 3, strings.Count(reqs, "<tr>")-1, "its three calls, not the other payment's")
	for _, typ := range []string{"payment.succeeded"} {
		assert.Contains(t, body, typ, "its events")
	}
	assert.Regexp(t, `href="/_sandbox/ui/events/evt_[0-9a-z]+"`, body, "each event links to its page")
	link := `href="/_sandbox/ui/request_logs?payment=` + payID + `"`
	require.Contains(t, body, link)

	_, logs, _ := page(t, srv, "/_sandbox/ui/request_logs?payment="+payID)
	rows := between(logs, `id="request-logs"`, "</table>")
	assert.Contains(t, rows, created.header.Get("Request-Id"))
	assert.Equal(t, 3, strings.Count(rows, "<tr>")-1, "the filtered request logs show the same three calls")
}

// between is the part of s from the first from to the next to after it.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

func TestDashboard_listsPaginate(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	var last string
	for i := 0; i < dashPerPage+3; i++ {
		last = newOrder(t, srv, int64(100+i))
	}
	_, body, _ := page(t, srv, "/_sandbox/ui/orders")
	assert.Contains(t, body, "1–25 of 28")
	assert.Contains(t, body, last, "newest first")
	assert.Contains(t, body, `href="/_sandbox/ui/orders/`+last+`"`, "ids link to their objects")
	assert.Contains(t, body, `href="/_sandbox/ui/orders?page=2"`)
	_, body, _ = page(t, srv, "/_sandbox/ui/orders?page=2")
	assert.Contains(t, body, "26–28 of 28")
	assert.Equal(t, 3, strings.Count(body, `<td><a class="id" href="/_sandbox/ui/orders/`))
	_, body, _ = page(t, srv, "/_sandbox/ui/orders?status=paid")
	assert.Contains(t, body, "No orders yet.", "the filter keeps none")
	_, body, _ = page(t, srv, "/_sandbox/ui/requests?method=POST")
	assert.Contains(t, body, "1–25 of "+strconv.Itoa(dashPerPage+3))
}

// The custom advance is typed by a person: no input panics, and whatever
// it accepts lies within (0, ten years].
func FuzzParseAdvance(f *testing.F) {
	for _, s := range []string{"5m", "1h30m", "2d", "90", "-1", "1e400", "NaNd", "3650.0001d", "0.0000000001", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		d, msg := parseAdvance(raw)
		if msg == "" && (d <= 0 || d > maxAdvance) {
			t.Fatalf("parseAdvance(%q) = %v, outside (0, %v]", raw, d, maxAdvance)
		}
	})
}

func TestDashboard_openADisputeAndSeeItsDueIn(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	oid := newOrder(t, srv, 3000)
	p := api(t, srv, "POST", "/v1/payments", cardPayment(oid, "4242424242424242"))
	require.Equal(t, 200, p.status)
	_, body, _ := page(t, srv, "/_sandbox/ui/payments/"+p.str("id"))
	assert.Contains(t, body, `id="open-dispute"`)

	status, loc := post(t, srv, "/_sandbox/ui/disputes/open", url.Values{"payment": {p.str("id")}, "reason": {"product_not_received"}})
	require.Equal(t, http.StatusSeeOther, status)
	assert.Contains(t, loc, "Opened+dispute+dp_")
	l := api(t, srv, "GET", "/v1/disputes", nil)
	require.Len(t, l.body["data"], 1)
	dp := l.body["data"].([]any)[0].(map[string]any)
	assert.Equal(t, "needs_response", dp["status"])

	_, body, _ = page(t, srv, "/_sandbox/ui/disputes")
	assert.Contains(t, body, `<td class="due">in 7d</td>`)
	srv.Advance(6 * 24 * time.Hour)
	_, body, _ = page(t, srv, "/_sandbox/ui/disputes/"+dp["id"].(string))
	assert.Contains(t, body, "(in 24h)")
	_, body, _ = page(t, srv, "/_sandbox/ui/payments/"+p.str("id"))
	assert.NotContains(t, body, `id="open-dispute"`, "one dispute per payment")

	status, _ = post(t, srv, "/_sandbox/ui/disputes/open", url.Values{"payment": {p.str("id")}, "reason": {"fraudulent"}})
	assert.Equal(t, 400, status, "a second dispute is refused with the sandbox's reason")
	status, _ = post(t, srv, "/_sandbox/ui/disputes/open", url.Values{"payment": {p.str("id")}, "reason": {"bored"}})
	assert.Equal(t, 400, status)
}

func TestDashboard_settlementStatementDownloads(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	oid := newOrder(t, srv, 10000)
	require.Equal(t, 200, api(t, srv, "POST", "/v1/payments", cardPayment(oid, "4242424242424242")).status)
	srv.Advance(48 * time.Hour)
	l := api(t, srv, "GET", "/v1/settlements", nil)
	require.Len(t, l.body["data"], 1)
	id := l.body["data"].([]any)[0].(map[string]any)["id"].(string)

	_, body, _ := page(t, srv, "/_sandbox/ui/settlements")
	link := "/_sandbox/ui/settlements/" + id + "/report"
	assert.Contains(t, body, `href="`+link+`"`)
	status, csv, h := page(t, srv, link)
	assert.Equal(t, 200, status)
	assert.Equal(t, "text/csv; charset=utf-8", h.Get("Content-Type"))
	assert.Contains(t, h.Get("Content-Disposition"), id+".csv")
	req, err := http.NewRequest("GET", srv.URL+"/v1/settlements/"+id+"/report", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", srv.MerchantID)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	want, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, string(want), csv, "the very statement the API gives")
	assert.True(t, strings.HasPrefix(csv, "balance_transaction_id,type,"), csv)
	status, _, _ = page(t, srv, "/_sandbox/ui/settlements/st_nope/report")
	assert.Equal(t, 404, status)
}

func TestDashboard_keysAndRequestLogsShowLast4Only(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	keys := api(t, srv, "GET", "/v1/api_keys", nil)
	require.Len(t, keys.body["data"], 1)
	keyID := keys.body["data"].([]any)[0].(map[string]any)["id"].(string)
	roll := api(t, srv, "POST", "/v1/api_keys/"+keyID+"/roll", map[string]any{"expire_old_after_seconds": 3600})
	require.Equal(t, 200, roll.status, "%s", roll.raw)
	fresh := roll.str("secret")
	require.NotEmpty(t, fresh)
	withFresh := Merchant{ID: srv.MerchantID, key: &credentials{apiKey: seal(fresh)}}
	require.Equal(t, 200, apiAs(t, srv, withFresh, "GET", "/v1/orders", nil).status)

	_, body, _ := page(t, srv, "/_sandbox/ui/keys")
	assert.Contains(t, body, "sk_test_…"+fresh[len(fresh)-4:])
	assert.Contains(t, body, "expiring")
	assert.Contains(t, body, "(in 1h)")
	_, logs, _ := page(t, srv, "/_sandbox/ui/request_logs?key="+url.QueryEscape(srv.APIKey()[len(srv.APIKey())-4:]))
	assert.Contains(t, logs, "/v1/api_keys/"+keyID+"/roll", "the old key made the roll")
	assert.Contains(t, logs, "1–2 of 2", "the list and the roll; the new key read the orders")
	_, logs, _ = page(t, srv, "/_sandbox/ui/request_logs?key="+url.QueryEscape(fresh[len(fresh)-4:]))
	assert.Contains(t, logs, "1–1 of 1")
	assert.Contains(t, logs, `<td class="path">/v1/orders</td>`)
	for _, p := range []string{"/_sandbox/ui/keys", "/_sandbox/ui/request_logs", "/_sandbox/ui/merchants"} {
		_, body, _ := page(t, srv, p)
		assert.NotContains(t, body, fresh, p)
		assert.NotContains(t, body, srv.APIKey(), p)
	}
}

// After the configured key was rolled and expired, the trigger says so
// rather than showing a bare 401.
func TestDashboard_triggerAfterTheKeyWasRolled(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	keys := api(t, srv, "GET", "/v1/api_keys", nil)
	keyID := keys.body["data"].([]any)[0].(map[string]any)["id"].(string)
	require.Equal(t, 200, api(t, srv, "POST", "/v1/api_keys/"+keyID+"/roll", map[string]any{"expire_old_after_seconds": 60}).status)
	srv.Advance(time.Minute)
	_, err := srv.trigger(srv.MerchantID, srv.APIKey(), "order.paid")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no longer active")
}
