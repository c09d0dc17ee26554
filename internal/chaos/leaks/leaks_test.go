// Package leaks checks that the client, the webhook handler and the sandbox
// leave no goroutine behind (goleak at the end of the package's tests), each
// scenario pushed through its failure paths: dropped connections, retries,
// cancelled calls, failing and panicking webhook functions, duplicate
// deliveries, and a sandbox closed while deliveries and calls are in flight.
//
// The package holds only these scenarios, so a leak that VerifyTestMain
// reports belongs to one of them; per-test goleak.VerifyNone would forbid
// t.Parallel.
package leaks

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const goodCard = "4242424242424242"

func newClient(t *testing.T, srv *sandbox.Server, hc *http.Client) *tokenim.Client {
	t.Helper()
	opts := []tokenim.Option{
		tokenim.WithBaseURL(srv.URL),
		tokenim.WithMerchantID(srv.MerchantID),
		tokenim.WithRetryWait(time.Millisecond, 5*time.Millisecond),
	}
	if hc != nil {
		opts = append(opts, tokenim.WithHTTPClient(hc))
	}
	c, err := tokenim.NewClient(srv.APIKey(), opts...)
	require.NoError(t, err)
	return c
}

// traffic runs a few checkouts and reads; under faults any call may fail.
func traffic(ctx context.Context, c *tokenim.Client, prefix string, n int) (ok int) {
	for i := range n {
		o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: fmt.Sprintf("%s-%d", prefix, i), Amount: 1000, Currency: "USD"})
		var uo *tokenim.UnknownOutcomeError
		if errors.As(err, &uo) {
			o, err = c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: fmt.Sprintf("%s-%d", prefix, i), Amount: 1000, Currency: "USD"},
				tokenim.WithIdempotencyKey(uo.IdempotencyKey))
		}
		if err != nil {
			continue
		}
		if _, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card(goodCard, 12, 2030, "123")}); err == nil {
			ok++
		}
		_, _ = c.Orders.Get(ctx, o.ID)
		_, _ = c.Orders.List(ctx, nil)
	}
	return ok
}

// TestLeaks_clientUnderFaults makes many calls through dropped connections
// (before and after commit), 503s, 429s and retries, and calls whose context
// ends while the sandbox delays them. Once CloseIdleConnections is called,
// and while the sandbox is still up, no goroutine started by the client or
// its transport may remain.
//
// It is the one test here that is not parallel: goleak.VerifyNone has to see
// the process while no other test runs, and it must look before the
// server's Close hangs up every connection and hides a client that keeps
// its own. Go runs sequential tests before it resumes the parallel ones.
func TestLeaks_clientUnderFaults(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Seed: 3, Rules: []sandbox.FaultRule{
		{Path: "/v1/events", Kind: sandbox.FaultLatency, MS: 200, Rate: 1},
		{Kind: sandbox.FaultDropBeforeCommit, Rate: 0.15},
		{Kind: sandbox.FaultDropAfterCommit, Rate: 0.2},
		{Kind: sandbox.FaultErrorBeforeCommit, Status: 503, Rate: 0.1},
		{Kind: sandbox.FaultRateLimit, RetryAfter: 1, Rate: 0.05},
	}}))
	ignoreServer := goleak.IgnoreCurrent()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	c := newClient(t, srv, &http.Client{Transport: tr})
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	paid := 0
	for w := range 4 {
		wg.Go(func() {
			n := traffic(ctx, c, fmt.Sprintf("leak-%d", w), 25)
			mu.Lock()
			paid += n
			mu.Unlock()
		})
	}
	// Calls abandoned mid-flight: the context ends while the sandbox holds them.
	for range 5 {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			_, err := c.Events.List(cctx, nil)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		})
	}
	wg.Wait()
	assert.Positive(t, paid, "some checkouts get through the faults")

	tr.CloseIdleConnections()
	// The sandbox's side of each closed connection ends on its own; only
	// the client's goroutines matter here.
	goleak.VerifyNone(t, ignoreServer, goleak.IgnoreTopFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http.(*connReader).backgroundRead"))
}

