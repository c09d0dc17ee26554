package tokenim

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func orderParams() *OrderCreateParams {
	return &OrderCreateParams{MerchantOrderID: "M-1", Amount: 1999, Currency: "CNY"}
}

const orderJSON = `{"id":"ord_123","object":"order","merchant_order_id":"M-1","amount":1999,"currency":"CNY",
"description":null,"status":"open","amount_paid":0,"amount_refunded":0,"payment_id":null,
"expires_at":"2026-11-21T10:00:00Z","created_at":"2026-11-21T09:30:00Z","paid_at":null,"metadata":{}}`

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestDo_retriesEachRetryableCondition(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		respond func() (*http.Response, error)
	}{
		{"408", func() (*http.Response, error) { return problemResponse(408, "request_timeout"), nil }},
		{"409 idempotency_key_in_use", func() (*http.Response, error) { return problemResponse(409, CodeIdempotencyKeyInUse), nil }},
		{"429", func() (*http.Response, error) { return problemResponse(429, CodeRateLimited), nil }},
		{"500", func() (*http.Response, error) { return problemResponse(500, CodeInternalError), nil }},
		{"502", func() (*http.Response, error) { return problemResponse(502, CodeInternalError), nil }},
		{"503", func() (*http.Response, error) { return problemResponse(503, CodeServiceUnavailable), nil }},
		{"504", func() (*http.Response, error) { return problemResponse(504, CodeInternalError), nil }},
		{"connection reset", func() (*http.Response, error) {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
		}},
		{"timeout", func() (*http.Response, error) { return nil, timeoutError{} }},
		{"eof", func() (*http.Response, error) { return nil, io.ErrUnexpectedEOF }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, sl := newTestClient(t)
			var rec recorder
			mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
				if n <= 2 {
					return tc.respond()
				}
				return rawJSONResponse(200, orderJSON), nil
			}))

			o, err := c.Orders.Create(context.Background(), orderParams())

			require.NoError(t, err)
			assert.Equal(t, "ord_123", o.ID)
			reqs := rec.Requests()
			require.Len(t, reqs, 3)
			key := reqs[0].Header.Get("Idempotency-Key")
			assert.NotEmpty(t, key)
			for _, r := range reqs {
				assert.Equal(t, key, r.Header.Get("Idempotency-Key"), "every attempt carries the same key")
				assert.JSONEq(t, string(reqs[0].Body), string(r.Body), "every attempt carries the same body")
			}
			assert.Len(t, sl.Waits(), 2)
		})
	}
}

func TestDo_givesUpAfterMaxRetries(t *testing.T) {
	t.Parallel()
	c, mt, sl := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return problemResponse(503, CodeServiceUnavailable), nil
	}))

	_, err := c.Orders.Get(context.Background(), "ord_123")

	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.HTTPStatus)
	assert.ErrorIs(t, err, ErrUnavailable)
	assert.True(t, IsRetryable(err))
	assert.Equal(t, 4, rec.Count(), "1 attempt + 3 retries by default")
	assert.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}, sl.Waits(),
		"exponential from 0.5 s (jitter pinned to its ceiling)")
}

func TestDo_doesNotRetryFinalStatuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status int
		code   ErrorCode
	}{
		{400, CodeInvalidRequest}, {401, CodeInvalidAPIKey}, {402, CodeCardDeclined}, {403, CodeMerchantMismatch},
		{404, CodeResourceMissing}, {409, CodeOrderAlreadyPaid}, {422, CodeIdempotencyKeyReused},
	}
	for _, tc := range cases {
		t.Run(string(tc.code), func(t *testing.T) {
			t.Parallel()
			c, mt, sl := newTestClient(t)
			var rec recorder
			mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
				return problemResponse(tc.status, tc.code), nil
			}))

			_, err := c.Orders.Create(context.Background(), orderParams())

			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.HTTPStatus)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, rec.Requests()[0].Header.Get("Idempotency-Key"), apiErr.IdempotencyKey)
			assert.False(t, IsRetryable(err))
			assert.Equal(t, 1, rec.Count())
			assert.Empty(t, sl.Waits())
		})
	}
}

