package tokenim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

const (
	testKey        = "sk_test_51SECRETsecretSECRET"
	testMerchantID = "mch_test123"
	testBaseURL    = "https://sandbox.test"
)

// waitRecorder records every wait the client picks: retry waits (which
// go-retryablehttp's loop then sleeps for zero time) and the polls of
// Payments.Wait.
type waitRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

// record is the client's onWait hook: the picked wait is kept, none is slept.
func (s *waitRecorder) record(d time.Duration) time.Duration {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return 0
}

func (s *waitRecorder) sleep(ctx context.Context, d time.Duration) error {
	s.record(d)
	return ctx.Err()
}

func (s *waitRecorder) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient returns a client whose HTTP client carries a fresh httpmock
// transport under the retry layer, a wait recorder and a jitter that always
// picks the ceiling (so waits are predictable).
func newTestClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport, *waitRecorder) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{
		WithMerchantID(testMerchantID),
		WithBaseURL(testBaseURL),
		WithHTTPClient(&http.Client{Transport: mt}),
	}, opts...)
	c, err := NewClient(testKey, all...)
	require.NoError(t, err)
	s := &waitRecorder{}
	c.onWait = s.record
	c.sleep = s.sleep
	c.jitter = func(max time.Duration) time.Duration { return max }
	return c, mt, s
}

// recorded is one request as the platform saw it.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// recorder keeps every request a responder saw.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

// handle wraps fn (given the 1-based call number) as a responder that records.
func (r *recorder) handle(fn func(n int, req *http.Request) (*http.Response, error)) httpmock.Responder {
	return func(req *http.Request) (*http.Response, error) {
		var body []byte
		if req.Body != nil {
			body, _ = io.ReadAll(req.Body)
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Header: req.Header.Clone(), Body: body})
		n := len(r.reqs)
		r.mu.Unlock()
		return fn(n, req)
	}
}

func (r *recorder) Requests() []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recorded(nil), r.reqs...)
}

func (r *recorder) Count() int { return len(r.Requests()) }

// problemResponse answers a problem+json body with the given code.
func problemResponse(status int, code ErrorCode, header ...string) *http.Response {
	resp := httpmock.NewStringResponse(status, `{"type":"https://docs.tokenim.com/errors/`+string(code)+`","title":"t","status":`+itoa(status)+`,"detail":"d","code":"`+string(code)+`","request_id":"req_problem"}`)
	resp.Header.Set("Content-Type", "application/problem+json")
	resp.Header.Set("Request-Id", "req_problem")
	for i := 0; i+1 < len(header); i += 2 {
		resp.Header.Set(header[i], header[i+1])
	}
	return resp
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// paymentJSON is a succeeded card payment as the platform answers it.
const paymentJSON = `{"id":"pay_123","object":"payment","order_id":"ord_123","amount":1999,"currency":"CNY",
"method":{"type":"card","card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}},
"status":"succeeded","failure_code":null,"failure_message":null,"next_action":null,"fee":88,"net":1911,
"amount_refunded":0,"receipt_number":"RCPT-20261121-000001","created_at":"2026-11-21T09:30:00Z",
"succeeded_at":"2026-11-21T09:30:01Z","metadata":{}}`

func rawJSONResponse(status int, body string) *http.Response {
	resp := httpmock.NewStringResponse(status, body)
	resp.Header.Set("Content-Type", "application/json")
	resp.Header.Set("Request-Id", "req_test000000000000000000001")
	resp.Header.Set("Tokenim-Version", APIVersion)
	return resp
}
