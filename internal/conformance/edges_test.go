package conformance

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
)

// TestContract_lifecycles drives the time-dependent outcomes of docs/tokenim-api.md §6 through
// the client with the clock moved over the control API: bank transfers that
// settle or return, orders that expire, refunds that fail, wallet and card
// declines, the third wrong OTP; every exchange is checked against the spec.
func TestContract_lifecycles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.c

	settles := newOrder(t, c, "life-bank-ok", 10000, "USD")
	bank, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: settles.ID, Method: tokenim.BankTransfer()})
	require.NoError(t, err)
	returns := newOrder(t, c, "life-bank-returned", 10013, "USD")
	returned, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: returns.ID, Method: tokenim.BankTransfer()})
	require.NoError(t, err)
	expires := newOrder(t, c, "life-expires", 700, "JPY")

	// A processing payment keeps its order from being canceled.
	_, err = c.Orders.Cancel(ctx, settles.ID)
	apiErr := apiError(t, err)
	assert.Equal(t, tokenim.CodePaymentInProgress, apiErr.Code)
	assert.Equal(t, bank.ID, apiErr.PaymentID)

	// Wallet decline: tokenim_balance with an amount ending in 51.
	wo := newOrder(t, c, "life-wallet", 1251, "SGD")
	_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: wo.ID, Method: tokenim.Wallet(tokenim.WalletTokenimBalance)})
	apiErr = apiError(t, err)
	assert.Equal(t, tokenim.CodeCardDeclined, apiErr.Code)
	assert.Equal(t, tokenim.DeclineInsufficientFunds, apiErr.DeclineCode)

	// A card expired on the sandbox clock: 402 expired_card.
	_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: wo.ID, Method: tokenim.Card(visa, 1, 2020, "123")})
	assert.Equal(t, tokenim.DeclineExpiredCard, apiError(t, err).DeclineCode)

	// The third wrong OTP fails the payment.
	oo := newOrder(t, c, "life-otp", 2000, "GBP")
	otp, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: oo.ID, Method: card(otpCard)})
	require.NoError(t, err)
	for range 3 {
		_, err = c.Payments.Confirm(ctx, otp.ID, &tokenim.PaymentConfirmParams{OTP: "999999"})
		assert.Equal(t, tokenim.CodeAuthenticationFailed, apiError(t, err).Code)
	}
	otp, err = c.Payments.Get(ctx, otp.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.PaymentStatusFailed, otp.Status)
	assert.Equal(t, tokenim.PaymentFailureAuthenticationFailed, otp.FailureCode)

	// A refund whose amount ends in 13 fails.
	ro := newOrder(t, c, "life-refund", 5000, "CNY")
	rp, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: ro.ID, Method: card(visa)})
	require.NoError(t, err)
	bad, err := c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: rp.ID, Amount: 113, Reason: tokenim.RefundReasonOther})
	require.NoError(t, err)

	e.advance(61 * time.Minute)

	bank, err = c.Payments.Get(ctx, bank.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.PaymentStatusSucceeded, bank.Status)
	assert.Equal(t, int64(50), bank.Fee, "bank transfer fee 0.5 %")
	returned, err = c.Payments.Get(ctx, returned.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.PaymentStatusFailed, returned.Status)
	assert.Equal(t, tokenim.PaymentFailureTransferReturned, returned.FailureCode)

	got, err := c.Orders.Get(ctx, expires.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusExpired, got.Status)
	_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: expires.ID, Method: card(visa)})
	apiErr = apiError(t, err)
	assert.Equal(t, tokenim.CodeOrderExpired, apiErr.Code)
	assert.Equal(t, expires.ID, apiErr.OrderID)
	// The returned transfer ended after expires_at: its order expired too.
	got, err = c.Orders.Get(ctx, returns.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusExpired, got.Status)

	bad, err = c.Refunds.Get(ctx, bad.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.RefundStatusFailed, bad.Status)
	assert.Equal(t, tokenim.RefundFailureDeclined, bad.FailureCode)

	seen := map[tokenim.EventType]bool{}
	for ev, err := range c.Events.All(ctx, &tokenim.EventListParams{ListParams: tokenim.ListParams{Limit: 100}}) {
		require.NoError(t, err)
		seen[ev.Type] = true
	}
	for _, typ := range []tokenim.EventType{tokenim.EventOrderExpired, tokenim.EventRefundFailed, tokenim.EventPaymentFailed, tokenim.EventPaymentSucceeded} {
		assert.True(t, seen[typ], "event %s", typ)
	}

	assert.Empty(t, e.server.Failures())
	assert.Empty(t, e.client.Failures())
}

