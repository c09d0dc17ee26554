package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
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

const listenSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is a merchant's webhook endpoint built on the SDK's handler, so
// every forwarded delivery is checked by our own verifier.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	events []*tokenim.Event
	got    chan *tokenim.Event
}

func newReceiver(t *testing.T, secret string, fail bool) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan *tokenim.Event, 1000)}
	verifier, err := tokenim.NewWebhookVerifier([]string{secret})
	require.NoError(t, err)
	h, err := tokenim.NewWebhookHandler(verifier, func(_ context.Context, ev *tokenim.Event) error {
		if fail {
			return errors.New("merchant code failed")
		}
		rc.mu.Lock()
		rc.events = append(rc.events, ev)
		rc.mu.Unlock()
		rc.got <- ev
		return nil
	})
	require.NoError(t, err)
	rc.Server = httptest.NewServer(h)
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) received() []*tokenim.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*tokenim.Event(nil), rc.events...)
}

// allEvents lists the merchant's events oldest first.
func allEvents(t *testing.T, c *tokenim.Client) []*tokenim.Event {
	t.Helper()
	var evs []*tokenim.Event
	for ev, err := range c.Events.All(t.Context(), nil) {
		require.NoError(t, err)
		evs = append([]*tokenim.Event{ev}, evs...)
	}
	return evs
}

func TestListen_onceReplayForwardsSignedEvents(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	paidOrder(t, c, "ref-listen-1", 1999)
	paidOrder(t, c, "ref-listen-2", 2999)
	want := allEvents(t, c)
	require.Len(t, want, 4)

	rc := newReceiver(t, listenSecret, false)
	r := against(t, srv, "listen", "--forward-to", rc.URL, "--secret", listenSecret, "--replay", "--once")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.NotContains(t, r.stdout, listenSecret, "a secret given by the user is not echoed")

	got := rc.received()
	require.Len(t, got, len(want))
	for i, ev := range want {
		assert.Equal(t, ev.ID, got[i].ID, "oldest first")
		assert.Equal(t, ev.Type, got[i].Type)
		assert.JSONEq(t, string(ev.Data.Object), string(got[i].Data.Object), "the event body is forwarded as is")
		assert.Regexp(t, regexp.QuoteMeta(string(ev.Type))+` +`+ev.ID+` -> 200 OK$`, lineWith(t, r.stdout, ev.ID))
	}
}

func lineWith(t *testing.T, out, s string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	t.Fatalf("no line with %q in\n%s", s, out)
	return ""
}

func TestListen_generatedSecretIsPrintedAndSigns(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	paidOrder(t, sdkClient(t, srv), "ref-gen-1", 1999)

	var mu sync.Mutex
	var bodies [][]byte
	var headers []http.Header
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, headers = append(bodies, b), append(headers, r.Header.Clone())
		mu.Unlock()
	}))
	t.Cleanup(raw.Close)

	r := against(t, srv, "listen", "--forward-to", raw.URL, "--replay", "--once")
	require.Equal(t, exitOK, r.code, r.stderr)
	m := regexp.MustCompile(`Webhook signing secret: (whsec_\S+)`).FindStringSubmatch(r.stdout)
	require.NotNil(t, m, r.stdout)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 2)
	for i := range bodies {
		ev, err := tokenim.ConstructEvent(bodies[i], headers[i], m[1])
		require.NoError(t, err)
		assert.Equal(t, headers[i].Get("webhook-id"), ev.ID)
		assert.Equal(t, "application/json", headers[i].Get("Content-Type"))
		_, err = tokenim.ConstructEvent(bodies[i], headers[i], listenSecret)
		assert.ErrorIs(t, err, tokenim.ErrWebhookVerification, "signed with the printed secret, not another")
	}
}

func TestListen_eventsFilter(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	paidOrder(t, c, "ref-filter-1", 1999)
	r := against(t, srv, "trigger", "order.canceled")
	require.Equal(t, exitOK, r.code, r.stderr)
	rc := newReceiver(t, listenSecret, false)

	r = against(t, srv, "listen", "--forward-to", rc.URL, "--secret", listenSecret, "--replay", "--once", "--events", "order.paid, order.canceled")
	require.Equal(t, exitOK, r.code, r.stderr)
	var types []tokenim.EventType
	for _, ev := range rc.received() {
		types = append(types, ev.Type)
	}
	assert.Equal(t, []tokenim.EventType{tokenim.EventOrderPaid, tokenim.EventOrderCanceled}, types)
	assert.NotContains(t, r.stdout, "payment.succeeded")
}

