// Package platform feeds a [reconcile.Reconciler] from the Tokenim API: the
// balance transactions of a period (GET /v1/balance_transactions) and the
// headers of the settlements that lie wholly inside it (GET
// /v1/settlements/{id}), docs/tokenim-api.md §9.
//
// It lives outside package reconcile so that the reconciler keeps to the
// standard library; this package is the adapter from the client's types.
package platform

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/reconcile"
)

// Transaction maps a balance transaction of the API to the reconciler's
// form. The API's object carries the platform's order id only, so the
// merchant's records must carry order_id to be matched with it.
func Transaction(bt *tokenim.BalanceTransaction) (reconcile.Transaction, error) {
	typ, ok := reconcile.ParseTxnType(string(bt.Type))
	if !ok {
		return reconcile.Transaction{}, fmt.Errorf("balance transaction %s: unknown type %q", bt.ID, bt.Type)
	}
	return reconcile.Transaction{
		ID: bt.ID, Type: typ, Source: bt.Source, OrderID: bt.OrderID,
		Amount: bt.Amount, Fee: bt.Fee, Net: bt.Net, Currency: string(bt.Currency),
		CreatedAt: bt.CreatedAt, SettlementID: bt.SettlementID,
	}, nil
}

// Settlement maps a settlement header of the API to the reconciler's form.
func Settlement(s *tokenim.Settlement) reconcile.Settlement {
	return reconcile.Settlement{ID: s.ID, Currency: string(s.Currency), Amount: s.Amount, TransactionCount: s.TransactionCount}
}

// Period is what AddPeriod gave the reconciler.
type Period struct {
	From, To     time.Time
	Transactions int
	// Settlements are the settlements whose every transaction was created in
	// the period: their headers were added, so their totals are checked.
	Settlements []string
	// Cut are settlements with transactions on both sides of the period's
	// bounds: their headers were left out, since a header given without all
	// of its transactions would be reported as different (see
	// [reconcile.Reconciler.AddSettlement]); their transactions inside the
	// period are still reconciled.
	Cut []string
}

// AddPeriod adds to r every balance transaction created in [from, to),
// streamed page by page, and the header of each settlement they name whose
// transactions all lie in the period. Records are the caller's to add.
func AddPeriod(ctx context.Context, c *tokenim.Client, r *reconcile.Reconciler, from, to time.Time) (*Period, error) {
	if !from.Before(to) {
		return nil, fmt.Errorf("period: from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	p := &Period{From: from, To: to}
	named := map[string]bool{}
	var pageErr error
	txns := func(yield func(reconcile.Transaction, error) bool) {
		for bt, err := range c.BalanceTransactions.All(ctx, &tokenim.BalanceTransactionListParams{
			ListParams: tokenim.ListParams{Limit: 100}, CreatedGTE: from, CreatedLT: to,
		}) {
			if err != nil {
				pageErr = err
				yield(reconcile.Transaction{}, err)
				return
			}
			t, err := Transaction(bt)
			if err == nil && t.SettlementID != "" {
				named[t.SettlementID] = true
			}
			p.Transactions++
			if !yield(t, err) {
				return
			}
		}
	}
	if err := r.AddTransactions(iter.Seq2[reconcile.Transaction, error](txns)); err != nil {
		if pageErr != nil {
			return nil, fmt.Errorf("list balance transactions: %w", err)
		}
		return nil, err
	}
	ids := make([]string, 0, len(named))
	for id := range named {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		whole, err := inside(ctx, c, id, from, to)
		if err != nil {
			return nil, err
		}
		if !whole {
			p.Cut = append(p.Cut, id)
			continue
		}
		s, err := c.Settlements.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("get settlement %s: %w", id, err)
		}
		if err := r.AddSettlement(Settlement(s)); err != nil {
			return nil, err
		}
		p.Settlements = append(p.Settlements, id)
	}
	return p, nil
}

// inside reports whether no transaction of settlement id was created before
// from or at or after to: two one-item pages, whatever its size.
func inside(ctx context.Context, c *tokenim.Client, id string, from, to time.Time) (bool, error) {
	for _, q := range []tokenim.BalanceTransactionListParams{{CreatedLT: from}, {CreatedGTE: to}} {
		q.SettlementID, q.Limit = id, 1
		page, err := c.BalanceTransactions.List(ctx, &q)
		if err != nil {
			return false, fmt.Errorf("list transactions of settlement %s: %w", id, err)
		}
		if len(page.Data) > 0 {
			return false, nil
		}
	}
	return true, nil
}
