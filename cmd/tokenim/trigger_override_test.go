package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func TestTrigger_overrideSetsFieldsOfTheCreatedObjects(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	r := against(t, srv, "trigger", "refund.succeeded",
		"--override", "order.amount=5000", "--override", "order.currency=USD", "--override", "order.metadata.table=12",
		"--override", "payment[metadata][channel]=kiosk", "--override", "refund.amount=1200", "--override", "refund.reason=duplicate")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "50.00 USD")

	var refunds []*tokenim.Refund
	for rf, err := range c.Refunds.All(t.Context(), nil) {
		require.NoError(t, err)
		refunds = append(refunds, rf)
	}
	require.Len(t, refunds, 1)
	assert.Equal(t, int64(1200), refunds[0].Amount, "a partial refund, as overridden")
	assert.Equal(t, tokenim.RefundReason("duplicate"), refunds[0].Reason)
	p, err := c.Payments.Get(t.Context(), refunds[0].PaymentID)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"channel": "kiosk"}, p.Metadata)
	o, err := c.Orders.Get(t.Context(), p.OrderID)
	require.NoError(t, err)
	assert.Equal(t, int64(5000), o.Amount)
	assert.Equal(t, tokenim.Currency("USD"), o.Currency)
	assert.Equal(t, map[string]string{"table": "12"}, o.Metadata, "metadata stays a string")
}

func TestTrigger_existingOrderAndPayment(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)))
	c := sdkClient(t, srv)
	newOrder := func(ref string) *tokenim.Order {
		o, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: 4200, Currency: "CNY"})
		require.NoError(t, err)
		return o
	}
	count := func() int {
		n := 0
		for _, err := range c.Orders.All(t.Context(), nil) {
			require.NoError(t, err)
			n++
		}
		return n
	}

	// order.paid pays the given order rather than a new one.
	o := newOrder("ref-existing-paid")
	r := against(t, srv, "trigger", "order.paid", "--order", o.ID)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	got, err := c.Orders.Get(t.Context(), o.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusPaid, got.Status)
	assert.Equal(t, 1, count(), "no order created")

	// A paid order cannot be paid again: said before any payment.
	r = against(t, srv, "trigger", "order.paid", "--order", o.ID)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "--order "+o.ID+" is paid: this trigger needs an open order")

	// order.expired moves the clock past that order's own expiry (30 min).
	ex := newOrder("ref-existing-expire")
	r = against(t, srv, "trigger", "order.expired", "--order", ex.ID)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	got, err = c.Orders.Get(t.Context(), ex.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusExpired, got.Status)

	// order.canceled cancels it.
	cn := newOrder("ref-existing-cancel")
	r = against(t, srv, "trigger", "order.canceled", "--order", cn.ID)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	got, err = c.Orders.Get(t.Context(), cn.ID)
	require.NoError(t, err)
	assert.Equal(t, tokenim.OrderStatusCanceled, got.Status)

	// refund.failed and refund.succeeded refund the given payment.
	_, p := paidOrder(t, c, "ref-existing-refund", 4200)
	before := count()
	r = against(t, srv, "trigger", "refund.failed", "--payment", p.ID)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	r = against(t, srv, "trigger", "refund.succeeded", "--payment", p.ID)
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Equal(t, before, count(), "no order created")
	var statuses []tokenim.RefundStatus
	for rf, err := range c.Refunds.All(t.Context(), &tokenim.RefundListParams{PaymentID: p.ID}) {
		require.NoError(t, err)
		statuses = append(statuses, rf.Status)
	}
	assert.ElementsMatch(t, []tokenim.RefundStatus{tokenim.RefundStatusFailed, tokenim.RefundStatusSucceeded}, statuses)
}

func TestTrigger_overrideAndExistingObjectErrors(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"order.paid", "--override", "amount=5"}, `--override "amount=5": name the object and its field, as order.amount=5000`},
		{[]string{"order.paid", "--override", "invoice.amount=5"}, `--override "invoice.amount=5": name the object`},
		{[]string{"order.canceled", "--override", "refund.amount=5"}, `--override "refund.amount=5": trigger order.canceled makes no refund here (it makes: order)`},
		{[]string{"order.paid", "--order", "ord_1", "--override", "order.amount=5"}, `trigger order.paid makes no order here (it makes: payment)`},
		{[]string{"order.paid", "--override", "order.amount=5", "--override", "order.amount=6"}, `--override "order.amount=6": order.amount is given twice`},
		{[]string{"order.paid", "--override", "payment.method.card.number=4000000000000002", "--override", "payment.method.card.number=4000000000000002"}, `"payment.method.card.number=[redacted]"`},
		{[]string{"order.paid", "--override", "order.amount"}, `--override "order.amount": want key=value`},
		{[]string{"dispute.created", "--order", "ord_1"}, "--order does not apply to dispute.created; it does to order.paid,"},
		{[]string{"order.paid", "--payment", "pay_1"}, "--payment does not apply to order.paid; it does to refund.succeeded, order.refunded, refund.failed"},
		{[]string{"refund.failed", "--order", "ord_1", "--payment", "pay_1"}, "give --order or --payment, not both"},
		{[]string{"order.paid", "--order", "pay_1"}, `--order must be an order id, ord_…, got "pay_1"`},
	}
	for _, tc := range cases {
		r := against(t, srv, append([]string{"trigger"}, tc.args...)...)
		assert.Equal(t, exitUsage, r.code, "%q", tc.args)
		assert.Contains(t, r.stderr, tc.want, "%q", tc.args)
		assert.NotContains(t, r.stderr, "4000000000000002")
	}
	assert.Empty(t, eventTypes(t, sdkClient(t, srv)), "no call was made")
}
