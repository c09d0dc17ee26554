package chaos

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

const (
	webhookSeed = 11
	// maxFailures is how many attempts of one event the flaky endpoint may
	// fail. The platform makes 8 attempts (the first and 7 retries) before it
	// gives up; failing at most 5 keeps "fails half the deliveries" from
	// turning, for one unlucky event in a few hundred, into a delivery given up.
	maxFailures = 5
)

// flakyEndpoint is a merchant endpoint in front of the real
// tokenim.WebhookHandler: it fails about half of the deliveries with a 500,
// either before the handler runs or after it ran (the merchant processed the
// event but the platform sees a failure and delivers it again), and re-POSTs
// some deliveries to the handler a second time, at once or alongside the
// first. Decisions are seeded per (event id, attempt), so they do not depend
// on the order in which concurrent deliveries arrive.
type flakyEndpoint struct {
	real http.Handler

	mu                              sync.Mutex
	attempts, failures              map[string]int
	failedBefore, failedAfter, dups int
	dupStatus                       map[int]int
}

func (f *flakyEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	id := r.Header.Get(tokenim.WebhookIDHeader)
	h := fnv.New64a()
	_, _ = io.WriteString(h, id)

	f.mu.Lock()
	f.attempts[id]++
	rng := rand.New(rand.NewPCG(webhookSeed, h.Sum64()+uint64(f.attempts[id])))
	fail := f.failures[id] < maxFailures && rng.IntN(2) == 0
	failAfter := rng.IntN(2) == 0
	dup := rng.IntN(4) == 0 && (!fail || failAfter) // a 500 before handling sends nothing on
	dupAlongside := rng.IntN(2) == 0
	if fail {
		f.failures[id]++
		if failAfter {
			f.failedAfter++
		} else {
			f.failedBefore++
		}
	}
	if dup {
		f.dups++
	}
	f.mu.Unlock()

	if fail && !failAfter {
		http.Error(w, "merchant down", http.StatusInternalServerError)
		return
	}
	serve := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		f.real.ServeHTTP(rec, req)
		return rec
	}
	var res, dupRes *httptest.ResponseRecorder
	switch {
	case dup && dupAlongside:
		var wg sync.WaitGroup
		wg.Go(func() { dupRes = serve() })
		res = serve()
		wg.Wait()
	case dup:
		res = serve()
		dupRes = serve()
	default:
		res = serve()
	}
	if dupRes != nil {
		f.mu.Lock()
		f.dupStatus[dupRes.Code]++
		f.mu.Unlock()
	}
	if fail {
		http.Error(w, "merchant crashed after handling", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(res.Code)
	_, _ = w.Write(res.Body.Bytes())
}

// TestWebhookChaos_eachEventProcessedOnce delivers ~100 events from a sandbox
// with a frozen clock to a merchant endpoint that fails half the deliveries
// (before or after processing) and duplicates some, drives the platform's
// retry schedule with Advance until every event is delivered, and checks that
// the merchant's function saw every event exactly once.
func TestWebhookChaos_eachEventProcessedOnce(t *testing.T) {
	t.Parallel()
	secretBytes := bytes.Repeat([]byte{0x5a, 0xc3, 0x17, 0x9e}, 8)
	secret := tokenim.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(secretBytes)

	var mu sync.Mutex
	processed := map[string]int{}
	verifier, err := tokenim.NewWebhookVerifier([]string{secret})
	require.NoError(t, err)
	handler, err := tokenim.NewWebhookHandler(verifier, func(_ context.Context, ev *tokenim.Event) error {
		mu.Lock()
		defer mu.Unlock()
		processed[ev.ID]++
		return nil
	})
	require.NoError(t, err)
	flaky := &flakyEndpoint{real: handler, attempts: map[string]int{}, failures: map[string]int{}, dupStatus: map[int]int{}}
	merchant := httptest.NewServer(flaky)
	t.Cleanup(merchant.Close) // runs after the platform is closed

	p := newPlatform(t, sandbox.WithSeed(webhookSeed), sandbox.WithFrozenClock(time.Now().UTC().Truncate(time.Second)),
		sandbox.WithWebhookEndpoint(merchant.URL), sandbox.WithWebhookSecret(secret))
	c := p.client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// 40 paid checkouts (payment.succeeded, order.paid) and 10 refunds
	// (refund.succeeded, order.refunded once the clock passes 5 minutes):
	// 100 events.
	const checkouts, refunds = 40, 10
	for i := range checkouts {
		o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: fmt.Sprintf("wh-%03d", i), Amount: int64(1000 + i), Currency: "EUR"})
		require.NoError(t, err)
		pm, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card(goodCard, 12, 2030, "123")})
		require.NoError(t, err)
		if i < refunds {
			_, err := c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: pm.ID, Remaining: true})
			require.NoError(t, err)
		}
	}

	schedule := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	var events []*tokenim.Event
	var advanced time.Duration
	for step := 0; ; step++ {
		require.NoError(t, p.sb.FlushDeliveries(ctx))
		events = events[:0]
		for ev, err := range c.Events.All(ctx, &tokenim.EventListParams{ListParams: tokenim.ListParams{Limit: 100}}) {
			require.NoError(t, err)
			events = append(events, ev)
		}
		delivered := map[string]bool{}
		for _, d := range p.sb.Deliveries() {
			if d.Succeeded {
				delivered[d.EventID] = true
			}
			require.False(t, d.Final, "event %s was given up", d.EventID)
		}
		pending := 0
		for _, ev := range events {
			if !delivered[ev.ID] {
				pending++
			}
		}
		if pending == 0 && len(events) == 2*checkouts+2*refunds {
			break
		}
		require.Less(t, step, 2*len(schedule), "%d of %d events still undelivered after %s of sandbox time", pending, len(events), advanced)
		d := schedule[min(step, len(schedule)-1)]
		p.sb.Advance(d)
		advanced += d
	}

	require.Len(t, events, 2*checkouts+2*refunds)
	mu.Lock()
	defer mu.Unlock()
	for _, ev := range events {
		assert.Equal(t, 1, processed[ev.ID], "event %s (%s) processed exactly once", ev.ID, ev.Type)
	}
	assert.Len(t, processed, len(events), "no event processed that the platform did not send")

	flaky.mu.Lock()
	defer flaky.mu.Unlock()
	attempts := 0
	for _, n := range flaky.attempts {
		attempts += n
	}
	t.Logf("webhook chaos: %d events, %d delivery attempts over %s of sandbox time; %d failed before and %d after processing, %d duplicate POSTs answered %v",
		len(events), attempts, advanced, flaky.failedBefore, flaky.failedAfter, flaky.dups, flaky.dupStatus)
	assert.Positive(t, flaky.failedBefore)
	assert.Positive(t, flaky.failedAfter, "the platform must have re-sent events the merchant had processed")
	assert.Positive(t, flaky.dups)
	assert.Greater(t, attempts, len(events))
}
