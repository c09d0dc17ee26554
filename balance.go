package tokenim

import (
	"context"
	"net/http"
)

// BalanceService reads the merchant's balance (docs/tokenim-api.md §9).
// API: /v1/balance
type BalanceService service

// Balance is the merchant's unsettled money per currency: the sum of the nets
// of balance transactions not yet in a settlement, split by whether their
// available_on has passed. Amounts are signed minor units: refunds and
// disputes can make them negative.
type Balance struct {
	Object string `json:"object"`
	// Available is what the next daily settlement pays out (when positive).
	Available []BalanceAmount `json:"available"`
	// Pending is what becomes available a day after it was recorded.
	Pending []BalanceAmount `json:"pending"`
}

// BalanceAmount is one currency's part of a balance.
type BalanceAmount struct {
	Currency Currency `json:"currency"`
	Amount   int64    `json:"amount"`
}

// Get retrieves the balance. API: GET /v1/balance
func (s *BalanceService) Get(ctx context.Context, opts ...RequestOption) (*Balance, error) {
	return fetch[Balance](ctx, s.client, endpoint{"Balance.Get", http.MethodGet, "/v1/balance", "", false}, "", nil, opts)
}

// AvailableIn returns the available amount in currency, 0 when absent.
func (b *Balance) AvailableIn(currency Currency) int64 { return amountIn(b.Available, currency) }

// PendingIn returns the pending amount in currency, 0 when absent.
func (b *Balance) PendingIn(currency Currency) int64 { return amountIn(b.Pending, currency) }

func amountIn(amounts []BalanceAmount, currency Currency) int64 {
	for _, a := range amounts {
		if a.Currency == currency {
			return a.Amount
		}
	}
	return 0
}
