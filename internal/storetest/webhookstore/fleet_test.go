package webhookstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqltest"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
	"github.com/tokenim/tokenim-go/webhookstore"
)

const (
	fleetSize   = 4
	fleetOrders = 500 // two events each (payment.succeeded, order.paid)
	killAfter   = 25  // the doomed instance dies inside its 25th event
	doomed      = 2
)

// fleet is four handler instances, each with its own *sql.DB, behind a
// round-robin proxy that also duplicates some deliveries to a second
// instance at once.
type fleet struct {
	t         *testing.T
	instances [fleetSize]*httptest.Server
	dead      [fleetSize]atomic.Bool
	next      atomic.Uint64
	client    *http.Client

	mu       sync.Mutex
	effects  map[string]int // event id → times its side effect ran
	calls    map[string]int // event id → times fn ran
	answers  map[int]int    // status → deliveries answered so
	captured []capturedDelivery
}

type capturedDelivery struct {
	header http.Header
	body   []byte
}

func (f *fleet) alive() []int {
	var out []int
	for i := range f.instances {
		if !f.dead[i].Load() {
			out = append(out, i)
		}
	}
	return out
}

func (f *fleet) forward(i int, header http.Header, body []byte) int {
	req, _ := http.NewRequest(http.MethodPost, f.instances[i].URL, bytes.NewReader(body))
	req.Header = header.Clone()
	resp, err := f.client.Do(req)
	if err != nil {
		return http.StatusBadGateway
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// ServeHTTP is the proxy: round robin over live instances; every tenth
// delivery is sent to two instances at once, as a platform resending after
// a timeout would.
func (f *fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n := f.next.Add(1)
	alive := f.alive()
	first := alive[int(n)%len(alive)]
	f.mu.Lock()
	if len(f.captured) < 300 {
		f.captured = append(f.captured, capturedDelivery{header: r.Header.Clone(), body: body})
	}
	f.mu.Unlock()
	var dup sync.WaitGroup
	if n%10 == 0 && len(alive) > 1 {
		second := alive[int(n+1)%len(alive)]
		dup.Add(1)
		go func() { defer dup.Done(); f.count(f.forward(second, r.Header, body)) }()
	}
	status := f.forward(first, r.Header, body)
	dup.Wait()
	f.count(status)
	w.WriteHeader(status)
}

func (f *fleet) count(status int) {
	f.mu.Lock()
	f.answers[status]++
	f.mu.Unlock()
}

// failsFirst picks the events whose first run fails (one in eight), so
// the platform retries them.
func failsFirst(id string) bool {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()%8 == 0
}

func TestFleet_eachEventProcessedOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *sqltest.DB) {
		ctx := context.Background()
		f := &fleet{t: t, effects: map[string]int{}, calls: map[string]int{}, answers: map[int]int{},
			client: &http.Client{Timeout: 30 * time.Second}}
		proxy := httptest.NewServer(f)
		t.Cleanup(proxy.Close)
		client, sb := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Now().UTC()), sandbox.WithWebhookEndpoint(proxy.URL))
		require.NoError(t, webhookstore.Migrate(ctx, d.Open()))

		// The doomed instance blocks inside fn as if its process froze,
		// then is cut off; it never finishes, so its claim stays until
		// the lease ends (in sandbox time, which the test drives).
		entered := make(chan string, 1)
		unblock := make(chan struct{})
		var doomedSeen atomic.Int32
		for i := range f.instances {
			store, err := webhookstore.New(d.Open(), webhookstore.WithClock(sb.Clock().Now), webhookstore.WithLease(time.Minute))
			require.NoError(t, err)
			fn := func(_ context.Context, ev *tokenim.Event) error {
				if i == doomed && doomedSeen.Add(1) == killAfter {
					entered <- ev.ID
					<-unblock
					return errors.New("process died")
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				f.calls[ev.ID]++
				if f.calls[ev.ID] == 1 && failsFirst(ev.ID) {
					return errors.New("downstream unavailable")
				}
				f.effects[ev.ID]++
				return nil
			}
			verifier, err := tokenim.NewWebhookVerifier([]string{sb.WebhookSecret()})
			require.NoError(t, err)
			h, err := tokenim.NewWebhookHandler(verifier, fn, tokenim.WithWebhookIDStore(store))
			require.NoError(t, err)
			f.instances[i] = httptest.NewServer(h)
		}
		t.Cleanup(func() {
			close(unblock)
			for _, s := range f.instances {
				s.Close()
			}
		})

		var wg sync.WaitGroup
		orders := make(chan int)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range orders {
					o, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: fmt.Sprintf("fleet-%d", i), Amount: int64(100 + i), Currency: "USD"})
					if !assert.NoError(t, err) {
						continue
					}
					_, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletPayPal)})
					assert.NoError(t, err)
				}
			}()
		}
		var killedEvent string
		for i := range fleetOrders {
			select {
			case killedEvent = <-entered:
				f.dead[doomed].Store(true)
				f.instances[doomed].CloseClientConnections()
			default:
			}
			orders <- i
		}
		close(orders)
		wg.Wait()
		if killedEvent == "" {
			select {
			case killedEvent = <-entered:
			case <-time.After(time.Minute):
				t.Fatal("the doomed instance never received its fatal event")
			}
			f.dead[doomed].Store(true)
			f.instances[doomed].CloseClientConnections()
		}

		// Drive the platform's retry schedule (5 s, 5 min, 30 min, …)
		// until every event is handled.
		events := sb.Events(sb.MerchantID)
		require.Len(t, events, 2*fleetOrders)
		for round := 0; round < 12 && f.handled() < len(events); round++ {
			require.NoError(t, sb.FlushDeliveries(ctx))
			sb.Advance(10 * time.Minute)
		}
		require.NoError(t, sb.FlushDeliveries(ctx))

		// Resends of deliveries already handled change nothing.
		for _, c := range f.captured {
			req := httptest.NewRequest(http.MethodPost, proxy.URL, bytes.NewReader(c.body))
			req.Header = c.header
			rec := httptest.NewRecorder()
			f.ServeHTTP(rec, req)
			assert.Equal(t, http.StatusOK, rec.Code)
		}

		f.mu.Lock()
		defer f.mu.Unlock()
		for _, raw := range events {
			var ev struct{ ID string }
			require.NoError(t, json.Unmarshal(raw, &ev))
			assert.Equal(t, 1, f.effects[ev.ID], "event %s processed exactly once across the fleet", ev.ID)
		}
		assert.Len(t, f.effects, len(events))
		assert.Equal(t, 1, f.effects[killedEvent], "the event the dead instance held was taken over after its lease")
		fnRuns, delivered := 0, 0
		for _, n := range f.calls {
			fnRuns += n
		}
		for _, n := range f.answers {
			delivered += n
		}
		t.Logf("%s: %d events processed once each by %d instances (one killed mid-event); %d deliveries (incl. %d resends and the proxy's duplicates), answers %v; fn ran %d times (%d failed first runs retried); %d duplicate deliveries suppressed",
			d.Engine, len(f.effects), fleetSize, delivered, len(f.captured), f.answers, fnRuns, fnRuns-len(f.effects), f.answers[http.StatusOK]-len(f.effects)+f.answers[http.StatusConflict])
	})
}

func (f *fleet) handled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.effects)
}