func TestDo_neverRetriesPOSTWithoutKey(t *testing.T) {
	t.Parallel()
	for _, fail := range []func() (*http.Response, error){
		func() (*http.Response, error) { return problemResponse(503, CodeServiceUnavailable), nil },
		func() (*http.Response, error) { return nil, io.ErrUnexpectedEOF },
	} {
		c, mt, _ := newTestClient(t)
		var rec recorder
		mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) { return fail() }))
		req, err := c.NewRequest(context.Background(), http.MethodPost, "/v1/orders", orderParams())
		require.NoError(t, err)
		req.IdempotencyKey = ""

		_, err = c.Do(req, nil)

		require.Error(t, err)
		require.Equal(t, 1, rec.Count())
		assert.Empty(t, rec.Requests()[0].Header.Values("Idempotency-Key"))
	}
}

// TestDo_retryAfterHonouredUpToTheMaximumWait: a Retry-After within the
// maximum wait (the backoff cap) is waited; a longer one is neither waited
// nor retried: the call ends at once with that answer, its RetryAfter set
// (docs/tokenim-api.md §3).
func TestDo_retryAfterHonouredUpToTheMaximumWait(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	const ends = -1 // the call ends with the answer, nothing waited
	cases := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "2", 2 * time.Second},
		{"zero seconds", "0", 0},
		{"seconds beyond the maximum", "120", ends},
		{"http date", now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{"http date beyond the maximum", now.Add(time.Hour).Format(http.TimeFormat), ends},
		{"http date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"garbage falls back to backoff", "soon", 500 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, sl := newTestClient(t)
			c.now = func() time.Time { return now }
			var rec recorder
			mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
				if n == 1 {
					return problemResponse(429, CodeRateLimited, "Retry-After", tc.retryAfter), nil
				}
				return rawJSONResponse(200, orderJSON), nil
			}))

			_, err := c.Orders.Get(context.Background(), "ord_123")

			if tc.want != ends {
				require.NoError(t, err)
				assert.Equal(t, []time.Duration{tc.want}, sl.Waits())
				return
			}
			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, 429, apiErr.HTTPStatus)
			assert.Greater(t, apiErr.RetryAfter, 8*time.Second, "the retry-after is attached for the caller to schedule")
			assert.Equal(t, 1, rec.Count(), "not retried")
			assert.Empty(t, sl.Waits(), "not waited")
		})
	}
}

func TestDo_fullJitterStaysWithinCeiling(t *testing.T) {
	t.Parallel()
	c, mt, sl := newTestClient(t, WithMaxRetries(6))
	c.jitter = randomJitter
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(*http.Request) (*http.Response, error) {
		return problemResponse(500, CodeInternalError), nil
	})

	_, err := c.Orders.Get(context.Background(), "ord_123")

	require.Error(t, err)
	waits := sl.Waits()
	require.Len(t, waits, 6)
	ceilings := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, w := range waits {
		assert.GreaterOrEqual(t, w, time.Duration(0))
		assert.LessOrEqual(t, w, ceilings[i], "wait %d", i)
	}
}

func TestDo_deadlineShorterThanNextWaitReturnsAtOnce(t *testing.T) {
	t.Parallel()
	c, mt, sl := newTestClient(t, WithRetryWait(time.Second, time.Hour))
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return problemResponse(503, CodeServiceUnavailable, "Retry-After", "600"), nil
	}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := c.Orders.Create(ctx, orderParams())

	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr, "the last answer stays in the chain")
	assert.Equal(t, "req_problem", apiErr.RequestID)
	assert.Equal(t, 600*time.Second, apiErr.RetryAfter)
	assert.Equal(t, 1, rec.Count())
	assert.Empty(t, sl.Waits(), "no wait is started that would outlive the context")
}

