package tokenim

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOrdersService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	expires := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	testEndpoints(t, []endpointCase{
		{
			name: "Orders.Create", method: "POST", path: "/v1/orders",
			wantBody: `{"merchant_order_id":"M-1","amount":1999,"currency":"CNY","description":"2 books","expires_at":"2026-11-21T10:00:00Z","metadata":{"cart":"42"}}`,
			respond:  orderJSON,
			call: func(c *Client) (any, error) {
				return c.Orders.Create(ctx, &OrderCreateParams{MerchantOrderID: "M-1", Amount: 1999, Currency: "CNY",
					Description: "2 books", ExpiresAt: &expires, Metadata: map[string]string{"cart": "42"}})
			},
			check: func(t *testing.T, got any) {
				o := got.(*Order)
				assert.Equal(t, "ord_123", o.ID)
				assert.Equal(t, int64(1999), o.Amount)
				assert.Equal(t, OrderStatusOpen, o.Status)
				assert.Equal(t, expires, o.ExpiresAt)
				assert.Nil(t, o.PaidAt)
				assert.Empty(t, o.PaymentID)
			},
		},
		{
			name: "Orders.Get", method: "GET", path: "/v1/orders/ord_123", respond: orderJSON,
			call:  func(c *Client) (any, error) { return c.Orders.Get(ctx, "ord_123") },
			check: func(t *testing.T, got any) { assert.Equal(t, "M-1", got.(*Order).MerchantOrderID) },
		},
		{
			name: "Orders.Cancel", method: "POST", path: "/v1/orders/ord_123/cancel",
			respond: strings.Replace(orderJSON, `"open"`, `"canceled"`, 1),
			call:    func(c *Client) (any, error) { return c.Orders.Cancel(ctx, "ord_123") },
			check:   func(t *testing.T, got any) { assert.Equal(t, OrderStatusCanceled, got.(*Order).Status) },
		},
		{
			name: "Orders.List", method: "GET", path: "/v1/orders",
			query:   url.Values{"limit": {"5"}, "status": {"paid"}, "merchant_order_id": {"M-1"}, "starting_after": {"ord_9"}},
			respond: listJSON(orderJSON),
			call: func(c *Client) (any, error) {
				return c.Orders.List(ctx, &OrderListParams{ListParams: ListParams{Limit: 5, StartingAfter: "ord_9"}, Status: OrderStatusPaid, MerchantOrderID: "M-1"})
			},
			check: func(t *testing.T, got any) {
				l := got.(*List[Order])
				assert.Equal(t, "list", l.Object)
				require.Len(t, l.Data, 1)
				assert.Equal(t, "ord_123", l.Data[0].ID)
				assert.False(t, l.HasMore)
			},
		},
	})
}
