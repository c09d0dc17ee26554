package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// runningListen is a listen started in-process, for a test to follow.
type runningListen struct {
	lines  <-chan string
	stderr *lineWriter
	cancel context.CancelFunc
	done   <-chan int
}

// startListen runs listen against srv until stop, and waits for "Ready.".
func startListen(t *testing.T, srv *sandbox.Server, args ...string) *runningListen {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	stdout, stderr := newLineWriter(), newLineWriter()
	env := sandboxEnv(srv)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"listen"}, args...), strings.NewReader(""), stdout, stderr, func(k string) string { return env[k] })
	}()
	rl := &runningListen{lines: stdout.lines, stderr: stderr, cancel: cancel, done: done}
	for {
		select {
		case l := <-stdout.lines:
			if strings.HasPrefix(l, "Ready.") {
				return rl
			}
		case code := <-done:
			t.Fatalf("listen exited %d before it was ready", code)
		case <-time.After(10 * time.Second):
			t.Fatal("listen did not get ready")
		}
	}
}

// stop cancels listen as Ctrl-C does and returns its exit code and the rest
// of its output.
func (rl *runningListen) stop(t *testing.T) (int, []string) {
	t.Helper()
	rl.cancel()
	select {
	case code := <-rl.done:
		var rest []string
		for {
			select {
			case l := <-rl.lines:
				rest = append(rest, l)
			default:
				return code, rest
			}
		}
	case <-time.After(15 * time.Second):
		t.Fatal("listen did not stop when its context ended")
		return 0, nil
	}
}

// receive waits for n forwarded events.
func receive(t *testing.T, rc *receiver, n int) []*tokenim.Event {
	t.Helper()
	var got []*tokenim.Event
	for len(got) < n {
		select {
		case ev := <-rc.got:
			got = append(got, ev)
		case <-time.After(10 * time.Second):
			t.Fatalf("listen forwarded %d of %d events", len(got), n)
		}
	}
	return got
}

func endpoints(t *testing.T, c *tokenim.Client) []*tokenim.WebhookEndpoint {
	t.Helper()
	var eps []*tokenim.WebhookEndpoint
	for ep, err := range c.WebhookEndpoints.All(t.Context(), nil) {
		require.NoError(t, err)
		eps = append(eps, ep)
	}
	return eps
}

// requestLog lists the merchant's request log as "METHOD path" lines.
func requestLog(t *testing.T, c *tokenim.Client) []string {
	t.Helper()
	var lines []string
	for lg, err := range c.RequestLogs.All(t.Context(), &tokenim.RequestLogListParams{ListParams: tokenim.ListParams{Limit: 100}}) {
		require.NoError(t, err)
		lines = append(lines, lg.Method+" "+lg.Path)
	}
	return lines
}