func TestDo_cancelDuringWaitEndsIt(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t, WithRetryWait(time.Second, 2*time.Hour))
	entered := make(chan struct{})
	c.onWait = func(d time.Duration) time.Duration {
		close(entered)
		return d // go-retryablehttp's loop really waits the hour
	}
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return problemResponse(503, CodeServiceUnavailable, "Retry-After", "3600"), nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)

	go func() {
		_, err := c.Orders.Get(ctx, "ord_123")
		done <- err
	}()
	<-entered
	cancel()

	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, rec.Count())
	case <-time.After(time.Minute): // a watchdog, not a measurement: the wait was an hour
		t.Fatal("cancelling the context did not end the retry wait")
	}
}

func TestDo_shouldRetryHeaderOverrides(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		code   ErrorCode
		header string
		want   int
	}{
		{"false stops a 503", 503, CodeServiceUnavailable, "false", 1},
		{"true retries a 400", 400, CodeInvalidRequest, "true", 4},
		{"true retries a 409 of another code", 409, CodePaymentInProgress, "true", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newTestClient(t)
			var rec recorder
			mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
				return problemResponse(tc.status, tc.code, "Tokenim-Should-Retry", tc.header), nil
			}))

			_, err := c.Orders.Create(context.Background(), orderParams())

			var apiErr *Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.want, rec.Count())
			assert.Equal(t, tc.header == "true", IsRetryable(err))
		})
	}
}

// retryHeaderOn2xx answers 200 with a payment and Tokenim-Should-Retry: true.
type retryHeaderOn2xx struct {
	mu    sync.Mutex
	calls int
}

func (r *retryHeaderOn2xx) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	resp := rawJSONResponse(http.StatusOK, paymentJSON)
	resp.Header.Set("Tokenim-Should-Retry", "true")
	return resp, nil
}

// TestDo_successIsNeverRetried: Tokenim-Should-Retry: true on a 2xx neither
// repeats the call nor lets a retry wait turn the success into an error.
func TestDo_successIsNeverRetried(t *testing.T) {
	t.Parallel()
	rt := &retryHeaderOn2xx{}
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(testBaseURL), WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)
	c.onWait = func(time.Duration) time.Duration { return 0 }

	p, err := c.Payments.Get(context.Background(), "pay_123")
	require.NoError(t, err)
	assert.Equal(t, "pay_123", p.ID)
	assert.Equal(t, 1, rt.calls, "a 2xx is final whatever Tokenim-Should-Retry says")

	// A context that is cancelled as soon as a (wrong) retry wait would
	// start must not turn the success into an error.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.onWait = func(d time.Duration) time.Duration { cancel(); return d }
	_, err = c.Payments.Get(ctx, "pay_123")
	assert.NoError(t, err, "a successful answer is never turned into an error by the retry wait")
}

func TestDo_unknownOutcomeCarriesKeyAndResumes(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	var committed atomic.Bool
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments", rec.handle(func(n int, req *http.Request) (*http.Response, error) {
		if n <= 4 { // the platform commits, then every response is lost
			committed.Store(true)
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
		}
		resp := rawJSONResponse(200, paymentJSON)
		resp.Header.Set("Idempotent-Replayed", "true")
		return resp, nil
	}))
	params := &PaymentCreateParams{OrderID: "ord_123", Method: Card("4242424242424242", 12, 2030, "123")}

	_, err := c.Payments.Create(context.Background(), params)

	var uo *UnknownOutcomeError
	require.ErrorAs(t, err, &uo)
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.True(t, IsRetryable(err))
	assert.Equal(t, 4, uo.Attempts)
	assert.Equal(t, "POST", uo.Method)
	assert.Equal(t, "/v1/payments", uo.Path)
	require.NotEmpty(t, uo.IdempotencyKey)
	assert.Contains(t, err.Error(), uo.IdempotencyKey)
	assert.NotContains(t, err.Error(), "4242424242424242")

	var meta Response
	p, err := c.Payments.Create(context.Background(), params, WithIdempotencyKey(uo.IdempotencyKey), WithResponse(&meta))

	require.NoError(t, err)
	assert.Equal(t, "pay_123", p.ID)
	reqs := rec.Requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, uo.IdempotencyKey, reqs[4].Header.Get("Idempotency-Key"))
	assert.True(t, meta.Replayed)
	assert.Equal(t, uo.IdempotencyKey, meta.IdempotencyKey)
}

