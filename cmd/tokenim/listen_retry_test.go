package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// canceledOrderSandbox is a sandbox holding one order.canceled event.
func canceledOrderSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	srv := sandbox.Start(t)
	r := against(t, srv, "trigger", "order.canceled")
	require.Equal(t, exitOK, r.code, r.stderr)
	return srv
}

// forwardOnce runs listen --once for the order.canceled events of srv.
func forwardOnce(t *testing.T, srv *sandbox.Server, url string, extra ...string) result {
	t.Helper()
	args := append([]string{"listen", "--forward-to", url, "--secret", listenSecret, "--replay", "--once", "--events", "order.canceled", "--retry-wait", "1ms"}, extra...)
	return against(t, srv, args...)
}

func TestListen_retriesFailedForwardWithBackoff(t *testing.T) {
	t.Parallel()
	srv := canceledOrderSandbox(t)
	var mu sync.Mutex
	var attempts int
	var stamps []string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// Every attempt is a delivery the SDK's verifier accepts.
		_, err := tokenim.ConstructEvent(body, r.Header, listenSecret)
		mu.Lock()
		defer mu.Unlock()
		attempts++
		stamps = append(stamps, r.Header.Get(tokenim.WebhookTimestampHeader))
		switch {
		case err != nil:
			http.Error(w, "bad signature", http.StatusBadRequest)
		case attempts <= 2:
			http.Error(w, "database busy", http.StatusServiceUnavailable)
		}
	})
	rc := httptest.NewServer(h)
	t.Cleanup(rc.Close)

	r := forwardOnce(t, srv, rc.URL)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 3, attempts, "two 503s, then a 200")
	assert.Len(t, stamps, 3)
	assert.Regexp(t, `order.canceled +evt_\w+ -> 200 OK \(3 attempts\)$`, lineWith(t, r.stdout, "order.canceled"))
}

func TestListen_retriesOnlyWhatThePlatformRetries(t *testing.T) {
	t.Parallel()
	srv := canceledOrderSandbox(t)
	cases := []struct {
		status, attempts int
	}{
		{http.StatusBadRequest, 1},
		{http.StatusUnauthorized, 1},
		{http.StatusNotFound, 1},
		{http.StatusConflict, 1},
		{http.StatusRequestTimeout, 3},
		{http.StatusTooManyRequests, 3},
		{http.StatusInternalServerError, 3},
		{http.StatusNotImplemented, 1},
		{http.StatusBadGateway, 3},
		{http.StatusMovedPermanently, 1},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				n.Add(1)
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(tc.status)
			}))
			t.Cleanup(rc.Close)
			r := forwardOnce(t, srv, rc.URL, "--retries", "2")
			assert.Equal(t, exitError, r.code)
			assert.Equal(t, int32(tc.attempts), n.Load())
			assert.Contains(t, lineWith(t, r.stdout, "order.canceled"), fmt.Sprintf("-> %d %s", tc.status, http.StatusText(tc.status)))
		})
	}
}

func TestListen_showsWhyAForwardGot400(t *testing.T) {
	t.Parallel()
	srv := canceledOrderSandbox(t)
	cases := []struct {
		name        string
		contentType string
		body        string
		want        string // the end of the delivery's line
	}{
		{"problem+json detail", "application/problem+json",
			`{"type":"about:blank","title":"Bad Request","status":400,"detail":"unknown order ord_123 for this shop"}`,
			"-> 400 Bad Request: unknown order ord_123 for this shop"},
		{"plain text, first line", "text/plain; charset=utf-8",
			"\n  missing field merchant_order_id\nstack trace follows\n",
			"-> 400 Bad Request: missing field merchant_order_id"},
		{"json error object", "application/json", `{"error":{"message":"amount mismatch"}}`,
			"-> 400 Bad Request: amount mismatch"},
		{"secret echoed", "text/plain", "signature did not match secret " + listenSecret,
			"-> 400 Bad Request: signature did not match secret [redacted]"},
		{"terminal escape", "text/plain", "bad\x1b[31m red\x07 input",
			"-> 400 Bad Request: bad [31m red input"},
		{"long", "text/plain", strings.Repeat("x", 5000),
			"-> 400 Bad Request: " + strings.Repeat("x", 200) + "…"},
		{"html page", "text/html", "<html><body><h1>400</h1></body></html>", "-> 400 Bad Request"},
		{"no body", "", "", "-> 400 Bad Request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				n.Add(1)
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, tc.body)
			}))
			t.Cleanup(rc.Close)
			r := forwardOnce(t, srv, rc.URL)
			assert.Equal(t, exitError, r.code)
			assert.Equal(t, int32(1), n.Load(), "a 400 is not retried")
			line := lineWith(t, r.stdout, "order.canceled")
			assert.True(t, strings.HasSuffix(line, tc.want), "line %q does not end with %q", line, tc.want)
			assert.NotContains(t, r.stdout+r.stderr, strings.TrimPrefix(listenSecret, "whsec_"))
		})
	}
}

func TestListen_cancelStopsRetrying(t *testing.T) {
	t.Parallel()
	srv := canceledOrderSandbox(t)
	first := make(chan struct{})
	var once sync.Once
	var n atomic.Int32
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		once.Do(func() { close(first) })
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(rc.Close)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan result, 1)
	go func() {
		// An hour before the retry: only the cancellation can end the wait.
		done <- invocation{ctx: ctx, env: sandboxEnv(srv)}.run(t, "listen", "--forward-to", rc.URL, "--secret", listenSecret,
			"--replay", "--once", "--events", "order.canceled", "--retry-wait", "1h")
	}()
	<-first
	cancel()
	select {
	case r := <-done:
		assert.Equal(t, exitError, r.code)
		assert.Contains(t, r.stdout, "-> canceled")
	case <-time.After(10 * time.Second):
		t.Fatal("listen kept waiting to retry after its context ended")
	}
	assert.Equal(t, int32(1), n.Load())
}

func TestNextPollWait(t *testing.T) {
	t.Parallel()
	busy := &tokenim.Error{HTTPStatus: http.StatusServiceUnavailable}
	assert.Equal(t, 4*time.Second, nextPollWait(2*time.Second, 2*time.Second, busy), "a failed poll doubles the wait")
	assert.Equal(t, maxPollWait, nextPollWait(50*time.Second, 2*time.Second, busy), "up to a minute")
	assert.Equal(t, 2*time.Minute, nextPollWait(2*time.Minute, 2*time.Minute, busy), "never below --interval")
	limited := &tokenim.Error{HTTPStatus: http.StatusTooManyRequests, RetryAfter: 20 * time.Second}
	assert.Equal(t, 20*time.Second, nextPollWait(2*time.Second, 2*time.Second, limited), "Retry-After wins")
	limited.RetryAfter = time.Hour
	assert.Equal(t, maxPollWait, nextPollWait(2*time.Second, 2*time.Second, limited), "a Retry-After of an hour is capped")
	assert.Equal(t, 4*time.Second, nextPollWait(2*time.Second, 2*time.Second, io.ErrUnexpectedEOF))
}
