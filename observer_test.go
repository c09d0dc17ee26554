package tokenim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// observed is one hook call as an Observer saw it.
type observed struct {
	hook    string
	call    CallInfo
	attempt int
	ar      AttemptResult
	cr      CallResult
	ctxMark string // the mark of the context the hook got
}

type markKey struct{}

// recordingObserver records every hook call, marks the contexts it returns
// so a test can check which context each hook gets, and sets the headers
// in setHeaders on every attempt.
type recordingObserver struct {
	mu         sync.Mutex
	events     []observed
	setHeaders map[string]string
}

func mark(ctx context.Context) string {
	s, _ := ctx.Value(markKey{}).(string)
	return s
}

func (o *recordingObserver) add(e observed) {
	o.mu.Lock()
	o.events = append(o.events, e)
	o.mu.Unlock()
}

func (o *recordingObserver) StartCall(ctx context.Context, call CallInfo) context.Context {
	o.add(observed{hook: "StartCall", call: call, ctxMark: mark(ctx)})
	return context.WithValue(ctx, markKey{}, "call")
}

func (o *recordingObserver) StartAttempt(ctx context.Context, call CallInfo, attempt int, h HeaderSetter) context.Context {
	o.add(observed{hook: "StartAttempt", call: call, attempt: attempt, ctxMark: mark(ctx)})
	for k, v := range o.setHeaders {
		h.Set(k, fmt.Sprintf("%s-%d", v, attempt))
	}
	return context.WithValue(ctx, markKey{}, fmt.Sprintf("attempt %d", attempt))
}

func (o *recordingObserver) EndAttempt(ctx context.Context, call CallInfo, r AttemptResult) {
	o.add(observed{hook: "EndAttempt", call: call, ar: r, ctxMark: mark(ctx)})
}

func (o *recordingObserver) EndCall(ctx context.Context, call CallInfo, r CallResult) {
	o.add(observed{hook: "EndCall", call: call, cr: r, ctxMark: mark(ctx)})
}

func (o *recordingObserver) Events() []observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]observed(nil), o.events...)
}

func (o *recordingObserver) hooks() []string {
	var hs []string
	for _, e := range o.Events() {
		hs = append(hs, e.hook)
	}
	return hs
}

func TestObserver_seesEachAttemptOfARetriedCall(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{setHeaders: map[string]string{"traceparent": "tp"}}
	c, mt, _ := newTestClient(t, WithObserver(obs))
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments/pay_123/confirm", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
		if n == 1 {
			return problemResponse(503, CodeServiceUnavailable), nil
		}
		resp := rawJSONResponse(200, paymentJSON)
		resp.Header.Set("Idempotent-Replayed", "true")
		return resp, nil
	}))

	_, err := c.Payments.Confirm(context.Background(), "pay_123", &PaymentConfirmParams{OTP: "000000"})

	require.NoError(t, err)
	assert.Equal(t, []string{"StartCall", "StartAttempt", "EndAttempt", "StartAttempt", "EndAttempt", "EndCall"}, obs.hooks())
	ev := obs.Events()
	reqs := rec.Requests()
	require.Len(t, reqs, 2)
	call := ev[0].call
	assert.Equal(t, CallInfo{
		Operation: "Payments.Confirm", Method: "POST", URLTemplate: "/v1/payments/{id}/confirm",
		URL: testBaseURL + "/v1/payments/pay_123/confirm", ServerAddress: "sandbox.test", ServerPort: 443,
		IdempotencyKey: reqs[0].Header.Get("Idempotency-Key"),
	}, call)
	for _, e := range ev {
		assert.Equal(t, call, e.call, "%s sees the same call", e.hook)
	}
	assert.Equal(t, 1, ev[1].attempt)
	assert.Equal(t, 2, ev[3].attempt)
	first, second := ev[2].ar, ev[4].ar
	assert.Equal(t, 1, first.Attempt)
	assert.Equal(t, 503, first.StatusCode)
	assert.Equal(t, CodeServiceUnavailable, first.ErrorCode)
	assert.Equal(t, "req_problem", first.RequestID)
	assert.True(t, first.Retry, "the 503 is retried")
	assert.Equal(t, 2, second.Attempt)
	assert.Equal(t, 200, second.StatusCode)
	assert.True(t, second.Replayed)
	assert.False(t, second.Retry)
	assert.Empty(t, second.ErrorCode)
	end := ev[5].cr
	assert.Equal(t, 2, end.Attempts)
	assert.Equal(t, 200, end.StatusCode)
	assert.True(t, end.Replayed)
	assert.NoError(t, end.Err)
	assert.False(t, end.OutcomeUnknown)
	assert.Positive(t, end.Duration)

	// Contexts: the call's context reaches every attempt, each attempt's
	// reaches its end.
	assert.Equal(t, "", ev[0].ctxMark)
	assert.Equal(t, "call", ev[1].ctxMark)
	assert.Equal(t, "attempt 1", ev[2].ctxMark)
	assert.Equal(t, "attempt 2", ev[4].ctxMark)
	assert.Equal(t, "call", ev[5].ctxMark)

	// Headers set by the observer reach the platform, per attempt.
	assert.Equal(t, "tp-1", reqs[0].Header.Get("Traceparent"))
	assert.Equal(t, "tp-2", reqs[1].Header.Get("Traceparent"))
}

