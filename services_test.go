package tokenim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const refundJSON = `{"id":"re_1","object":"refund","payment_id":"pay_123","order_id":"ord_123","amount":500,"currency":"CNY",
"reason":"duplicate","status":"pending","failure_code":null,"created_at":"2026-11-21T09:30:00Z","succeeded_at":null,"metadata":{"k":"v"}}`

const eventJSON = `{"id":"evt_1","object":"event","type":"payment.succeeded","created_at":"2026-11-21T09:30:01Z",
"api_version":"2026-11-01","data":{"object":` + paymentJSON + `}}`

const endpointJSON = `{"id":"we_1","object":"webhook_endpoint","url":"https://shop.example/hook","events":["*"],
"description":null,"status":"enabled","created_at":"2026-11-21T09:30:00Z","secret":"whsec_c2VjcmV0"}`

func listJSON(items ...string) string {
	return `{"object":"list","data":[` + strings.Join(items, ",") + `],"has_more":false}`
}

func TestServices_everyEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	expires := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		method   string
		path     string
		query    url.Values
		wantBody string // JSON; empty means no body
		respond  string
		call     func(c *Client) (any, error)
		check    func(t *testing.T, got any)
	}{
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
		{
			name: "Payments.Create card", method: "POST", path: "/v1/payments",
			wantBody: `{"order_id":"ord_123","method":{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}},"metadata":{"a":"b"}}`,
			respond:  paymentJSON,
			call: func(c *Client) (any, error) {
				return c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_123", Method: Card("4242424242424242", 12, 2030, "123"), Metadata: map[string]string{"a": "b"}})
			},
			check: func(t *testing.T, got any) {
				p := got.(*Payment)
				assert.Equal(t, PaymentStatusSucceeded, p.Status)
				require.NotNil(t, p.Method.Card)
				assert.Equal(t, PaymentMethodCard{Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030}, *p.Method.Card)
				assert.Equal(t, int64(88), p.Fee)
				assert.Equal(t, int64(1911), p.Net)
				require.NotNil(t, p.SucceededAt)
				assert.Equal(t, time.Date(2026, 11, 21, 9, 30, 1, 0, time.UTC), *p.SucceededAt)
				assert.Nil(t, p.NextAction)
			},
		},
		{
			name: "Payments.Create wallet", method: "POST", path: "/v1/payments",
			wantBody: `{"order_id":"ord_123","method":{"type":"wallet","wallet":{"provider":"alipay"}}}`,
			respond:  paymentJSON,
			call: func(c *Client) (any, error) {
				return c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_123", Method: Wallet(WalletAlipay)})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "pay_123", got.(*Payment).ID) },
		},
		{
			name: "Payments.Create bank transfer", method: "POST", path: "/v1/payments",
			wantBody: `{"order_id":"ord_123","method":{"type":"bank_transfer"}}`,
			respond: `{"id":"pay_7","object":"payment","status":"requires_action","next_action":{"type":"otp"},
				"method":{"type":"wallet","wallet":{"provider":"paypal"}}}`,
			call: func(c *Client) (any, error) {
				return c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_123", Method: BankTransfer()})
			},
			check: func(t *testing.T, got any) {
				p := got.(*Payment)
				require.NotNil(t, p.NextAction)
				assert.Equal(t, "otp", p.NextAction.Type)
				assert.Equal(t, WalletPayPal, p.Method.Wallet.Provider)
			},
		},
		{
			name: "Payments.Get", method: "GET", path: "/v1/payments/pay_123", respond: paymentJSON,
			call:  func(c *Client) (any, error) { return c.Payments.Get(ctx, "pay_123") },
			check: func(t *testing.T, got any) { assert.Equal(t, "ord_123", got.(*Payment).OrderID) },
		},
		{
			name: "Payments.Confirm", method: "POST", path: "/v1/payments/pay_123/confirm", wantBody: `{"otp":"000000"}`,
			respond: paymentJSON,
			call: func(c *Client) (any, error) {
				return c.Payments.Confirm(ctx, "pay_123", &PaymentConfirmParams{OTP: "000000"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, PaymentStatusSucceeded, got.(*Payment).Status) },
		},
		{
			name: "Payments.Cancel", method: "POST", path: "/v1/payments/pay_123/cancel",
			respond: strings.Replace(paymentJSON, `"succeeded"`, `"canceled"`, 1),
			call:    func(c *Client) (any, error) { return c.Payments.Cancel(ctx, "pay_123") },
			check:   func(t *testing.T, got any) { assert.Equal(t, PaymentStatusCanceled, got.(*Payment).Status) },
		},
		{
			name: "Payments.Receipt", method: "GET", path: "/v1/payments/pay_123/receipt",
			respond: `{"object":"receipt","receipt_number":"RCPT-20261121-000001","payment_id":"pay_123","order_id":"ord_123",
				"merchant_order_id":"M-1","amount":1999,"currency":"CNY","fee":88,"method_summary":"visa •••• 4242","paid_at":"2026-11-21T09:30:01Z"}`,
			call: func(c *Client) (any, error) { return c.Payments.Receipt(ctx, "pay_123") },
			check: func(t *testing.T, got any) {
				r := got.(*Receipt)
				assert.Equal(t, "visa •••• 4242", r.MethodSummary)
				assert.Equal(t, "RCPT-20261121-000001", r.ReceiptNumber)
				assert.Equal(t, int64(88), r.Fee)
			},
		},
		{
			name: "Payments.List", method: "GET", path: "/v1/payments",
			query: url.Values{"order_id": {"ord_123"}, "status": {"failed"}}, respond: listJSON(paymentJSON),
			call: func(c *Client) (any, error) {
				return c.Payments.List(ctx, &PaymentListParams{OrderID: "ord_123", Status: PaymentStatusFailed})
			},
			check: func(t *testing.T, got any) { assert.Len(t, got.(*List[Payment]).Data, 1) },
		},
		{
			name: "Refunds.Create", method: "POST", path: "/v1/refunds",
			wantBody: `{"payment_id":"pay_123","amount":500,"reason":"duplicate"}`, respond: refundJSON,
			call: func(c *Client) (any, error) {
				return c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Amount: 500, Reason: RefundReasonDuplicate})
			},
			check: func(t *testing.T, got any) {
				r := got.(*Refund)
				assert.Equal(t, RefundStatusPending, r.Status)
				assert.Equal(t, RefundReasonDuplicate, r.Reason)
				assert.Nil(t, r.SucceededAt)
			},
		},
		{
			name: "Refunds.Create full", method: "POST", path: "/v1/refunds",
			wantBody: `{"payment_id":"pay_123"}`, respond: refundJSON,
			call: func(c *Client) (any, error) {
				return c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Remaining: true})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "re_1", got.(*Refund).ID) },
		},
		{
			name: "Refunds.Get", method: "GET", path: "/v1/refunds/re_1", respond: refundJSON,
			call:  func(c *Client) (any, error) { return c.Refunds.Get(ctx, "re_1") },
			check: func(t *testing.T, got any) { assert.Equal(t, map[string]string{"k": "v"}, got.(*Refund).Metadata) },
		},
		{
			name: "Refunds.List", method: "GET", path: "/v1/refunds", query: url.Values{"payment_id": {"pay_123"}},
			respond: listJSON(refundJSON),
			call: func(c *Client) (any, error) {
				return c.Refunds.List(ctx, &RefundListParams{PaymentID: "pay_123"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "re_1", got.(*List[Refund]).Data[0].ID) },
		},
		{
			name: "Events.Get", method: "GET", path: "/v1/events/evt_1", respond: eventJSON,
			call: func(c *Client) (any, error) { return c.Events.Get(ctx, "evt_1") },
			check: func(t *testing.T, got any) {
				e := got.(*Event)
				assert.Equal(t, EventPaymentSucceeded, e.Type)
				p, err := e.Payment()
				require.NoError(t, err)
				assert.Equal(t, "pay_123", p.ID)
			},
		},
		{
			name: "Events.List", method: "GET", path: "/v1/events", query: url.Values{"type": {"order.paid"}, "limit": {"100"}},
			respond: listJSON(eventJSON),
			call: func(c *Client) (any, error) {
				return c.Events.List(ctx, &EventListParams{ListParams: ListParams{Limit: 100}, Type: EventOrderPaid})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "evt_1", got.(*List[Event]).Data[0].ID) },
		},
		{
			name: "WebhookEndpoints.Create", method: "POST", path: "/v1/webhook_endpoints",
			wantBody: `{"url":"https://shop.example/hook","events":["payment.succeeded","refund.failed"],"description":"main"}`,
			respond:  endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.Create(ctx, &WebhookEndpointCreateParams{URL: "https://shop.example/hook",
					Events: []EventType{EventPaymentSucceeded, EventRefundFailed}, Description: "main"})
			},
			check: func(t *testing.T, got any) {
				w := got.(*WebhookEndpoint)
				assert.Equal(t, "whsec_c2VjcmV0", w.Secret)
				assert.Equal(t, []EventType{"*"}, w.Events)
				assert.Equal(t, WebhookEndpointEnabled, w.Status)
			},
		},
		{
			name: "WebhookEndpoints.List", method: "GET", path: "/v1/webhook_endpoints", respond: listJSON(endpointJSON),
			call:  func(c *Client) (any, error) { return c.WebhookEndpoints.List(ctx, nil) },
			check: func(t *testing.T, got any) { assert.Equal(t, "we_1", got.(*List[WebhookEndpoint]).Data[0].ID) },
		},
		{
			name: "WebhookEndpoints.Get", method: "GET", path: "/v1/webhook_endpoints/we_1", respond: endpointJSON,
			call: func(c *Client) (any, error) { return c.WebhookEndpoints.Get(ctx, "we_1") },
			check: func(t *testing.T, got any) {
				w := got.(*WebhookEndpoint)
				assert.Equal(t, "we_1", w.ID)
				assert.Equal(t, "https://shop.example/hook", w.URL)
			},
		},
		{
			name: "WebhookEndpoints.Delete", method: "DELETE", path: "/v1/webhook_endpoints/we_1",
			respond: `{"id":"we_1","object":"webhook_endpoint","deleted":true}`,
			call:    func(c *Client) (any, error) { return c.WebhookEndpoints.Delete(ctx, "we_1") },
			check: func(t *testing.T, got any) {
				assert.Equal(t, &DeletedWebhookEndpoint{ID: "we_1", Object: "webhook_endpoint", Deleted: true}, got)
			},
		},
		{
			name: "WebhookEndpoints.RotateSecret", method: "POST", path: "/v1/webhook_endpoints/we_1/rotate_secret",
			wantBody: `{"expire_old_after_seconds":3600}`, respond: endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.RotateSecret(ctx, "we_1", &WebhookEndpointRotateParams{ExpireOldAfter: time.Hour})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "whsec_c2VjcmV0", got.(*WebhookEndpoint).Secret) },
		},
		{
			name: "WebhookEndpoints.RotateSecret now", method: "POST", path: "/v1/webhook_endpoints/we_1/rotate_secret",
			wantBody: `{"expire_old_after_seconds":0}`, respond: endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.RotateSecret(ctx, "we_1", &WebhookEndpointRotateParams{ExpireOldNow: true})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "we_1", got.(*WebhookEndpoint).ID) },
		},
		{
			name: "WebhookEndpoints.RotateSecret default", method: "POST", path: "/v1/webhook_endpoints/we_1/rotate_secret",
			wantBody: `{}`, respond: endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.RotateSecret(ctx, "we_1", nil)
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "we_1", got.(*WebhookEndpoint).ID) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newTestClient(t)
			var rec recorder
			mt.RegisterResponder(tc.method, testBaseURL+tc.path, rec.handle(func(int, *http.Request) (*http.Response, error) {
				return rawJSONResponse(200, tc.respond), nil
			}))

			got, err := tc.call(c)

			require.NoError(t, err)
			reqs := rec.Requests()
			require.Len(t, reqs, 1)
			r := reqs[0]
			assert.Equal(t, tc.method, r.Method)
			assert.Equal(t, tc.path, r.Path)
			gotQuery, err := url.ParseQuery(r.Query)
			require.NoError(t, err)
			if tc.query == nil {
				assert.Empty(t, gotQuery)
			} else {
				assert.Equal(t, tc.query, gotQuery)
			}
			if tc.wantBody == "" {
				assert.Empty(t, r.Body)
			} else {
				assert.JSONEq(t, tc.wantBody, string(r.Body))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}
			assert.Equal(t, "Bearer "+testKey, r.Header.Get("Authorization"))
			assert.Equal(t, tc.method == "POST", r.Header.Get("Idempotency-Key") != "")
			tc.check(t, got)
		})
	}
}

func TestServices_rejectInvalidInputWithoutRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	okOrder := func(f func(p *OrderCreateParams)) *OrderCreateParams {
		p := orderParams()
		f(p)
		return p
	}
	bigMeta := map[string]string{}
	for i := range 21 {
		bigMeta[strings.Repeat("k", i+1)] = "v"
	}
	card := func(number string, month, year int, cvc string) *PaymentCreateParams {
		return &PaymentCreateParams{OrderID: "ord_1", Method: Card(number, month, year, cvc)}
	}
	cases := []struct {
		name  string
		field string
		call  func(c *Client) error
	}{
		{"order nil params", "params", func(c *Client) error { _, err := c.Orders.Create(ctx, nil); return err }},
		{"order missing merchant_order_id", "merchant_order_id", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.MerchantOrderID = "" }))
			return err
		}},
		{"order long merchant_order_id", "merchant_order_id", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.MerchantOrderID = strings.Repeat("m", 65) }))
			return err
		}},
		{"order zero amount", "amount", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Amount = 0 }))
			return err
		}},
		{"order negative amount", "amount", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Amount = -5 }))
			return err
		}},
		{"order amount too large", "amount", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Amount = 100_000_000_000 }))
			return err
		}},
		{"order lower-case currency", "currency", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Currency = "cny" }))
			return err
		}},
		{"order long currency", "currency", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Currency = "CNYY" }))
			return err
		}},
		{"order too many metadata keys", "metadata", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Metadata = bigMeta }))
			return err
		}},
		{"order long metadata key", "metadata", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Metadata = map[string]string{strings.Repeat("k", 41): "v"} }))
			return err
		}},
		{"order long metadata value", "metadata[k]", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Metadata = map[string]string{"k": strings.Repeat("v", 501)} }))
			return err
		}},
		{"order long description", "description", func(c *Client) error {
			_, err := c.Orders.Create(ctx, okOrder(func(p *OrderCreateParams) { p.Description = strings.Repeat("d", 1001) }))
			return err
		}},
		{"order get empty id", "id", func(c *Client) error { _, err := c.Orders.Get(ctx, ""); return err }},
		{"order get wrong prefix", "id", func(c *Client) error { _, err := c.Orders.Get(ctx, "pay_1"); return err }},
		{"order get path injection", "id", func(c *Client) error { _, err := c.Orders.Get(ctx, "ord_1/../x"); return err }},
		{"order cancel bad id", "id", func(c *Client) error { _, err := c.Orders.Cancel(ctx, "ord_"); return err }},
		{"order list limit 0 ok but 101 not", "limit", func(c *Client) error {
			_, err := c.Orders.List(ctx, &OrderListParams{ListParams: ListParams{Limit: 101}})
			return err
		}},
		{"order list negative limit", "limit", func(c *Client) error {
			_, err := c.Orders.List(ctx, &OrderListParams{ListParams: ListParams{Limit: -1}})
			return err
		}},
		{"order list bad cursor", "starting_after", func(c *Client) error {
			_, err := c.Orders.List(ctx, &OrderListParams{ListParams: ListParams{StartingAfter: "pay_1"}})
			return err
		}},
		{"payment nil params", "params", func(c *Client) error { _, err := c.Payments.Create(ctx, nil); return err }},
		{"payment missing order", "order_id", func(c *Client) error {
			_, err := c.Payments.Create(ctx, &PaymentCreateParams{Method: BankTransfer()})
			return err
		}},
		{"payment missing method", "method.type", func(c *Client) error {
			_, err := c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_1"})
			return err
		}},
		{"payment card object missing", "method.card", func(c *Client) error {
			_, err := c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_1", Method: PaymentMethodParams{Type: PaymentMethodTypeCard}})
			return err
		}},
		{"payment card number missing", "method.card.number", func(c *Client) error {
			_, err := c.Payments.Create(ctx, card("", 12, 2030, "123"))
			return err
		}},
		{"payment card number with spaces", "method.card.number", func(c *Client) error {
			_, err := c.Payments.Create(ctx, card("4242 4242 4242 4242", 12, 2030, "123"))
			return err
		}},
		{"payment card month", "method.card.exp_month", func(c *Client) error {
			_, err := c.Payments.Create(ctx, card("4242424242424242", 13, 2030, "123"))
			return err
		}},
		{"payment card year", "method.card.exp_year", func(c *Client) error {
			_, err := c.Payments.Create(ctx, card("4242424242424242", 12, 30, "123"))
			return err
		}},
		{"payment card cvc missing", "method.card.cvc", func(c *Client) error {
			_, err := c.Payments.Create(ctx, card("4242424242424242", 12, 2030, ""))
			return err
		}},
		{"payment wallet provider missing", "method.wallet.provider", func(c *Client) error {
			_, err := c.Payments.Create(ctx, &PaymentCreateParams{OrderID: "ord_1", Method: Wallet("")})
			return err
		}},
		{"payment confirm without otp", "otp", func(c *Client) error {
			_, err := c.Payments.Confirm(ctx, "pay_1", &PaymentConfirmParams{})
			return err
		}},
		{"payment confirm nil params", "otp", func(c *Client) error { _, err := c.Payments.Confirm(ctx, "pay_1", nil); return err }},
		{"payment confirm bad id", "id", func(c *Client) error {
			_, err := c.Payments.Confirm(ctx, "ord_1", &PaymentConfirmParams{OTP: "000000"})
			return err
		}},
		{"payment cancel bad id", "id", func(c *Client) error { _, err := c.Payments.Cancel(ctx, ""); return err }},
		{"payment receipt bad id", "id", func(c *Client) error { _, err := c.Payments.Receipt(ctx, "re_1"); return err }},
		{"payment wait bad id", "id", func(c *Client) error { _, err := c.Payments.Wait(ctx, "x"); return err }},
		{"payment list bad order filter", "order_id", func(c *Client) error {
			_, err := c.Payments.List(ctx, &PaymentListParams{OrderID: "pay_1"})
			return err
		}},
		{"refund missing payment", "payment_id", func(c *Client) error {
			_, err := c.Refunds.Create(ctx, &RefundCreateParams{})
			return err
		}},
		{"refund negative amount", "amount", func(c *Client) error {
			_, err := c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_1", Amount: -1})
			return err
		}},
		{"refund get bad id", "id", func(c *Client) error { _, err := c.Refunds.Get(ctx, "pay_1"); return err }},
		{"refund list bad filter", "payment_id", func(c *Client) error {
			_, err := c.Refunds.List(ctx, &RefundListParams{PaymentID: "x"})
			return err
		}},
		{"event get bad id", "id", func(c *Client) error { _, err := c.Events.Get(ctx, "ev_1"); return err }},
		{"event list bad limit", "limit", func(c *Client) error {
			_, err := c.Events.List(ctx, &EventListParams{ListParams: ListParams{Limit: 1000}})
			return err
		}},
		{"endpoint missing url", "url", func(c *Client) error {
			_, err := c.WebhookEndpoints.Create(ctx, &WebhookEndpointCreateParams{Events: []EventType{"*"}})
			return err
		}},
		{"endpoint relative url", "url", func(c *Client) error {
			_, err := c.WebhookEndpoints.Create(ctx, &WebhookEndpointCreateParams{URL: "/hook", Events: []EventType{"*"}})
			return err
		}},
		{"endpoint no events", "events", func(c *Client) error {
			_, err := c.WebhookEndpoints.Create(ctx, &WebhookEndpointCreateParams{URL: "https://x.example/h"})
			return err
		}},
		{"endpoint star with others", "events", func(c *Client) error {
			_, err := c.WebhookEndpoints.Create(ctx, &WebhookEndpointCreateParams{URL: "https://x.example/h", Events: []EventType{"*", EventOrderPaid}})
			return err
		}},
		{"endpoint delete bad id", "id", func(c *Client) error { _, err := c.WebhookEndpoints.Delete(ctx, "wh_1"); return err }},
		{"endpoint get bad id", "id", func(c *Client) error { _, err := c.WebhookEndpoints.Get(ctx, "wh_1"); return err }},
		{"endpoint rotate too long", "expire_old_after", func(c *Client) error {
			_, err := c.WebhookEndpoints.RotateSecret(ctx, "we_1", &WebhookEndpointRotateParams{ExpireOldAfter: 8 * 24 * time.Hour})
			return err
		}},
		{"endpoint rotate fractional", "expire_old_after", func(c *Client) error {
			_, err := c.WebhookEndpoints.RotateSecret(ctx, "we_1", &WebhookEndpointRotateParams{ExpireOldAfter: 1500 * time.Millisecond})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newTestClient(t)

			err := tc.call(c)

			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.Contains(t, err.Error(), tc.field)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			assert.Equal(t, 0, mt.GetTotalCallCount(), "no request is sent")
		})
	}
}

