package platform_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/reconcile"
	"github.com/tokenim/tokenim-go/reconcile/platform"
	"github.com/tokenim/tokenim-go/sandbox"
)

var day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// pay makes a succeeded card payment of amount CNY.
func pay(t *testing.T, c *tokenim.Client, ref string, amount int64) *tokenim.Payment {
	t.Helper()
	o, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: "CNY"})
	require.NoError(t, err)
	p, err := c.Payments.Create(t.Context(), &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card("4242424242424242", 12, 2040, "123")})
	require.NoError(t, err)
	return p
}

// A settlement's header is given only when every one of its transactions
// lies in the period; one cut by the period is named and its transactions in
// the period are still reconciled, with no settlement difference.
func TestAddPeriod_headersOnlyForWholeSettlements(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(day.Add(9*time.Hour)))
	c, err := tokenim.NewClient(srv.APIKey(), tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID))
	require.NoError(t, err)
	first := pay(t, c, "p-1", 1999)
	srv.Advance(3 * time.Hour)
	second := pay(t, c, "p-2", 5000)
	srv.Advance(72 * time.Hour)

	records := func(ps ...*tokenim.Payment) []reconcile.Record {
		var out []reconcile.Record
		for _, p := range ps {
			out = append(out, reconcile.Record{OrderID: p.OrderID, Amount: p.Amount, Currency: "CNY", Status: reconcile.StatusPaid, Method: reconcile.MethodCard})
		}
		return out
	}
	for name, tc := range map[string]struct {
		from, to    time.Time
		records     []reconcile.Record
		whole, cut  int
		transaction int
	}{
		"the whole day":  {day, day.Add(24 * time.Hour), records(first, second), 1, 0, 2},
		"the afternoon":  {day.Add(12 * time.Hour), day.Add(24 * time.Hour), records(second), 0, 1, 1},
		"the first hour": {day.Add(9 * time.Hour), day.Add(10 * time.Hour), records(first), 0, 1, 1},
	} {
		var r reconcile.Reconciler
		p, err := platform.AddPeriod(context.Background(), c, &r, tc.from, tc.to)
		require.NoError(t, err, name)
		require.NoError(t, r.AddRecords(func(yield func(reconcile.Record, error) bool) {
			for _, rec := range tc.records {
				if !yield(rec, nil) {
					return
				}
			}
		}), name)
		rep := r.Report()
		assert.Empty(t, rep.Differences, name)
		assert.Len(t, p.Settlements, tc.whole, name)
		assert.Len(t, p.Cut, tc.cut, name)
		assert.Equal(t, tc.transaction, p.Transactions, name)
	}

	_, err = platform.AddPeriod(context.Background(), c, &reconcile.Reconciler{}, day, day)
	assert.ErrorContains(t, err, "is not before")
}

func TestTransaction_unknownTypeIsAnError(t *testing.T) {
	t.Parallel()
	_, err := platform.Transaction(&tokenim.BalanceTransaction{ID: "txn_1", Type: "payout"})
	assert.ErrorContains(t, err, `txn_1: unknown type "payout"`)
	got, err := platform.Transaction(&tokenim.BalanceTransaction{ID: "txn_2", Type: tokenim.BalanceTransactionRefund, Amount: -5, Net: -5, Currency: "JPY", SettlementID: "st_1"})
	require.NoError(t, err)
	assert.Equal(t, reconcile.Transaction{ID: "txn_2", Type: reconcile.TxnRefund, Amount: -5, Net: -5, Currency: "JPY", SettlementID: "st_1"}, got)
}
