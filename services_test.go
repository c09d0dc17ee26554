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

// endpointCase is one call of a service method against a mock platform:
// the request it must send and what it must make of the answer.
type endpointCase struct {
	name     string
	method   string
	path     string
	query    url.Values
	wantBody string // JSON; empty means no body
	respond  string
	call     func(c *Client) (any, error)
	check    func(t *testing.T, got any)
}

// testEndpoints runs each case on its own client: one request with the
// route, query, body and headers of the contract, and the decoded answer.
func testEndpoints(t *testing.T, cases []endpointCase) {
	t.Helper()
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
		{"refund nil params", "params", func(c *Client) error { _, err := c.Refunds.Create(ctx, nil); return err }},
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
		{"endpoint nil params", "params", func(c *Client) error { _, err := c.WebhookEndpoints.Create(ctx, nil); return err }},
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

// TestResources_String: fmt.Println of a resource reads as one line with its
// money in units, not as pointers and minor units.
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
		"webhook endpoint": {&WebhookEndpoint{ID: "we_1", Status: WebhookEndpointEnabled, URL: "https://shop.example/h", Events: []EventType{"*"}, Secret: NewSecret(secretWebhook)},
			"webhook endpoint we_1 enabled: https://shop.example/h [*] (secret [REDACTED])"},
	}
	for name, tc := range cases {
		assert.Equal(t, tc.want, fmt.Sprint(tc.v), name)
		assert.Equal(t, tc.want, fmt.Sprintf("%v", tc.v), name)
	}
}