func TestPaymentsService_Wait(t *testing.T) {
	t.Parallel()
	c, mt, sl := newTestClient(t)
	var rec recorder
	statuses := []string{"processing", "requires_action", "processing", "succeeded"}
	mt.RegisterResponder("GET", testBaseURL+"/v1/payments/pay_123", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, strings.Replace(paymentJSON, `"succeeded"`, `"`+statuses[n-1]+`"`, 1)), nil
	}))

	p, err := c.Payments.Wait(context.Background(), "pay_123")

	require.NoError(t, err)
	assert.Equal(t, PaymentStatusSucceeded, p.Status)
	assert.Equal(t, 4, rec.Count())
	assert.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}, sl.Waits())
}

func TestPaymentsService_Wait_honoursContext(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/payments/pay_123", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
		if n == 2 {
			cancel() // the caller gives up while the payment is still processing
		}
		return rawJSONResponse(200, strings.Replace(paymentJSON, `"succeeded"`, `"processing"`, 1)), nil
	}))

	_, err := c.Payments.Wait(ctx, "pay_123")

	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, rec.Count())
}

func TestEvent_typedAccessors(t *testing.T) {
	t.Parallel()
	payEvt := &Event{ID: "evt_1", Type: EventPaymentSucceeded, Data: EventData{Object: []byte(paymentJSON)}}
	p, err := payEvt.Payment()
	require.NoError(t, err)
	assert.Equal(t, int64(1999), p.Amount)
	_, err = payEvt.Order()
	assert.ErrorContains(t, err, "not a order event")
	_, err = payEvt.Refund()
	assert.Error(t, err)

	orderEvt := &Event{ID: "evt_2", Type: EventOrderPaid, Data: EventData{Object: []byte(orderJSON)}}
	o, err := orderEvt.Order()
	require.NoError(t, err)
	assert.Equal(t, "ord_123", o.ID)

	refundEvt := &Event{ID: "evt_3", Type: EventRefundSucceeded, Data: EventData{Object: []byte(refundJSON)}}
	r, err := refundEvt.Refund()
	require.NoError(t, err)
	assert.Equal(t, "re_1", r.ID)

	mismatch := &Event{ID: "evt_4", Type: EventOrderPaid, Data: EventData{Object: []byte(paymentJSON)}}
	_, err = mismatch.Order()
	assert.ErrorContains(t, err, `holds a "payment" object`)
	empty := &Event{ID: "evt_5", Type: EventOrderPaid}
	_, err = empty.Order()
	assert.ErrorContains(t, err, "no data.object")
}

