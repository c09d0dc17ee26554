package tokenim

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

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