func TestObserver_labelsDeclineAndUnknownOutcome(t *testing.T) {
	t.Parallel()
	t.Run("decline", func(t *testing.T) {
		t.Parallel()
		obs := &recordingObserver{}
		c, mt, _ := newTestClient(t, WithObserver(obs))
		mt.RegisterResponder("POST", testBaseURL+"/v1/payments", func(*http.Request) (*http.Response, error) {
			resp := httpmock.NewStringResponse(402, `{"type":"t","title":"declined","status":402,"code":"card_declined","decline_code":"insufficient_funds"}`)
			resp.Header.Set("Content-Type", "application/problem+json")
			return resp, nil
		})

		_, err := c.Payments.Create(context.Background(), benchParams())

		require.True(t, IsDeclined(err))
		ev := obs.Events()
		require.Len(t, ev, 4)
		end := ev[3].cr
		assert.Equal(t, 402, end.StatusCode)
		assert.Equal(t, CodeCardDeclined, end.ErrorCode)
		assert.Equal(t, DeclineInsufficientFunds, end.DeclineCode)
		assert.Equal(t, err, end.Err)
		assert.False(t, end.OutcomeUnknown)
		assert.Equal(t, DeclineInsufficientFunds, ev[2].ar.DeclineCode)
		assert.False(t, ev[2].ar.Retry)
	})
	t.Run("unknown outcome", func(t *testing.T) {
		t.Parallel()
		obs := &recordingObserver{}
		c, mt, _ := newTestClient(t, WithObserver(obs), WithMaxRetries(1))
		mt.RegisterResponder("POST", testBaseURL+"/v1/payments", func(*http.Request) (*http.Response, error) {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
		})

		_, err := c.Payments.Create(context.Background(), benchParams())

		require.ErrorIs(t, err, ErrUnknownOutcome)
		ev := obs.Events()
		require.Len(t, ev, 6)
		assert.Error(t, ev[2].ar.Err, "the attempt's transport error")
		assert.Zero(t, ev[2].ar.StatusCode)
		assert.True(t, ev[2].ar.Retry)
		end := ev[5].cr
		assert.True(t, end.OutcomeUnknown)
		assert.Equal(t, 2, end.Attempts)
		assert.Zero(t, end.StatusCode)
		assert.Equal(t, err, end.Err)
	})
}

func TestHeaderSetter_cannotTouchTheSDKsHeaders(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{setHeaders: map[string]string{
		"authorization": "Bearer stolen", "Idempotency-Key": "k", "Tokenim-Merchant-Id": "mch_other",
		"Tokenim-Anything": "x", "Content-Type": "text/plain", "baggage": "b",
	}}
	c, mt, _ := newTestClient(t, WithObserver(obs))
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, paymentJSON), nil
	}))

	_, err := c.Payments.Create(context.Background(), benchParams())

	require.NoError(t, err)
	h := rec.Requests()[0].Header
	assert.Equal(t, "Bearer "+testKey, h.Get("Authorization"))
	assert.Equal(t, testMerchantID, h.Get("Tokenim-Merchant-Id"))
	assert.NotEqual(t, "k", h.Get("Idempotency-Key"))
	assert.Empty(t, h.Get("Tokenim-Anything"))
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Equal(t, "b-1", h.Get("Baggage"), "a header the SDK does not own is set")
}

