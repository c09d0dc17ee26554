package sandbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// disputeLedger is the default merchant's dispute movements as
// (type, source, amount, fee) rows.
func disputeLedger(srv *Server) [][]any {
	var rows [][]any
	for _, t := range ledger(srv) {
		if t.Type == txnDispute || t.Type == txnDisputeReversal {
			rows = append(rows, []any{t.Type, t.Source, t.Amount, t.Fee})
		}
	}
	return rows
}

func disputeOn(t *testing.T, srv *Server, amount int64) (paymentID, disputeID string) {
	t.Helper()
	ord := newOrder(t, srv, amount)
	pay := api(t, srv, "POST", "/v1/payments", cardPayment(ord, "4242424242424242"))
	require.Equal(t, 200, pay.status, "%s", pay.raw)
	d := api(t, srv, "POST", "/_sandbox/disputes", map[string]any{"payment_id": pay.str("id")})
	require.Equal(t, 200, d.status, "%s", d.raw)
	assert.Equal(t, "fraudulent", d.str("reason"), "reason defaults to fraudulent")
	return pay.str("id"), d.str("id")
}

// docs/tokenim-api.md §8/§9: opening withdraws amount + fee; a won dispute
// returns the amount only.
func TestDisputes_wonReturnsTheAmountNotTheFee(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	_, id := disputeOn(t, srv, 10000)
	assert.Equal(t, [][]any{{"dispute", id, int64(-10000), int64(1500)}}, disputeLedger(srv))
	r := api(t, srv, "POST", "/v1/disputes/"+id+"/evidence", map[string]any{"submit": true,
		"evidence": map[string]any{"product_description": "Mug"}})
	require.Equal(t, 200, r.status, "%s", r.raw)
	srv.Advance(24 * time.Hour)
	assert.Equal(t, [][]any{{"dispute", id, int64(-10000), int64(1500)}, {"dispute_reversal", id, int64(10000), int64(0)}},
		disputeLedger(srv))
}

func TestDisputes_lostKeepsTheMoneyWithdrawn(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	_, accepted := disputeOn(t, srv, 4000)
	r := api(t, srv, "POST", "/v1/disputes/"+accepted+"/accept", nil)
	require.Equal(t, 200, r.status, "%s", r.raw)
	_, late := disputeOn(t, srv, 3000)
	srv.Advance(8 * 24 * time.Hour)
	assert.Equal(t, [][]any{{"dispute", accepted, int64(-4000), int64(1500)}, {"dispute", late, int64(-3000), int64(1500)}},
		disputeLedger(srv))
}

// A Reset drops disputes and their scheduled deadlines.
func TestDisputes_resetDropsThem(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	_, id := disputeOn(t, srv, 4000)
	srv.Reset()
	srv.Advance(8 * 24 * time.Hour)
	assert.Equal(t, 404, api(t, srv, "GET", "/v1/disputes/"+id, nil).status)
	assert.Empty(t, disputeLedger(srv))
}