// TestRefundsService_Create_zeroAmountNeverRefundsEverything: an Amount of 0
// that came from arithmetic is an error naming amount, and nothing is sent;
// refunding all that remains is said in words, Remaining: true (issue 9,
// item 6).
func TestRefundsService_Create_zeroAmountNeverRefundsEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/refunds", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, refundJSON), nil
	}))
	paid, alreadyRefunded := int64(1999), int64(1999)

	_, err := c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Amount: paid - alreadyRefunded})

	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "amount", ve.Field)
	assert.Contains(t, ve.Reason, "Remaining", "the error says how to refund the rest on purpose")
	assert.Zero(t, rec.Count(), "nothing is sent")

	_, err = c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Amount: 500, Remaining: true})
	require.ErrorAs(t, err, &ve, "an amount and Remaining together are a contradiction")
	assert.Equal(t, "amount", ve.Field)
	assert.Zero(t, rec.Count())

	r, err := c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Remaining: true})
	require.NoError(t, err)
	assert.Equal(t, "re_1", r.ID)
	require.Equal(t, 1, rec.Count())
	assert.JSONEq(t, `{"payment_id":"pay_123"}`, string(rec.Requests()[0].Body), "Remaining sends no amount")
}

// TestResources_String: fmt.Println of a resource reads as one line with its
// money in units, not as pointers and minor units (issue 16).
func TestResources_String(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	cases := map[string]struct {
		v    fmt.Stringer
		want string
	}{
		"order": {&Order{ID: "ord_1", MerchantOrderID: "M-1", Status: OrderStatusPartiallyRefunded, Amount: 1999, AmountRefunded: 500, Currency: "CNY"},
			"order ord_1 (M-1) partially_refunded: CNY 19.99, refunded CNY 5.00"},
		"card payment": {&Payment{ID: "pay_1", OrderID: "ord_1", Status: PaymentStatusSucceeded, Amount: 500, Currency: "JPY",
			Method: PaymentMethod{Type: PaymentMethodTypeCard, Card: &PaymentMethodCard{Brand: "visa", Last4: "4242"}}},
			"payment pay_1 succeeded: JPY 500 by card visa ****4242 (order ord_1)"},
		"failed wallet payment": {&Payment{ID: "pay_2", OrderID: "ord_1", Status: PaymentStatusFailed, Amount: 1250, Currency: "KWD",
			FailureCode: "insufficient_funds", Method: PaymentMethod{Type: PaymentMethodTypeWallet, Wallet: &PaymentMethodWallet{Provider: WalletAlipay}}},
			"payment pay_2 failed: KWD 1.250 by wallet alipay, failed: insufficient_funds (order ord_1)"},
		"refund": {&Refund{ID: "re_1", PaymentID: "pay_1", Status: RefundStatusPending, Amount: 5, Currency: "USD"},
			"refund re_1 pending: USD 0.05 of payment pay_1"},
		"event": {&Event{ID: "evt_1", Type: EventPaymentSucceeded, CreatedAt: created},
			"event evt_1 payment.succeeded at 2026-11-21T09:30:00Z"},
		"webhook endpoint": {&WebhookEndpoint{ID: "we_1", Status: WebhookEndpointEnabled, URL: "https://shop.example/h", Events: []EventType{"*"}, Secret: secretWebhook},
			"webhook endpoint we_1 enabled: https://shop.example/h [*] (secret [REDACTED])"},
	}
	for name, tc := range cases {
		assert.Equal(t, tc.want, fmt.Sprint(tc.v), name)
		assert.Equal(t, tc.want, fmt.Sprintf("%v", tc.v), name)
	}
}