// TestContract_rejections sends what the SDK never sends, through the raw
// request path, and checks that each rejection is the contract's problem.
func TestContract_rejections(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	o := newOrder(t, e.c, "rej-1", 100, "CNY")

	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               tokenim.ErrorCode
		param              string
	}{
		{"unknown nested field", http.MethodPost, "/v1/payments",
			map[string]any{"order_id": o.ID, "method": map[string]any{"type": "card", "card": map[string]any{"number": visa, "exp_month": 12, "exp_year": 2030, "cvc": "123", "pin": "1"}}},
			400, tokenim.CodeParameterUnknown, "method.card.pin"},
		{"unknown method type", http.MethodPost, "/v1/payments", map[string]any{"order_id": o.ID, "method": map[string]any{"type": "cash"}},
			400, tokenim.CodeInvalidRequest, "method.type"},
		{"bad otp", http.MethodPost, "/v1/payments/pay_x/confirm", map[string]any{}, 400, tokenim.CodeInvalidRequest, "otp"},
		{"limit too large", http.MethodGet, "/v1/orders?limit=101", nil, 400, tokenim.CodeInvalidRequest, "limit"},
		{"unknown starting_after", http.MethodGet, "/v1/orders?starting_after=ord_nope", nil, 400, tokenim.CodeInvalidRequest, "starting_after"},
		{"bad status filter", http.MethodGet, "/v1/payments?status=bogus", nil, 400, tokenim.CodeInvalidRequest, "status"},
		{"bad event type", http.MethodGet, "/v1/events?type=order.bogus", nil, 400, tokenim.CodeInvalidRequest, "type"},
		{"unknown path", http.MethodGet, "/v1/customers", nil, 404, tokenim.CodeResourceMissing, ""},
		{"wrong method", http.MethodPut, "/v1/orders", nil, 405, tokenim.CodeInvalidRequest, ""},
		{"bad refund reason", http.MethodPost, "/v1/refunds", map[string]any{"payment_id": "pay_x", "reason": "bored"}, 400, tokenim.CodeInvalidRequest, "reason"},
		{"bad webhook url", http.MethodPost, "/v1/webhook_endpoints", map[string]any{"url": "ftp://x", "events": []string{"*"}}, 400, tokenim.CodeInvalidRequest, "url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := e.raw.NewRequest(ctx, tc.method, tc.path, tc.body)
			require.NoError(t, err)
			_, err = e.raw.Do(req, nil)
			apiErr := apiError(t, err)
			assert.Equal(t, tc.status, apiErr.HTTPStatus)
			assert.Equal(t, tc.code, apiErr.Code)
			assert.Equal(t, tc.param, apiErr.Param)
		})
	}
	assert.Empty(t, e.server.Failures())
}

// TestContract_getWebhookEndpoint: the endpoint is read back without its
// secret, and a deleted one is gone.
func TestContract_getWebhookEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	we, err := e.c.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{URL: "https://merchant.example/h", Events: []tokenim.EventType{"*"}})
	require.NoError(t, err)
	got, err := e.c.WebhookEndpoints.Get(ctx, we.ID)
	require.NoError(t, err)
	assert.Equal(t, we.ID, got.ID)
	assert.True(t, got.Secret.IsZero())
	_, err = e.c.WebhookEndpoints.Delete(ctx, we.ID)
	require.NoError(t, err)
	_, err = e.c.WebhookEndpoints.Get(ctx, we.ID)
	assert.ErrorIs(t, err, tokenim.ErrNotFound)
	assert.Empty(t, e.server.Failures())
}
