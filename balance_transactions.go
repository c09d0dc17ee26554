package tokenim

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// BalanceTransactionsService lists the movements of the merchant's money
// (docs/tokenim-api.md §9). API: /v1/balance_transactions
type BalanceTransactionsService service

// BalanceTransactionType is what moved the money.
type BalanceTransactionType string

// Balance transaction types (docs/tokenim-api.md §9).
const (
	// BalanceTransactionPayment: a succeeded payment, +amount with its fee.
	BalanceTransactionPayment BalanceTransactionType = "payment"
	// BalanceTransactionRefund: a succeeded refund, -amount, fee 0.
	BalanceTransactionRefund BalanceTransactionType = "refund"
	// BalanceTransactionDispute: an opened dispute, -amount with the dispute fee.
	BalanceTransactionDispute BalanceTransactionType = "dispute"
	// BalanceTransactionDisputeReversal: a won dispute, +amount, fee 0.
	BalanceTransactionDisputeReversal BalanceTransactionType = "dispute_reversal"
)

// BalanceTransaction is one movement of the merchant's money. Amount is
// signed (money in is positive), Fee ≥ 0 and Net = Amount - Fee, in minor
// units. SettlementID is empty until a daily settlement pays it out.
type BalanceTransaction struct {
	ID           string                 `json:"id"`
	Object       string                 `json:"object"`
	Type         BalanceTransactionType `json:"type"`
	Source       string                 `json:"source"` // the payment, refund or dispute id
	OrderID      string                 `json:"order_id"`
	Amount       int64                  `json:"amount"`
	Fee          int64                  `json:"fee"`
	Net          int64                  `json:"net"`
	Currency     Currency               `json:"currency"`
	AvailableOn  time.Time              `json:"available_on"`
	SettlementID string                 `json:"settlement_id"`
	CreatedAt    time.Time              `json:"created_at"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// BalanceTransactionListParams filter BalanceTransactions.List and All.
// CreatedGTE and CreatedLT bound created_at (inclusive, exclusive); the
// platform compares whole seconds. API: GET /v1/balance_transactions
type BalanceTransactionListParams struct {
	ListParams
	Type         BalanceTransactionType `url:"type,omitempty"`
	Source       string                 `url:"source,omitempty"`
	SettlementID string                 `url:"settlement_id,omitempty"`
	CreatedGTE   time.Time              `url:"created_gte,omitempty"`
	CreatedLT    time.Time              `url:"created_lt,omitempty"`
}

func (p *BalanceTransactionListParams) validateFilters() error {
	if err := validateIDFilter("settlement_id", "st_", p.SettlementID); err != nil {
		return err
	}
	switch p.Type {
	case "", BalanceTransactionPayment, BalanceTransactionRefund, BalanceTransactionDispute, BalanceTransactionDisputeReversal:
	default:
		return invalid("type", "must be payment, refund, dispute or dispute_reversal, got %q", p.Type)
	}
	if !p.CreatedGTE.IsZero() && !p.CreatedLT.IsZero() && !p.CreatedGTE.Before(p.CreatedLT) {
		return invalid("created_lt", "must be after created_gte (%s), got %s", p.CreatedGTE.Format(time.RFC3339), p.CreatedLT.Format(time.RFC3339))
	}
	return nil
}

var balanceTransactionsList = newLister[BalanceTransactionListParams](
	endpoint{"BalanceTransactions.List", http.MethodGet, "/v1/balance_transactions", "txn_", false},
	func(t *BalanceTransaction) string { return t.ID })

// Get retrieves a balance transaction. API: GET /v1/balance_transactions/{id}
func (s *BalanceTransactionsService) Get(ctx context.Context, id string, opts ...RequestOption) (*BalanceTransaction, error) {
	return fetch[BalanceTransaction](ctx, s.client, endpoint{"BalanceTransactions.Get", http.MethodGet, "/v1/balance_transactions/{id}", "txn_", false}, id, nil, opts)
}

// List returns one page of balance transactions, newest first.
// API: GET /v1/balance_transactions
func (s *BalanceTransactionsService) List(ctx context.Context, params *BalanceTransactionListParams, opts ...RequestOption) (*List[BalanceTransaction], error) {
	return balanceTransactionsList.page(ctx, s.client, params, opts)
}

// All iterates over every balance transaction matching params, newest first,
// fetching pages lazily. API: GET /v1/balance_transactions
func (s *BalanceTransactionsService) All(ctx context.Context, params *BalanceTransactionListParams, opts ...RequestOption) iter.Seq2[*BalanceTransaction, error] {
	return balanceTransactionsList.all(ctx, s.client, params, opts)
}