func TestObserver_neverSeesASecret(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	c, mt, _ := newTestClient(t, WithObserver(obs), WithMaxRetries(1))
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments", func(*http.Request) (*http.Response, error) {
		return problemResponse(503, CodeServiceUnavailable), nil
	})

	_, err := c.Payments.Create(context.Background(), benchParams())

	require.Error(t, err)
	dump := fmt.Sprintf("%+v", obs.Events())
	for _, secret := range []string{testKey, "4242424242424242", `"123"`, "Bearer"} {
		assert.NotContains(t, dump, secret)
	}
	assert.True(t, strings.Contains(dump, "Payments.Create"), "the dump is of the events")
}

func TestWithObserver_rejectsNil(t *testing.T) {
	t.Parallel()
	_, err := NewClient(testKey, WithMerchantID(testMerchantID), WithObserver(nil))
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

func TestServerOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]struct {
		host string
		port int
	}{
		"https://api.tokenim.com":  {"api.tokenim.com", 443},
		"http://127.0.0.1:8080":    {"127.0.0.1", 8080},
		"http://localhost":         {"localhost", 80},
		"https://[::1]:9443/base/": {"::1", 9443},
	} {
		host, port := serverOf(in)
		assert.Equal(t, want.host, host, in)
		assert.Equal(t, want.port, port, in)
	}
}

// nopObserver is the cheapest observer: what the hooks themselves cost.
type nopObserver struct{}

func (nopObserver) StartCall(ctx context.Context, _ CallInfo) context.Context { return ctx }
func (nopObserver) StartAttempt(ctx context.Context, _ CallInfo, _ int, _ HeaderSetter) context.Context {
	return ctx
}
func (nopObserver) EndAttempt(context.Context, CallInfo, AttemptResult) {}
func (nopObserver) EndCall(context.Context, CallInfo, CallResult)       {}

// BenchmarkClientObserved_CreatePayment is BenchmarkClient_CreatePayment
// with an observer that does nothing: the price of the hooks alone.
func BenchmarkClientObserved_CreatePayment(b *testing.B) {
	benchmarkCreatePayment(b, WithObserver(nopObserver{}))
}

// deliveryRecorder records every delivery a handler reports.
type deliveryRecorder struct {
	mu sync.Mutex
	ds []WebhookDelivery
}

func (r *deliveryRecorder) ObserveWebhook(_ context.Context, d WebhookDelivery) {
	r.mu.Lock()
	r.ds = append(r.ds, d)
	r.mu.Unlock()
}

func (r *deliveryRecorder) last(t *testing.T) WebhookDelivery {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotEmpty(t, r.ds)
	return r.ds[len(r.ds)-1]
}