func TestListen_forwardsThroughATemporaryEndpointWithoutPolling(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)))
	c := sdkClient(t, srv)
	rc := newReceiver(t, listenSecret, false)
	rl := startListen(t, srv, "--forward-to", rc.URL, "--secret", listenSecret)

	// While listening: one endpoint, on loopback, subscribed to everything.
	eps := endpoints(t, c)
	require.Len(t, eps, 1)
	assert.True(t, isLoopbackURL(eps[0].URL), eps[0].URL)
	assert.Equal(t, []tokenim.EventType{"*"}, eps[0].Events)
	assert.Equal(t, endpointDescription, eps[0].Description)

	const orders = 5
	var paid []string
	for i := range orders {
		_, p := paidOrder(t, c, "ref-ep-"+string(rune('a'+i)), int64(1000+i))
		paid = append(paid, p.ID)
	}
	got := receive(t, rc, 2*orders)
	var forwardedPayments []string
	for _, ev := range got {
		if ev.Type == tokenim.EventPaymentSucceeded {
			pay, err := ev.Payment()
			require.NoError(t, err)
			forwardedPayments = append(forwardedPayments, pay.ID)
		}
	}
	assert.ElementsMatch(t, paid, forwardedPayments)

	// An event made by the sandbox's clock reaches the handler too: an
	// open order expires 30 minutes on.
	o, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: "ref-ep-expire", Amount: 500, Currency: "CNY"})
	require.NoError(t, err)
	srv.Advance(31 * time.Minute)
	exp := receive(t, rc, 1)[0]
	assert.Equal(t, tokenim.EventOrderExpired, exp.Type)
	eo, err := exp.Order()
	require.NoError(t, err)
	assert.Equal(t, o.ID, eo.ID)

	code, rest := rl.stop(t)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, rest, "Removed the temporary webhook endpoint "+eps[0].ID)
	assert.Empty(t, endpoints(t, c), "the endpoint is deleted on exit")
	assert.Len(t, rc.received(), 2*orders+1, "nothing forwarded twice")

	// The request log holds the test's own calls and listen's two: the
	// endpoint's create and delete. No GET /v1/events, whatever the count
	// of events or the time that passed.
	// The test listed the endpoints twice itself; listen once, at start,
	// to sweep endpoints a killed listen left.
	var listens []string
	listed := 0
	for _, l := range requestLog(t, c) {
		switch l {
		case "POST /v1/orders", "POST /v1/payments":
		case "GET /v1/webhook_endpoints":
			listed++
		default:
			listens = append(listens, l)
		}
	}
	assert.Equal(t, []string{"DELETE /v1/webhook_endpoints/" + eps[0].ID, "POST /v1/webhook_endpoints"}, listens, "newest first")
	assert.Equal(t, 3, listed, "the test's two lists and listen's sweep")

	// Deliveries are unordered (docs/tokenim-api.md §6): compare sets.
	var want, have []string
	for _, ev := range allEvents(t, c) {
		want = append(want, ev.ID+" "+string(ev.Type))
	}
	for _, ev := range append(got, exp) {
		have = append(have, ev.ID+" "+string(ev.Type))
	}
	assert.ElementsMatch(t, want, have, "every event, as it happens")
}

func TestListen_existingEventsOnlyWithReplay(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	paidOrder(t, c, "ref-old", 1999)
	before := allEvents(t, c)
	require.Len(t, before, 2)

	rc := newReceiver(t, listenSecret, false)
	rl := startListen(t, srv, "--forward-to", rc.URL, "--secret", listenSecret)
	r := against(t, srv, "trigger", "order.canceled")
	require.Equal(t, exitOK, r.code, r.stderr)
	got := receive(t, rc, 1)
	assert.Equal(t, tokenim.EventOrderCanceled, got[0].Type, "only the new event")
	code, _ := rl.stop(t)
	assert.Equal(t, exitOK, code)
	assert.Len(t, rc.received(), 1)

	replayed := newReceiver(t, listenSecret, false)
	rl = startListen(t, srv, "--forward-to", replayed.URL, "--secret", listenSecret, "--replay")
	all := allEvents(t, c)
	got = receive(t, replayed, len(all))
	for i := range all {
		assert.Equal(t, all[i].ID, got[i].ID, "oldest first")
	}
	code, _ = rl.stop(t)
	assert.Equal(t, exitOK, code)
	assert.Empty(t, endpoints(t, c))
}

func TestListen_eventsFilterSubscribesTheEndpoint(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	rc := newReceiver(t, listenSecret, false)
	rl := startListen(t, srv, "--forward-to", rc.URL, "--secret", listenSecret, "--events", "order.paid,order.canceled")
	eps := endpoints(t, c)
	require.Len(t, eps, 1)
	assert.Equal(t, []tokenim.EventType{tokenim.EventOrderCanceled, tokenim.EventOrderPaid}, eps[0].Events)
	paidOrder(t, c, "ref-f", 100)
	got := receive(t, rc, 1)
	assert.Equal(t, tokenim.EventOrderPaid, got[0].Type, "payment.succeeded is not sent")
	code, _ := rl.stop(t)
	assert.Equal(t, exitOK, code)
	assert.Len(t, rc.received(), 1)
}