func TestDo_getWithoutResponseIsPlainError(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return nil, io.ErrUnexpectedEOF
	}))

	_, err := c.Orders.Get(context.Background(), "ord_123")

	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "a GET changes nothing, so its outcome is never unknown")
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 4, rec.Count())
}

func TestDo_tlsVerificationErrorIsNotRetried(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return nil, &tls.CertificateVerificationError{Err: errors.New("x509: certificate signed by unknown authority")}
	}))

	_, err := c.Orders.Create(context.Background(), orderParams())

	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "the handshake failed, so nothing was sent")
	assert.Equal(t, 1, rec.Count())
}

func TestDo_contextErrorsAreWrapped(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, orderJSON), nil
	}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()

	_, err := c.Orders.Get(ctx, "ord_123")
	assert.ErrorIs(t, err, context.Canceled)
	_, err = c.Orders.Get(expired, "ord_123")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, IsRetryable(err))
	assert.Equal(t, 0, rec.Count())
}

// countingTransport counts response bodies handed out and closed.
type countingTransport struct {
	next           http.RoundTripper
	opened, closed atomic.Int64
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		t.opened.Add(1)
		resp.Body = &countingBody{ReadCloser: resp.Body, closed: &t.closed}
	}
	return resp, err
}

type countingBody struct {
	io.ReadCloser
	closed *atomic.Int64
	once   atomic.Bool
}

func (b *countingBody) Close() error {
	if b.once.CompareAndSwap(false, true) {
		b.closed.Add(1)
	}
	return b.ReadCloser.Close()
}

func TestDo_closesEveryBody(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	ct := &countingTransport{next: mt}
	c.http.Transport.(*attemptTransport).rt = ct
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", func(*http.Request) (*http.Response, error) {
		return problemResponse(409, CodeIdempotencyKeyInUse, "Retry-After", "1"), nil
	})
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(*http.Request) (*http.Response, error) {
		return rawJSONResponse(200, orderJSON), nil
	})
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_404", func(*http.Request) (*http.Response, error) {
		return problemResponse(404, CodeResourceMissing), nil
	})

	_, err := c.Orders.Create(context.Background(), orderParams()) // 4 retried 409s
	require.Error(t, err)
	_, err = c.Orders.Get(context.Background(), "ord_123")
	require.NoError(t, err)
	_, err = c.Orders.Get(context.Background(), "ord_404")
	require.Error(t, err)
	req, err := c.NewRequest(context.Background(), http.MethodGet, "/v1/orders/ord_123", nil)
	require.NoError(t, err)
	_, err = c.Do(req, nil) // body not wanted
	require.NoError(t, err)

	assert.Equal(t, int64(7), ct.opened.Load())
	assert.Equal(t, ct.opened.Load(), ct.closed.Load())
}

func TestNewIdempotencyKey_isUUIDv4(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		k := newIdempotencyKey()
		require.Len(t, k, 36)
		assert.Equal(t, byte('4'), k[14])
		assert.Contains(t, "89ab", string(k[19]))
		assert.Equal(t, 4, strings.Count(k, "-"))
		assert.False(t, seen[k])
		seen[k] = true
	}
}

func TestDo_attemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	c, mt, sl := newTestClient(t, WithTimeout(20*time.Millisecond), WithMaxRetries(2))
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(n int, req *http.Request) (*http.Response, error) {
		if n < 3 {
			<-req.Context().Done() // the platform never answers; the attempt timeout ends it
			return nil, req.Context().Err()
		}
		return rawJSONResponse(200, orderJSON), nil
	}))

	o, err := c.Orders.Create(context.Background(), orderParams())

	require.NoError(t, err)
	assert.Equal(t, "ord_123", o.ID)
	assert.Equal(t, 3, rec.Count())
	assert.Len(t, sl.Waits(), 2)
	reqs := rec.Requests()
	assert.Equal(t, reqs[0].Header.Get("Idempotency-Key"), reqs[2].Header.Get("Idempotency-Key"))
}

