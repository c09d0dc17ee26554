package sandbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ledger returns the default merchant's balance transactions, oldest first.
func ledger(srv *Server) []balanceTxn {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var out []balanceTxn
	for _, t := range srv.merchants[srv.MerchantID].txnList {
		out = append(out, *t)
	}
	return out
}

// docs/tokenim-api.md §9: a succeeded payment adds +amount with its §5 fee, a
// succeeded refund -amount with fee 0; available a day later.
func TestLedger_paymentAndRefundRecorded(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	ord := newOrder(t, srv, 10000)
	pay := api(t, srv, "POST", "/v1/payments", cardPayment(ord, "4242424242424242"))
	require.Equal(t, 200, pay.status, "%s", pay.raw)
	rf := api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": pay.str("id"), "amount": 2500})
	require.Equal(t, 200, rf.status, "%s", rf.raw)
	srv.Advance(5 * time.Minute)

	got := ledger(srv)
	require.Len(t, got, 2)
	p, r := got[0], got[1]
	assert.Equal(t, []any{"payment", pay.str("id"), ord, int64(10000), int64(320), int64(9680), "CNY"},
		[]any{p.Type, p.Source, p.OrderID, p.Amount, p.Fee, p.Net, p.Currency})
	assert.Equal(t, t0.Add(24*time.Hour), p.availableOn)
	assert.Equal(t, []any{"refund", rf.str("id"), ord, int64(-2500), int64(0), int64(-2500)},
		[]any{r.Type, r.Source, r.OrderID, r.Amount, r.Fee, r.Net})
	assert.Equal(t, t0.Add(5*time.Minute+24*time.Hour), r.availableOn)
}
