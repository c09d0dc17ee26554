package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

func TestListen_skipsExistingEventsUnlessReplay(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	paidOrder(t, sdkClient(t, srv), "ref-skip-1", 1999)
	rc := newReceiver(t, listenSecret, false)

	r := against(t, srv, "listen", "--forward-to", rc.URL, "--secret", listenSecret, "--once")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Empty(t, rc.received())
	assert.NotContains(t, r.stdout, "->")
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

func TestListen_followsNewEventsUntilCanceled(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	paidOrder(t, c, "ref-before", 1999)
	before := allEvents(t, c)
	rc := newReceiver(t, listenSecret, false)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout := newLineWriter()
	var stderr strings.Builder
	env := sandboxEnv(srv)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"listen", "--forward-to", rc.URL, "--secret", listenSecret, "--interval", "10ms"},
			strings.NewReader(""), stdout, &stderr, func(k string) string { return env[k] })
	}()
	waitLine(t, stdout.lines, "Ready.")

	_, p := paidOrder(t, c, "ref-after", 4999)
	var got []*tokenim.Event
	for len(got) < 2 {
		select {
		case ev := <-rc.got:
			got = append(got, ev)
		case <-time.After(10 * time.Second):
			t.Fatalf("listen forwarded %d of 2 events", len(got))
		}
	}
	assert.Equal(t, tokenim.EventPaymentSucceeded, got[0].Type)
	assert.Equal(t, tokenim.EventOrderPaid, got[1].Type)
	pay, err := got[0].Payment()
	require.NoError(t, err)
	assert.Equal(t, p.ID, pay.ID)
	for _, ev := range before {
		assert.NotEqual(t, ev.ID, got[0].ID)
		assert.NotEqual(t, ev.ID, got[1].ID)
	}

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("listen did not stop when its context ended")
	}
	assert.Len(t, rc.received(), 2, "nothing forwarded twice")
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
	r = against(t, srv, "listen", "--forward-to", failing.URL, "--secret", listenSecret, "--replay", "--once")
	assert.Equal(t, exitError, r.code)
	assert.Regexp(t, `order.canceled +evt_\w+ -> 500 Internal Server Error`, r.stdout)

	// A receiver with another secret answers 400: the signature is checked.
	other := newReceiver(t, "whsec_"+strings.Repeat("QUFB", 8), false)
	r = against(t, srv, "listen", "--forward-to", other.URL, "--secret", listenSecret, "--replay", "--once")
	assert.Equal(t, exitError, r.code)
	assert.Regexp(t, `-> 400 Bad Request`, r.stdout)
	assert.Empty(t, other.received())

	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	r = against(t, srv, "listen", "--forward-to", down.URL, "--secret", listenSecret, "--replay", "--once")
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
		{"zero interval", []string{"listen", "--forward-to", "http://x.test", "--interval", "0s"}, "--interval must be positive"},
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