// cutReader yields part of a body, then fails like a dropped connection.
type cutReader struct {
	data []byte
}

func (r *cutReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func (r *cutReader) Close() error { return nil }

func TestDo_truncatedSuccessBodyOfPOSTIsUnknownOutcome(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments", func(*http.Request) (*http.Response, error) {
		resp := rawJSONResponse(200, "")
		resp.Body = &cutReader{data: []byte(paymentJSON[:40])}
		return resp, nil
	})
	mt.RegisterResponder("GET", testBaseURL+"/v1/payments/pay_123", func(*http.Request) (*http.Response, error) {
		resp := rawJSONResponse(200, "")
		resp.Body = &cutReader{data: []byte(paymentJSON[:40])}
		return resp, nil
	})

	_, err := c.Payments.Create(context.Background(), &PaymentCreateParams{OrderID: "ord_123", Method: BankTransfer()})

	var uo *UnknownOutcomeError
	require.ErrorAs(t, err, &uo, "the charge happened but its answer was lost")
	assert.NotEmpty(t, uo.IdempotencyKey)
	assert.Equal(t, 1, uo.Attempts)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	_, err = c.Payments.Get(context.Background(), "pay_123")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "a GET has no outcome to lose")
}

func TestDo_deadlineAfterLostResponseIsUnknownOutcome(t *testing.T) {
	t.Parallel()
	c, mt, sl := newTestClient(t, WithRetryWait(10*time.Minute, time.Hour))
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return nil, io.ErrUnexpectedEOF
	}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	_, err := c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_1", Method: BankTransfer()})

	var uo *UnknownOutcomeError
	require.ErrorAs(t, err, &uo)
	assert.NotEmpty(t, uo.IdempotencyKey)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, 1, rec.Count())
	assert.Empty(t, sl.Waits())
}

func TestSleepContext(t *testing.T) {
	t.Parallel()
	assert.NoError(t, sleepContext(context.Background(), 0))
	assert.NoError(t, sleepContext(context.Background(), time.Nanosecond))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, sleepContext(ctx, 0), context.Canceled, "an ended context is reported even without a wait")
	assert.ErrorIs(t, sleepContext(ctx, time.Hour), context.Canceled)
}

func TestIsRetryable_tellsAttemptTimeoutFromCallerDeadline(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t, WithTimeout(10*time.Millisecond), WithMaxRetries(1))
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done() // never answers
		return nil, req.Context().Err()
	})

	_, err := c.Orders.Get(context.Background(), "ord_123")
	require.Error(t, err)
	assert.True(t, IsRetryable(err), "the attempt timeout ran out, not the caller's context: %v", err)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	c2, mt2, _ := newTestClient(t, WithMaxRetries(1))
	mt2.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(req *http.Request) (*http.Response, error) {
		<-req.Context().Done()
		return nil, req.Context().Err()
	})
	_, err = c2.Orders.Get(ctx, "ord_123")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, IsRetryable(err), "the caller's own deadline ended the call")
}