func waitLine(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	for {
		select {
		case l := <-lines:
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no line starting %q", prefix)
		}
	}
}

func TestListen_failedDeliveriesExit1(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	r := against(t, srv, "trigger", "order.canceled")
	require.Equal(t, exitOK, r.code, r.stderr)

	failing := newReceiver(t, listenSecret, true)
	r = against(t, srv, "listen", "--forward-to", failing.URL, "--secret", listenSecret, "--replay", "--once", "--retry-wait", "1ms")
	assert.Equal(t, exitError, r.code)
	assert.Regexp(t, `order.canceled +evt_\w+ -> 500 Internal Server Error: .+ \(5 attempts\)$`, lineWith(t, r.stdout, "order.canceled"))

	// A receiver with another secret answers 400: the signature is checked.
	other := newReceiver(t, "whsec_"+strings.Repeat("QUFB", 8), false)
	r = against(t, srv, "listen", "--forward-to", other.URL, "--secret", listenSecret, "--replay", "--once")
	assert.Equal(t, exitError, r.code)
	assert.Regexp(t, `-> 400 Bad Request: invalid webhook$`, lineWith(t, r.stdout, "order.canceled"), "the handler's reason, and no retry")
	assert.Empty(t, other.received())

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	r = against(t, srv, "listen", "--forward-to", down.URL, "--secret", listenSecret, "--replay", "--once", "--retries", "1", "--retry-wait", "1ms")
	assert.Equal(t, exitError, r.code)
	assert.Regexp(t, `order.canceled +evt_\w+ -> error: `, r.stdout)
	assert.NotContains(t, r.stdout+r.stderr, listenSecret)
}

func TestListen_usageErrors(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no forward-to", []string{"listen"}, "--forward-to is required"},
		{"relative forward-to", []string{"listen", "--forward-to", "/hooks"}, "--forward-to must be an absolute http or https URL"},
		{"unknown event type", []string{"listen", "--forward-to", "http://x.test", "--events", "order.paid,order.lost"}, `--events: unknown event type "order.lost"`},
		{"removed interval", []string{"listen", "--forward-to", "http://x.test", "--interval", "2s"}, "--interval is gone: listen no longer polls"},
		{"removed interval=", []string{"listen", "--forward-to", "http://x.test", "-interval=2s"}, "--interval is gone"},
		{"bad receiver url", []string{"listen", "--forward-to", "http://x.test", "--receiver-url", "tunnel"}, "--receiver-url must be an absolute http or https URL"},
		{"negative retries", []string{"listen", "--forward-to", "http://x.test", "--retries", "-1"}, "--retries must be between 0 and 10, got -1"},
		{"zero retry wait", []string{"listen", "--forward-to", "http://x.test", "--retry-wait", "0s"}, "--retry-wait must be positive"},
		{"bad secret", []string{"listen", "--forward-to", "http://x.test", "--secret", "whsec_%%%SECRETISH%%%"}, "--secret is not a webhook secret"},
		{"argument", []string{"listen", "extra"}, `listen takes no arguments, got "extra"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := against(t, srv, tc.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "SECRETISH")
		})
	}
}

func TestListen_replayPagesThroughEveryEvent(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	for i := range 55 { // two events each: more than one page of 100
		paidOrder(t, c, "ref-page-"+strconv.Itoa(i), int64(1000+i))
	}
	want := allEvents(t, c)
	require.Len(t, want, 110)
	rc := newReceiver(t, listenSecret, false)

	r := against(t, srv, "listen", "--forward-to", rc.URL, "--secret", listenSecret, "--replay", "--once")
	require.Equal(t, exitOK, r.code, r.stderr)
	got := rc.received()
	require.Len(t, got, len(want))
	for i := range want {
		assert.Equal(t, want[i].ID, got[i].ID, "event %d", i)
	}
}

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
	select {
	case <-first:
	case r := <-done:
		t.Fatalf("listen ended before its first forward: %d\n%s%s", r.code, r.stdout, r.stderr)
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not forward the event")
	}
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
