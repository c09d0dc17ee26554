package sandbox

import (
	"io"
	"net/http"
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
	for _, t := range srv.merchants[srv.MerchantID].ledger.txnList {
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

// docs/tokenim-api.md §9: at each 00:00 UTC, available transactions settle
// per currency when their nets sum above 0 (else they carry over), the
// statement lists them oldest first and its nets sum to the settlement.
func TestSettlement_dailyCarryOverAndReport(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0)) // 09:30 on day 0
	ord := newOrder(t, srv, 1000)
	pay := api(t, srv, "POST", "/v1/payments", cardPayment(ord, "4242424242424242"))
	require.Equal(t, 200, pay.status, "%s", pay.raw)
	srv.Advance(24 * time.Hour) // day 1 00:00 passes: nothing available yet
	require.Equal(t, 200, api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": pay.str("id")}).status)
	srv.Advance(10 * time.Minute)
	// Day 2 00:00: the payment (+941) is available, the refund (-1000) not
	// yet; day 3 00:00: both, summing to -59: carried over, never settled.
	srv.Advance(3 * 24 * time.Hour)
	st := api(t, srv, "GET", "/v1/settlements", nil)
	require.Equal(t, 200, st.status)
	data := st.body["data"].([]any)
	require.Len(t, data, 1, "%s", st.raw)
	s0 := data[0].(map[string]any)
	assert.Equal(t, float64(941), s0["amount"])
	assert.Equal(t, "2026-11-23T00:00:00Z", s0["period_end"])
	bal := api(t, srv, "GET", "/v1/balance", nil)
	assert.JSONEq(t, `{"object":"balance","available":[{"currency":"CNY","amount":-1000}],"pending":[{"currency":"CNY","amount":0}]}`, string(bal.raw))

	rep := rawGet(t, srv, "/v1/settlements/"+s0["id"].(string)+"/report")
	txn := ledger(srv)[0]
	assert.Equal(t, "balance_transaction_id,type,source,order_id,merchant_order_id,amount,fee,net,currency,created_at\r\n"+
		txn.ID+",payment,"+pay.str("id")+","+ord+","+srv.merchantOrderID(ord)+",1000,59,941,CNY,2026-11-21T09:30:00Z\r\n", rep)
}

// rawGet answers a GET as the default merchant, body as text, asserting 200 and text/csv.
func rawGet(t *testing.T, srv *Server, path string) string {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", srv.MerchantID)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	return string(b)
}

func (s *Server) merchantOrderID(orderID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.merchants[s.MerchantID].orders[orderID].MerchantOrderID
}
