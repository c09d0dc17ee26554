package tokenim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests use a real loopback server, so the errors are the ones net/http
// really produces, not mocks of them.

func TestLoopback_droppedConnectionsAreRetriedWithSameKey(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		n := len(keys)
		mu.Unlock()
		if n <= 2 { // the platform commits, then the connection drops
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, paymentJSON)
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{DisableKeepAlives: true} // no transport-level replays: every attempt is ours
	t.Cleanup(tr.CloseIdleConnections)
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	sl := &waitRecorder{}
	c.onWait = sl.record

	p, err := c.Payments.Create(context.Background(), &PaymentCreateParams{OrderID: "ord_1", Method: Wallet(WalletAlipay)})

	require.NoError(t, err)
	assert.Equal(t, "pay_123", p.ID)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, keys, 3)
	assert.Equal(t, keys[0], keys[1])
	assert.Equal(t, keys[0], keys[2])
	assert.Len(t, sl.Waits(), 2)
}

func TestLoopback_droppedConnectionsExhaustToUnknownOutcome(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(1))
	require.NoError(t, err)
	c.onWait = (&waitRecorder{}).record

	_, err = c.Orders.Create(context.Background(), orderParams())

	var uo *UnknownOutcomeError
	require.ErrorAs(t, err, &uo)
	assert.Equal(t, 2, uo.Attempts)
	assert.True(t, IsRetryable(err))
}

func TestLoopback_untrustedCertificateIsNotRetried(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	hits := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tr := &http.Transport{} // does not trust the test server's certificate
	t.Cleanup(tr.CloseIdleConnections)
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	sl := &waitRecorder{}
	c.onWait = sl.record

	_, err = c.Orders.Create(context.Background(), orderParams())

	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "the handshake failed, so nothing was sent")
	assert.Contains(t, err.Error(), "certificate")
	assert.Empty(t, sl.Waits(), "a TLS verification failure is not retried")
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, hits)
}

// TestLoopback_redirectsAreNeverFollowed: a 3xx from the API host is an
// *Error, not retried whatever Tokenim-Should-Retry says, and nothing (key,
// merchant id, card data, idempotency key) reaches its Location: not another
// host, not the same host on another port, not plain http after https, also
// when the caller's own http.Client would follow redirects.
func TestLoopback_redirectsAreNeverFollowed(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var leaked []string
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		leaked = append(leaked, r.Method+" "+r.Host+" auth="+r.Header.Get("Authorization")+" merchant="+r.Header.Get("Tokenim-Merchant-Id")+
			" key="+r.Header.Get("Idempotency-Key")+" body="+string(body))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, paymentJSON) // a "success" that was never the platform's
	}))
	t.Cleanup(elsewhere.Close)
	_, elsewherePort, _ := net.SplitHostPort(strings.TrimPrefix(elsewhere.URL, "http://"))

	targets := map[string]string{
		"another host":              "http://localhost:" + elsewherePort + "/v1/payments",
		"same host, another port":   elsewhere.URL + "/v1/payments",
		"https to http, other port": elsewhere.URL + "/v1/payments",
	}
	for _, status := range []int{301, 302, 303, 307, 308} {
		for target, location := range targets {
			for _, own := range []bool{false, true} {
				name := fmt.Sprintf("%d to %s, own client %v", status, target, own)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					var hits atomic.Int32
					handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						_, _ = io.Copy(io.Discard, r.Body)
						hits.Add(1)
						w.Header().Set("Location", location)
						w.Header().Set("Tokenim-Should-Retry", "true")
						w.WriteHeader(status)
					})
					var api *httptest.Server
					if strings.HasPrefix(target, "https") {
						api = httptest.NewTLSServer(handler)
					} else {
						api = httptest.NewServer(handler)
					}
					t.Cleanup(api.Close)
					hc := api.Client() // follows redirects, like any http.Client
					opts := []Option{WithMerchantID(testMerchantID), WithBaseURL(api.URL), WithRetryWait(time.Millisecond, time.Millisecond)}
					if own || strings.HasPrefix(target, "https") {
						opts = append(opts, WithHTTPClient(hc))
					}
					c, err := NewClient(testKey, opts...)
					require.NoError(t, err)
					// Not c.CloseIdleConnections: without WithHTTPClient it would
					// close the shared transport's, under the test below.
					t.Cleanup(hc.CloseIdleConnections)

					p, err := c.Payments.Create(context.Background(), &PaymentCreateParams{OrderID: "ord_1", Method: Card(secretCardNumber, 12, 2030, secretCVC)})

					assert.Nil(t, p, "a redirect never turns into a success")
					var apiErr *Error
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, status, apiErr.HTTPStatus)
					assert.Contains(t, err.Error(), "base URL")
					assert.False(t, IsRetryable(err))
					assert.Equal(t, int32(1), hits.Load(), "a 3xx is not retried, whatever Tokenim-Should-Retry says")
					assert.Nil(t, hc.CheckRedirect, "the caller's client is not changed")
				})
			}
		}
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		assert.Empty(t, leaked, "nothing is sent to a redirect's Location")
	})
}

