package sandbox

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSandbox_manyClientsWhileTheClockRuns pays, refunds and cancels from
// many goroutines while another advances the clock and webhooks fly, then
// checks the invariants a merchant relies on.
func TestSandbox_manyClientsWhileTheClockRuns(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 200)
	srv := Start(t, WithFrozenClock(t0), WithWebhookEndpoint(rc.URL))
	other := srv.AddMerchant()

	const clients, perClient = 8, 6
	stop := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Add(1)
	go func() {
		defer ticker.Done()
		// 200 steps of 5 s stay inside the orders' 30 minutes but let
		// refunds (5 min) complete while clients are still busy.
		for range 200 {
			select {
			case <-stop:
				return
			default:
				srv.Advance(5 * time.Second)
			}
		}
	}()

	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := srv.DefaultMerchant()
			if c%2 == 1 {
				m = other
			}
			for i := range perClient {
				o := apiAs(t, srv, m, "POST", "/v1/orders", map[string]any{
					"merchant_order_id": fmt.Sprintf("c%d-%d", c, i), "amount": 1000 + i, "currency": "CNY",
				})
				if o.status != 200 {
					t.Errorf("create order: %d %s", o.status, o.raw)
					return
				}
				var body map[string]any
				switch i % 3 {
				case 0:
					body = cardPayment(o.str("id"), "4242424242424242")
				case 1:
					body = map[string]any{"order_id": o.str("id"), "method": map[string]any{"type": "bank_transfer"}}
				default:
					body = map[string]any{"order_id": o.str("id"), "method": map[string]any{"type": "wallet", "wallet": map[string]any{"provider": "alipay"}}}
				}
				key := fmt.Sprintf("pay-%d-%d", c, i)
				p1 := apiAs(t, srv, m, "POST", "/v1/payments", body, "Idempotency-Key", key)
				p2 := apiAs(t, srv, m, "POST", "/v1/payments", body, "Idempotency-Key", key)
				if p1.status == 200 && p2.status == 200 {
					assert.Equal(t, p1.str("id"), p2.str("id"))
				}
				if p1.str("status") == "succeeded" {
					apiAs(t, srv, m, "POST", "/v1/refunds", map[string]any{"payment_id": p1.str("id"), "amount": 400})
					apiAs(t, srv, m, "POST", "/v1/refunds", map[string]any{"payment_id": p1.str("id")})
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	ticker.Wait()
	srv.Advance(2 * time.Hour)
	flush(t, srv)

	for _, m := range []Merchant{srv.DefaultMerchant(), other} {
		orders := apiAs(t, srv, m, "GET", "/v1/orders?limit=100", nil).body["data"].([]any)
		require.Len(t, orders, clients/2*perClient)
		for _, x := range orders {
			o := x.(map[string]any)
			pays := apiAs(t, srv, m, "GET", "/v1/payments?limit=100&status=succeeded&order_id="+o["id"].(string), nil).body["data"].([]any)
			assert.LessOrEqual(t, len(pays), 1, "an order is never paid twice")
			if len(pays) == 1 {
				assert.Contains(t, []string{"paid", "partially_refunded", "refunded"}, o["status"])
				assert.LessOrEqual(t, o["amount_refunded"].(float64), o["amount"].(float64))
			}
		}
	}
	for _, d := range srv.Deliveries() {
		assert.True(t, d.Succeeded)
	}
}
