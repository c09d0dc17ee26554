package shop_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/examples/testing/shop"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// Sandbox test cards (docs/tokenim-api.md §6).
const (
	cardOK                = "4242424242424242"
	cardDeclined          = "4000000000000002"
	cardInsufficientFunds = "4000000000009995"
	cardOTP               = "4000002760003184"
)

var receiptNumber = regexp.MustCompile(`^RCPT-\d{8}-\d{6}$`)

func cart(id, number string) shop.Cart {
	return shop.Cart{
		ID:       id,
		Currency: "CNY",
		Items:    []shop.Item{{SKU: "tea-250", Price: 1999, Qty: 2}, {SKU: "cup", Price: 500, Qty: 1}},
		Payment:  tokenim.Card(number, 12, time.Now().Year()+2, "987"),
	}
}

func paymentsOf(t *testing.T, client *tokenim.Client, orderID string) []*tokenim.Payment {
	t.Helper()
	page, err := client.Payments.List(context.Background(), &tokenim.PaymentListParams{OrderID: orderID})
	require.NoError(t, err)
	return page.Data
}

func TestCheckout_success(t *testing.T) {
	t.Parallel()
	client, _ := tokenimtest.Start(t)
	ctx := context.Background()

	r, err := shop.New(client).Checkout(ctx, cart("cart-1", cardOK))
	require.NoError(t, err)
	assert.Regexp(t, receiptNumber, r.Number)
	assert.Equal(t, int64(2*1999+500), r.Amount)
	assert.Equal(t, "CNY", r.Currency)
	assert.Equal(t, "visa •••• 4242", r.Method)

	order, err := client.Orders.Get(ctx, r.OrderID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusPaid, order.Status)
	assert.Equal(t, "cart-1", order.MerchantOrderID)
	assert.Equal(t, r.PaymentID, order.PaymentID)
}

func TestCheckout_declinedThenAnotherCard(t *testing.T) {
	t.Parallel()
	client, _ := tokenimtest.Start(t)
	s := shop.New(client)
	ctx := context.Background()

	_, err := s.Checkout(ctx, cart("cart-2", cardDeclined))
	require.ErrorIs(t, err, shop.ErrDeclined)
	var declined *shop.DeclinedError
	require.ErrorAs(t, err, &declined)
	assert.Equal(t, tokenim.DeclineGenericDecline, declined.Code)
	assert.Equal(t, "your card was declined; please use another card or contact your bank", err.Error())
	failed, err := client.Payments.Get(ctx, declined.PaymentID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.PaymentStatusFailed, failed.Status)

	// The shopper tries another card: the same order is paid, not a new one.
	r, err := s.Checkout(ctx, cart("cart-2", cardOK))
	require.NoError(t, err)
	assert.Equal(t, failed.OrderID, r.OrderID)
	assert.Len(t, paymentsOf(t, client, r.OrderID), 2, "the declined and the successful payment")
}

func TestCheckout_insufficientFunds(t *testing.T) {
	t.Parallel()
	client, _ := tokenimtest.Start(t)

	_, err := shop.New(client).Checkout(context.Background(), cart("cart-3", cardInsufficientFunds))
	var declined *shop.DeclinedError
	require.ErrorAs(t, err, &declined)
	assert.Equal(t, tokenim.DeclineInsufficientFunds, declined.Code)
	assert.Equal(t, "your card has insufficient funds; please use another card", err.Error())
}

func TestCheckout_otp(t *testing.T) {
	t.Parallel()
	client, _ := tokenimtest.Start(t)
	s := shop.New(client)
	ctx := context.Background()

	_, err := s.Checkout(ctx, cart("cart-4", cardOTP))
	require.ErrorIs(t, err, shop.ErrOTPRequired)
	var otp *shop.OTPRequiredError
	require.ErrorAs(t, err, &otp)

	// The shopper reloads the page and checks out again: same payment.
	_, err = s.Checkout(ctx, cart("cart-4", cardOTP))
	var again *shop.OTPRequiredError
	require.ErrorAs(t, err, &again)
	assert.Equal(t, otp.PaymentID, again.PaymentID)

	_, err = s.ConfirmOTP(ctx, otp.PaymentID, "123456")
	assert.ErrorIs(t, err, shop.ErrWrongOTP)

	r, err := s.ConfirmOTP(ctx, otp.PaymentID, "000000") // the sandbox's code
	require.NoError(t, err)
	assert.Equal(t, otp.PaymentID, r.PaymentID)
	assert.Regexp(t, receiptNumber, r.Number)
	assert.Equal(t, "visa •••• 3184", r.Method)
}

func TestCheckout_expiresAfterThirtyMinutes(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)))
	s := shop.New(client)
	ctx := context.Background()

	// Two shoppers are declined, then come back with another card: one
	// just in time, one a minute late (orders expire after 30 minutes).
	for _, id := range []string{"cart-early", "cart-late"} {
		_, err := s.Checkout(ctx, cart(id, cardDeclined))
		require.ErrorIs(t, err, shop.ErrDeclined, id)
	}
	srv.Advance(29 * time.Minute)
	_, err := s.Checkout(ctx, cart("cart-early", cardOK))
	require.NoError(t, err)

	srv.Advance(time.Minute)
	_, err = s.Checkout(ctx, cart("cart-late", cardOK))
	assert.ErrorIs(t, err, shop.ErrCheckoutExpired)
	assert.Equal(t, "shop: this checkout has expired, please start again", err.Error())
}

func TestCheckout_paidCartShowsTheSameReceipt(t *testing.T) {
	t.Parallel()
	client, _ := tokenimtest.Start(t)
	s := shop.New(client)
	ctx := context.Background()

	first, err := s.Checkout(ctx, cart("cart-5", cardOK))
	require.NoError(t, err)
	again, err := s.Checkout(ctx, cart("cart-5", cardOK)) // a double click
	require.NoError(t, err)
	assert.Equal(t, first, again)
	assert.Len(t, paymentsOf(t, client, first.OrderID), 1, "charged once")
}

func TestCheckout_invalidCart(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t)
	s := shop.New(client)

	for name, c := range map[string]shop.Cart{
		"no id":         {Currency: "CNY", Items: []shop.Item{{SKU: "a", Price: 1, Qty: 1}}},
		"empty":         {ID: "c", Currency: "CNY"},
		"zero quantity": {ID: "c", Currency: "CNY", Items: []shop.Item{{SKU: "a", Price: 100, Qty: 0}}},
		"negative":      {ID: "c", Currency: "CNY", Items: []shop.Item{{SKU: "a", Price: -100, Qty: 1}}},
	} {
		_, err := s.Checkout(context.Background(), c)
		assert.ErrorIs(t, err, shop.ErrInvalidCart, name)
	}
	assert.Empty(t, srv.Requests(), "an invalid cart never reaches the platform")

	_, err := s.Checkout(context.Background(), cart("cart-6", cardDeclined))
	require.ErrorIs(t, err, shop.ErrDeclined)
	changed := cart("cart-6", cardOK)
	changed.Items = changed.Items[:1]
	_, err = s.Checkout(context.Background(), changed)
	assert.ErrorIs(t, err, shop.ErrInvalidCart, "a cart whose total changed after checkout started")
}

func TestCart_printsWithoutCardData(t *testing.T) {
	t.Parallel()
	c := cart("cart-7", cardOK)
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		s := fmt.Sprintf(verb, c)
		assert.NotContains(t, s, cardOK, verb)
		assert.NotContains(t, s, "987", verb)
	}
}