// TestLoopback_unreachableBaseURLIsUnavailableNotUnknown: a call that never
// left (connection refused, name resolution) is retried like a connection
// error, then fails as unavailable with a hint at the configuration; it is
// never an unknown outcome.
func TestLoopback_unreachableBaseURLIsUnavailableNotUnknown(t *testing.T) {
	t.Parallel()
	for name, base := range map[string]string{
		"connection refused": "http://127.0.0.1:1",
		"no such host":       "http://tokenim-api.invalid",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(base), WithMaxRetries(2))
			require.NoError(t, err)
			sl := &waitRecorder{}
			c.onWait = sl.record

			_, err = c.Payments.Create(context.Background(), &PaymentCreateParams{OrderID: "ord_1", Method: Wallet(WalletAlipay)})

			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrUnknownOutcome, "nothing was sent, so nothing can have happened")
			var uo *UnknownOutcomeError
			assert.False(t, errors.As(err, &uo))
			assert.ErrorIs(t, err, ErrUnavailable)
			assert.Contains(t, err.Error(), "nothing was sent")
			assert.Contains(t, err.Error(), "base URL")
			assert.Contains(t, err.Error(), base)
			assert.True(t, IsRetryable(err))
			assert.Len(t, sl.Waits(), 2, "retried like any connection error")
		})
	}
}

// TestLoopback_oneClientsFailureKeepsAnothersIdleConnections: two clients on
// the default shared transport; a failing call of one must not close the
// other's idle connection.
func TestLoopback_oneClientsFailureKeepsAnothersIdleConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	healthy := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, orderJSON)
	}))
	healthy.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	healthy.Start()
	t.Cleanup(healthy.Close)
	// Client b's server drops every connection: a transport failure, on
	// which go-retryablehttp closes its transport's idle connections.
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(failing.Close)
	a, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(healthy.URL))
	require.NoError(t, err)
	b, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(failing.URL), WithMaxRetries(1),
		WithRetryWait(time.Millisecond, time.Millisecond))
	require.NoError(t, err)

	_, err = a.Orders.Get(context.Background(), "ord_123")
	require.NoError(t, err)
	_, err = b.Orders.Get(context.Background(), "ord_1")
	require.Error(t, err)
	_, err = a.Orders.Get(context.Background(), "ord_123")
	require.NoError(t, err)

	assert.Equal(t, int32(1), conns.Load(), "client a reuses its idle connection after client b failed")
}

// isTimeout reports whether anything in err's chain says it is a timeout,
// as IsRetryable and an observer ask.
func isTimeout(err error) bool {
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// TestLoopback_droppedConnectionIsNotATimeout: a server that reads the
// request and closes the connection without answering ends the POST as an
// unknown outcome that says the connection closed, not that the attempt
// timed out; neither the error nor the observer's attempt reports a timeout.
func TestLoopback_droppedConnectionIsNotATimeout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	obs := &recordingObserver{}
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(srv.URL),
		WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(0), WithObserver(obs))
	require.NoError(t, err)

	_, err = c.Payments.Create(context.Background(), &PaymentCreateParams{OrderID: "ord_1", Method: Wallet(WalletAlipay)})

	var uo *UnknownOutcomeError
	require.ErrorAs(t, err, &uo)
	assert.NotContains(t, err.Error(), "timed out")
	assert.Contains(t, err.Error(), "connection closed before an answer")
	assert.Contains(t, err.Error(), "retry with idempotency key", "the unknown-outcome advice stays")
	assert.False(t, isTimeout(uo.Err), "a dropped connection is not a timeout")
	var attempts int
	for _, e := range obs.Events() {
		if e.hook == "EndAttempt" {
			attempts++
			require.Error(t, e.ar.Err)
			assert.False(t, isTimeout(e.ar.Err), "the observer is not told of a timeout")
			assert.NotContains(t, e.ar.Err.Error(), "timed out")
		}
	}
	assert.Equal(t, 1, attempts)
}

// TestLoopback_unreachableIsNotATimeout: a refused connection or a failed
// name resolution is not a timeout either.
func TestLoopback_unreachableIsNotATimeout(t *testing.T) {
	t.Parallel()
	for name, base := range map[string]string{
		"connection refused": "http://127.0.0.1:1",
		"no such host":       "http://tokenim-api.invalid",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(base), WithMaxRetries(0))
			require.NoError(t, err)

			_, err = c.Orders.Get(context.Background(), "ord_1")

			require.Error(t, err)
			assert.False(t, isTimeout(err), "%v", err)
			assert.NotContains(t, err.Error(), "timed out")
		})
	}
}

// TestLoopback_attemptTimeoutStillReadsAsOne: an attempt that does run out of
// its WithTimeout is still reported as a timeout.
func TestLoopback_attemptTimeoutStillReadsAsOne(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(srv.URL),
		WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(0), WithTimeout(10*time.Millisecond))
	require.NoError(t, err)

	_, err = c.Orders.Get(context.Background(), "ord_1")

	require.Error(t, err)
	assert.True(t, isTimeout(err), "%v", err)
	assert.Contains(t, err.Error(), "timed out")
}