func TestWebhookObserver_reportsEachDelivery(t *testing.T) {
	t.Parallel()
	rec := &deliveryRecorder{}
	fail := errors.New("database down")
	var failNext atomic.Bool
	h := whHandler(t, func(_ context.Context, e *Event) error {
		if failNext.Load() {
			return fail
		}
		if e.ID == "evt_panic" {
			panic("boom")
		}
		return nil
	}, WithWebhookObserver(rec))
	other := func(id string) []byte { return bytes.Replace(whEventBody, []byte("evt_123"), []byte(id), 1) }

	cases := []struct {
		name string
		req  *http.Request
		fail bool
		want WebhookDelivery
	}{
		{"processed", whRequest(t, "evt_123", whEventBody, whSecretNew), false,
			WebhookDelivery{Result: WebhookProcessed, Verified: true, WebhookID: "evt_123", EventType: EventOrderPaid, StatusCode: 200}},
		{"duplicate", whRequest(t, "evt_123", whEventBody, whSecretOld), false,
			WebhookDelivery{Result: WebhookDuplicate, Verified: true, WebhookID: "evt_123", EventType: EventOrderPaid, StatusCode: 200}},
		{"wrong secret", whRequest(t, "evt_124", other("evt_124"), whVectorSecret), false,
			WebhookDelivery{Result: WebhookRejected, Reason: WebhookReasonNoMatchingSignature, StatusCode: 400}},
		{"no headers", httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(whEventBody)), false,
			WebhookDelivery{Result: WebhookRejected, Reason: WebhookReasonMissingHeader, StatusCode: 400}},
		{"GET", httptest.NewRequest(http.MethodGet, "/webhooks", nil), false,
			WebhookDelivery{Result: WebhookRejected, Reason: WebhookReasonMethodNotAllowed, StatusCode: 405}},
		{"not an event", whRequest(t, "evt_125", []byte(`{"nope":1}`), whSecretNew), false,
			WebhookDelivery{Result: WebhookRejected, Reason: WebhookReasonInvalidPayload, Verified: true, WebhookID: "evt_125", StatusCode: 400}},
		{"handler error", whRequest(t, "evt_126", other("evt_126"), whSecretNew), true,
			WebhookDelivery{Result: WebhookFailed, Reason: WebhookReasonHandlerError, Verified: true, WebhookID: "evt_126", EventType: EventOrderPaid, StatusCode: 500}},
		{"handler panic", whRequest(t, "evt_panic", other("evt_panic"), whSecretNew), false,
			WebhookDelivery{Result: WebhookFailed, Reason: WebhookReasonHandlerPanic, Verified: true, WebhookID: "evt_panic", EventType: EventOrderPaid, StatusCode: 500}},
	}
	for _, tc := range cases {
		failNext.Store(tc.fail)
		resp := whServe(h, tc.req)
		got := rec.last(t)
		assert.Equal(t, tc.want.StatusCode, resp.Code, tc.name)
		assert.Positive(t, got.Duration, tc.name)
		got.Duration = 0
		assert.Equal(t, tc.want, got, tc.name)
	}
	assert.Len(t, rec.ds, len(cases), "one report per delivery")
}

func TestWebhookObserver_reportsAnAbortedDelivery(t *testing.T) {
	t.Parallel()
	rec := &deliveryRecorder{}
	h := whHandler(t, func(context.Context, *Event) error { panic(http.ErrAbortHandler) }, WithWebhookObserver(rec))

	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)) })

	got := rec.last(t)
	assert.Equal(t, WebhookFailed, got.Result)
	assert.Equal(t, WebhookReasonHandlerAborted, got.Reason)
}

func TestWithWebhookObserver_rejectsNil(t *testing.T) {
	t.Parallel()
	_, err := NewWebhookHandler(whVerifier(t, []string{whSecretNew}), func(context.Context, *Event) error { return nil }, WithWebhookObserver(nil))
	assert.Error(t, err)
}

// BenchmarkWebhookHandler_ServeHTTP is one verified delivery (a redelivery
// after the first, so the merchant's function is not what is measured),
// without and with a webhook observer that does nothing.
func BenchmarkWebhookHandler_ServeHTTP(b *testing.B) {
	header := whHeader(b, "evt_123", whNow, whEventBody, whSecretNew)
	for _, bc := range []struct {
		name string
		opts []WebhookHandlerOption
	}{{"plain", nil}, {"observed", []WebhookHandlerOption{WithWebhookObserver(nopWebhookObserver{})}}} {
		b.Run(bc.name, func(b *testing.B) {
			h := whHandler(b, func(context.Context, *Event) error { return nil }, bc.opts...)
			req := httptest.NewRequest(http.MethodPost, "/webhooks", nil)
			req.Header = header
			body := bytes.NewReader(whEventBody)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(whEventBody)
				req.Body = io.NopCloser(body)
				h.ServeHTTP(w, req)
			}
			if w.Code != http.StatusOK {
				b.Fatalf("answered %d", w.Code)
			}
		})
	}
}

type nopWebhookObserver struct{}

func (nopWebhookObserver) ObserveWebhook(context.Context, WebhookDelivery) {}
