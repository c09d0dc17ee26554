//go:build conformance

// This test needs the sandbox and internal/apispec packages, which live on
// other branches until they are merged; it is excluded from the default
// build. After the merge, run it with:
//
//	go test -tags conformance -run TestClient_conformsToContract .
//
// (or drop the build tag to run it always).

package tokenim_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/apispec"
	"github.com/tokenim/tokenim-go/sandbox"
)

// TestClient_conformsToContract drives every /v1 operation through the client
// against the sandbox, with the contract recorder under the retry layer
// rejecting any request or answer that breaks api/openapi.yaml.
func TestClient_conformsToContract(t *testing.T) {
	t.Parallel()
	sb := sandbox.Start(t)
	rec := apispec.NewRecorder(t).RejectInvalidRequests()
	c, err := tokenim.NewClient(sb.APIKey, tokenim.WithMerchantID(sb.MerchantID), tokenim.WithBaseURL(sb.URL),
		tokenim.WithHTTPClient(&http.Client{Transport: rec.RoundTripper(http.DefaultTransport)}))
	require.NoError(t, err)
	ctx := context.Background()
	newOrder := func(ref string) *tokenim.Order {
		o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: 1999, Currency: "CNY"})
		require.NoError(t, err)
		return o
	}
	pay := func(orderID string, m tokenim.PaymentMethodParams) *tokenim.Payment {
		p, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: orderID, Method: m})
		require.NoError(t, err)
		return p
	}

	_, err = c.Status.Get(ctx)
	require.NoError(t, err)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "M-1", Amount: 1999, Currency: "CNY",
		Description: "two books", ExpiresAt: &expires, Metadata: map[string]string{"cart": "42"}})
	require.NoError(t, err)
	_, err = c.Orders.Get(ctx, o.ID)
	require.NoError(t, err)
	_, err = c.Orders.List(ctx, &tokenim.OrderListParams{ListParams: tokenim.ListParams{Limit: 5}, Status: tokenim.OrderStatusOpen, MerchantOrderID: "M-1"})
	require.NoError(t, err)

	p, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID,
		Method: tokenim.Card("4242424242424242", 12, 2030, "123"), Metadata: map[string]string{"k": "v"}})
	require.NoError(t, err)
	assert.Equal(t, tokenim.PaymentStatusSucceeded, p.Status)
	_, err = c.Payments.Get(ctx, p.ID)
	require.NoError(t, err)
	_, err = c.Payments.Receipt(ctx, p.ID)
	require.NoError(t, err)
	_, err = c.Payments.List(ctx, &tokenim.PaymentListParams{OrderID: o.ID, Status: tokenim.PaymentStatusSucceeded})
	require.NoError(t, err)

	rf, err := c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: p.ID, Amount: 100, Reason: tokenim.RefundReasonOther})
	require.NoError(t, err)
	_, err = c.Refunds.Get(ctx, rf.ID)
	require.NoError(t, err)
	_, err = c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: p.ID}) // the rest
	require.NoError(t, err)
	_, err = c.Refunds.List(ctx, &tokenim.RefundListParams{PaymentID: p.ID})
	require.NoError(t, err)

	p2 := pay(newOrder("M-2").ID, tokenim.Card("4000002760003184", 12, 2030, "123"))
	_, err = c.Payments.Confirm(ctx, p2.ID, &tokenim.PaymentConfirmParams{OTP: "000000"})
	require.NoError(t, err)
	pay(newOrder("M-3").ID, tokenim.Wallet(tokenim.WalletPayPal))
	p4 := pay(newOrder("M-4").ID, tokenim.BankTransfer())
	_, err = c.Payments.Cancel(ctx, p4.ID)
	require.NoError(t, err)
	o5 := newOrder("M-5")
	_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o5.ID, Method: tokenim.Card("4000000000009995", 12, 2030, "123")})
	assert.True(t, tokenim.IsDeclined(err))
	_, err = c.Orders.Cancel(ctx, newOrder("M-6").ID)
	require.NoError(t, err)

	for e, err := range c.Events.All(ctx, &tokenim.EventListParams{ListParams: tokenim.ListParams{Limit: 3}}) {
		require.NoError(t, err)
		_, err = c.Events.Get(ctx, e.ID)
		require.NoError(t, err)
	}
	_, err = c.Events.List(ctx, &tokenim.EventListParams{Type: tokenim.EventPaymentSucceeded})
	require.NoError(t, err)

	w, err := c.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{URL: "https://shop.example/hook",
		Events: []tokenim.EventType{tokenim.EventOrderPaid}, Description: "main"})
	require.NoError(t, err)
	for _, params := range []*tokenim.WebhookEndpointRotateParams{nil, {ExpireOldAfter: time.Minute}, {ExpireOldNow: true}} {
		_, err = c.WebhookEndpoints.RotateSecret(ctx, w.ID, params)
		require.NoError(t, err)
	}
	for _, err := range c.WebhookEndpoints.All(ctx, nil) {
		require.NoError(t, err)
	}
	_, err = c.WebhookEndpoints.Delete(ctx, w.ID)
	require.NoError(t, err)
	_, err = c.Orders.Get(ctx, "ord_missing")
	assert.ErrorIs(t, err, tokenim.ErrNotFound)

	assert.Empty(t, rec.Failures())
	assert.Empty(t, rec.Uncovered(), "every /v1 operation is reachable through the client")
}