// An attempt that lost its answer may have committed. If the retries then end
// on an answer that says nothing of it (503, 429, 409 in use), the outcome is
// still unknown; an answer that settles it (a 400, a 402, a 2xx replay) is
// reported as it is.
func TestDo_lostAnswerThenRetryableAnswerIsUnknownOutcome(t *testing.T) {
	t.Parallel()
	reset := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
	cases := []struct {
		name    string
		method  string
		final   func() *http.Response
		unknown bool
	}{
		{"503 after a lost POST", "POST", func() *http.Response { return problemResponse(503, CodeServiceUnavailable) }, true},
		{"429 after a lost POST", "POST", func() *http.Response { return problemResponse(429, CodeRateLimited) }, true},
		{"409 in use after a lost POST", "POST", func() *http.Response { return problemResponse(409, CodeIdempotencyKeyInUse) }, true},
		{"402 after a lost POST", "POST", func() *http.Response { return problemResponse(402, CodeCardDeclined) }, false},
		{"400 after a lost POST", "POST", func() *http.Response { return problemResponse(400, CodeInvalidRequest) }, false},
		{"503 after a lost GET", "GET", func() *http.Response { return problemResponse(503, CodeServiceUnavailable) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newTestClient(t)
			var rec recorder
			responder := rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
				if n == 1 {
					return nil, reset
				}
				return tc.final(), nil
			})
			var err error
			if tc.method == "POST" {
				mt.RegisterResponder("POST", testBaseURL+"/v1/orders", responder)
				_, err = c.Orders.Create(context.Background(), orderParams())
			} else {
				mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", responder)
				_, err = c.Orders.Get(context.Background(), "ord_123")
			}

			var apiErr *Error
			require.ErrorAs(t, err, &apiErr, "the last answer stays reachable")
			if !tc.unknown {
				assert.NotErrorIs(t, err, ErrUnknownOutcome)
				return
			}
			var uo *UnknownOutcomeError
			require.ErrorAs(t, err, &uo)
			keys := map[string]bool{}
			for _, r := range rec.Requests() {
				keys[r.Header.Get("Idempotency-Key")] = true
			}
			assert.Equal(t, map[string]bool{uo.IdempotencyKey: true}, keys, "one key on every attempt, and the error carries it")
			assert.Equal(t, rec.Count(), uo.Attempts)
		})
	}
}

// endlessJSON is a 2xx body that never ends: `{"id":"aaaa…`.
type endlessJSON struct{ started bool }

func (r *endlessJSON) Read(p []byte) (int, error) {
	n := 0
	if !r.started {
		n = copy(p, `{"id":"`)
		r.started = true
	}
	for i := n; i < len(p); i++ {
		p[i] = 'a'
	}
	return len(p), nil
}

func (r *endlessJSON) Close() error { return nil }

// TestDo_successBodyIsCapped: a 2xx body larger than the limit ends the call
// with an error naming the limit instead of filling memory.
func TestDo_successBodyIsCapped(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]Option{
		"default 16 MiB": nil,
		"configured":     {WithMaxResponseBytes(64 << 10)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newTestClient(t, opts...)
			mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(*http.Request) (*http.Response, error) {
				resp := rawJSONResponse(200, "")
				resp.Body = &endlessJSON{}
				resp.ContentLength = -1
				return resp, nil
			})

			o, err := c.Orders.Get(context.Background(), "ord_123")

			assert.Nil(t, o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "WithMaxResponseBytes")
			assert.Contains(t, err.Error(), "req_test000000000000000000001", "the request id is named")
			assert.NotContains(t, err.Error(), "aaaa", "no body is quoted")
		})
	}
	// An answer right at the limit still decodes.
	atLimit := orderJSON + strings.Repeat(" ", 2048-len(orderJSON))
	c, mt, _ := newTestClient(t, WithMaxResponseBytes(2048))
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(*http.Request) (*http.Response, error) {
		return rawJSONResponse(200, atLimit), nil
	})
	o, err := c.Orders.Get(context.Background(), "ord_123")
	require.NoError(t, err)
	assert.Equal(t, "ord_123", o.ID)
}

func TestURLCache_buildsEachRouteOnceAndStaysBounded(t *testing.T) {
	t.Parallel()
	var u urlCache
	first := u.get("https://api.test", "/v1/payments")
	assert.Equal(t, "https://api.test/v1/payments", first)
	assert.Equal(t, first, u.get("https://api.test", "/v1/payments"))
	assert.Equal(t, "https://api.test/v1/orders", u.get("https://api.test", "/v1/orders"), "a second route has its own URL")
	for i := range 2 * maxCachedURLs {
		route := "/v1/custom/" + strconv.Itoa(i)
		assert.Equal(t, "https://api.test"+route, u.get("https://api.test", route))
	}
	assert.Len(t, *u.m.Load(), maxCachedURLs, "Client.Do's arbitrary paths cannot grow it without bound")
}