// TestLeaks_webhookHandler sends signed, duplicate (also concurrent),
// failing, panicking, forged and oversized deliveries to a WebhookHandler.
func TestLeaks_webhookHandler(t *testing.T) {
	t.Parallel()
	secret := tokenim.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	var mu sync.Mutex
	seen := map[string]int{}
	verifier, err := tokenim.NewWebhookVerifier([]string{secret})
	require.NoError(t, err)
	h, err := tokenim.NewWebhookHandler(verifier, func(_ context.Context, ev *tokenim.Event) error {
		mu.Lock()
		n := seen[ev.ID]
		seen[ev.ID]++
		mu.Unlock()
		switch {
		case ev.ID[len(ev.ID)-1] == '3' && n == 0:
			return errors.New("merchant database down")
		case ev.ID[len(ev.ID)-1] == '7' && n == 0:
			panic("merchant bug")
		}
		return nil
	})
	require.NoError(t, err)
	ts := httptest.NewServer(h)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer func() {
		tr.CloseIdleConnections()
		ts.Close()
	}()

	post := func(req *http.Request) int {
		res, err := hc.Do(req)
		if !assert.NoError(t, err) {
			return 0
		}
		defer res.Body.Close()
		return res.StatusCode
	}
	signed := func(id string, body json.RawMessage) *http.Request {
		req, err := tokenimtest.NewSignedWebhookRequest(ts.URL, secret, &tokenim.Event{
			ID: id, Object: "event", Type: tokenim.EventOrderPaid, CreatedAt: time.Now().UTC().Truncate(time.Second),
			APIVersion: tokenim.APIVersion, Data: tokenim.EventData{Object: body},
		})
		require.NoError(t, err)
		return req
	}
	order := json.RawMessage(`{"id":"ord_1","object":"order","status":"paid"}`)
	var wg sync.WaitGroup
	for i := range 40 {
		id := fmt.Sprintf("evt_leak%03d", i)
		wg.Go(func() {
			var inner sync.WaitGroup
			for range 3 { // the same event three times at once
				inner.Go(func() { post(signed(id, order)) })
			}
			inner.Wait()
			assert.Equal(t, http.StatusOK, post(signed(id, order)), "event %s is handled by its last retry", id)
		})
	}
	wg.Go(func() {
		forged := signed("evt_forged", order)
		forged.Header.Set(tokenim.WebhookSignatureHeader, "v1,"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)))
		assert.Equal(t, http.StatusBadRequest, post(forged))
		big, err := http.NewRequest(http.MethodPost, ts.URL, bytes.NewReader(bytes.Repeat([]byte{'x'}, 2<<20)))
		require.NoError(t, err)
		code := post(big)
		assert.True(t, code == http.StatusRequestEntityTooLarge || code == http.StatusBadRequest, "oversized body answered %d", code)
	})
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	assert.Len(t, seen, 40)
}

// TestLeaks_sandboxCloseWithDeliveriesInFlight closes a sandbox while its
// webhook deliveries hang on a slow merchant and calls are still arriving:
// Close returns and every goroutine of the sandbox (timers, deliveries,
// connections) ends.
func TestLeaks_sandboxCloseWithDeliveriesInFlight(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	var once sync.Once
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body to its end lets the server notice the sandbox
		// hanging up, which cancels r.Context().
		_, _ = io.Copy(io.Discard, r.Body)
		once.Do(func() { close(arrived) })
		<-r.Context().Done() // hang until the sandbox gives up the attempt
	}))
	defer merchant.Close()
	srv := sandbox.NewServer(sandbox.WithWebhookEndpoint(merchant.URL))
	defer srv.Close() // idempotent; the test closes it below
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	c := newClient(t, srv, &http.Client{Transport: tr})
	ctx := context.Background()

	require.Equal(t, 5, traffic(ctx, c, "inflight", 5))
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "no webhook delivery reached the merchant")
	}

	// Calls still arriving while the sandbox shuts down.
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Rules: []sandbox.FaultRule{{Kind: sandbox.FaultLatency, MS: 50, Rate: 1}}}))
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() { traffic(ctx, c, fmt.Sprintf("closing-%d", i), 3) })
	}
	closed := make(chan struct{})
	go func() {
		srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		require.FailNow(t, "sandbox Close hangs with deliveries in flight")
	}
	wg.Wait()
	require.NoError(t, srv.FlushDeliveries(ctx), "no delivery is in flight after Close")
}

// TestLeaks_defaultTransportIsReleased: a Client built without
// WithHTTPClient keeps its keep-alive connections (two goroutines each) in
// the SDK's shared transport; CloseIdleConnections releases them.
func TestLeaks_defaultTransportIsReleased(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	ignoreServer := goleak.IgnoreCurrent()
	c := newClient(t, srv, nil)
	require.Equal(t, 3, traffic(context.Background(), c, "default", 3))
	c.CloseIdleConnections()
	goleak.VerifyNone(t, ignoreServer, goleak.IgnoreTopFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http.(*connReader).backgroundRead"))
}