func TestListen_receiverRefusesForgedDeliveries(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	rc := newReceiver(t, listenSecret, false)
	rl := startListen(t, srv, "--forward-to", rc.URL, "--secret", listenSecret)
	eps := endpoints(t, c)
	require.Len(t, eps, 1)

	// A delivery signed with another secret (here the one listen forwards
	// with, which is not the endpoint's) is refused and not forwarded.
	body := []byte(`{"id":"evt_forged","object":"event","type":"order.paid","data":{"object":{}}}`)
	now := time.Now()
	sig, err := tokenim.SignWebhook(listenSecret, "evt_forged", now, body)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, eps[0].URL, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set(tokenim.WebhookIDHeader, "evt_forged")
	req.Header.Set(tokenim.WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(tokenim.WebhookSignatureHeader, sig)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	code, _ := rl.stop(t)
	assert.Equal(t, exitOK, code)
	assert.Empty(t, rc.received())
}

func TestListen_refusesALoopbackReceiverForARemotePlatform(t *testing.T) {
	t.Parallel()
	r := invocation{env: map[string]string{envAPIKey: "sk_test_abc123", envMerchantID: "mch_1", envBaseURL: "https://api.example.test"}}.
		run(t, "listen", "--forward-to", "http://localhost:8080/hooks")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "cannot reach a receiver on this machine's loopback: give --receiver-url")
}

// TestMain lets a test run the real program, signals and all: the test
// binary re-run with TOKENIM_CLI_MAIN=1 is the tokenim command.
func TestMain(m *testing.M) {
	if os.Getenv("TOKENIM_CLI_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestListen_sigtermRemovesTheEndpoint(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			srv := sandbox.Start(t)
			c := sdkClient(t, srv)
			rc := newReceiver(t, listenSecret, false)
			cmd := exec.CommandContext(t.Context(), os.Args[0], "listen", "--forward-to", rc.URL, "--secret-file", writeSecretFile(t, listenSecret+"\n"))
			cmd.Env = append(os.Environ(), "TOKENIM_CLI_MAIN=1",
				envAPIKey+"="+srv.APIKey(), envMerchantID+"="+srv.MerchantID, envBaseURL+"="+srv.URL)
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(out)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			waitLine(t, lines, "Ready.")
			require.Len(t, endpoints(t, c), 1)
			paidOrder(t, c, "ref-sig", 100)
			receive(t, rc, 2)

			require.NoError(t, cmd.Process.Signal(sig))
			var rest []string
			for l := range lines {
				rest = append(rest, l)
			}
			require.NoError(t, cmd.Wait(), stderr.String())
			assert.Contains(t, strings.Join(rest, "\n"), "Removed the temporary webhook endpoint we_")
			assert.Empty(t, endpoints(t, c), "deleted on %v", sig)
		})
	}
}

func TestListen_sweepsEndpointsAKilledListenLeft(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	// A listen killed with -9 left its endpoint on a port nothing serves.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	stale, err := c.WebhookEndpoints.Create(t.Context(), &tokenim.WebhookEndpointCreateParams{URL: dead.URL + "/webhooks", Events: []tokenim.EventType{"*"}, Description: endpointDescription})
	require.NoError(t, err)
	// Another listen still running, and the merchant's own endpoint on a
	// dead port, are left alone.
	alive := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(alive.Close)
	other, err := c.WebhookEndpoints.Create(t.Context(), &tokenim.WebhookEndpointCreateParams{URL: alive.URL + "/webhooks", Events: []tokenim.EventType{"*"}, Description: endpointDescription})
	require.NoError(t, err)
	own, err := c.WebhookEndpoints.Create(t.Context(), &tokenim.WebhookEndpointCreateParams{URL: dead.URL + "/mine", Events: []tokenim.EventType{"*"}, Description: "my shop"})
	require.NoError(t, err)

	rc := newReceiver(t, listenSecret, false)
	rl := startListen(t, srv, "--forward-to", rc.URL, "--secret", listenSecret)
	var ids []string
	for _, ep := range endpoints(t, c) {
		ids = append(ids, ep.ID)
	}
	assert.NotContains(t, ids, stale.ID, "the stale endpoint is removed")
	assert.Contains(t, ids, other.ID)
	assert.Contains(t, ids, own.ID)
	assert.Len(t, ids, 3, "the two kept and listen's own")
	code, _ := rl.stop(t)
	assert.Equal(t, exitOK, code)
}
