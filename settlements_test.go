package tokenim

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	balanceJSON = `{"object":"balance","available":[{"currency":"CNY","amount":9680},{"currency":"JPY","amount":-117}],
"pending":[{"currency":"CNY","amount":0},{"currency":"JPY","amount":990}]}`
	txnJSON = `{"id":"txn_1","object":"balance_transaction","type":"refund","source":"re_1","order_id":"ord_123",
"amount":-500,"fee":0,"net":-500,"currency":"CNY","available_on":"2026-11-22T11:05:00Z","settlement_id":null,
"created_at":"2026-11-21T11:05:00Z"}`
	settlementJSON = `{"id":"st_1","object":"settlement","currency":"CNY","amount":1411,"transaction_count":2,
"period_end":"2026-11-23T00:00:00Z","created_at":"2026-11-23T00:00:00Z","status":"paid"}`
	statementCSV = "balance_transaction_id,type,source,order_id,merchant_order_id,amount,fee,net,currency,created_at\r\n" +
		"txn_2,payment,pay_123,ord_123,\"A-1001, table 7\",1999,88,1911,CNY,2026-11-21T09:31:12Z\r\n" +
		"txn_1,refund,re_1,ord_123,\"A-1001, table 7\",-500,0,-500,CNY,2026-11-21T11:05:00Z\r\n"
)

func TestBalanceServices_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gte := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	testEndpoints(t, []endpointCase{
		{
			name: "Balance.Get", method: "GET", path: "/v1/balance", respond: balanceJSON,
			call: func(c *Client) (any, error) { return c.Balance.Get(ctx) },
			check: func(t *testing.T, got any) {
				b := got.(*Balance)
				assert.Equal(t, int64(9680), b.AvailableIn("CNY"))
				assert.Equal(t, int64(-117), b.AvailableIn("JPY"), "balances are signed")
				assert.Equal(t, int64(990), b.PendingIn("JPY"))
				assert.Zero(t, b.PendingIn("KWD"))
			},
		},
		{
			name: "BalanceTransactions.Get", method: "GET", path: "/v1/balance_transactions/txn_1", respond: txnJSON,
			call: func(c *Client) (any, error) { return c.BalanceTransactions.Get(ctx, "txn_1") },
			check: func(t *testing.T, got any) {
				x := got.(*BalanceTransaction)
				assert.Equal(t, BalanceTransactionRefund, x.Type)
				assert.Equal(t, []int64{-500, 0, -500}, []int64{x.Amount, x.Fee, x.Net})
				assert.Empty(t, x.SettlementID, "null until settled")
				assert.Equal(t, x.CreatedAt.Add(24*time.Hour), x.AvailableOn)
			},
		},
		{
			name: "BalanceTransactions.List", method: "GET", path: "/v1/balance_transactions",
			query: url.Values{"type": {"refund"}, "source": {"re_1"}, "settlement_id": {"st_1"},
				"created_gte": {"2026-11-21T00:00:00Z"}, "created_lt": {"2026-11-22T08:00:00+08:00"}, "limit": {"5"}},
			respond: listJSON(txnJSON),
			call: func(c *Client) (any, error) {
				return c.BalanceTransactions.List(ctx, &BalanceTransactionListParams{
					ListParams: ListParams{Limit: 5}, Type: BalanceTransactionRefund, Source: "re_1", SettlementID: "st_1",
					CreatedGTE: gte, CreatedLT: gte.Add(24 * time.Hour).In(time.FixedZone("CST", 8*3600)),
				})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "txn_1", got.(*List[BalanceTransaction]).Data[0].ID) },
		},
		{
			name: "Settlements.Get", method: "GET", path: "/v1/settlements/st_1", respond: settlementJSON,
			call: func(c *Client) (any, error) { return c.Settlements.Get(ctx, "st_1") },
			check: func(t *testing.T, got any) {
				s := got.(*Settlement)
				assert.Equal(t, SettlementStatusPaid, s.Status)
				assert.Equal(t, int64(1411), s.Amount)
			},
		},
		{
			name: "Settlements.List", method: "GET", path: "/v1/settlements", query: url.Values{"limit": {"1"}},
			respond: listJSON(settlementJSON),
			call: func(c *Client) (any, error) {
				return c.Settlements.List(ctx, &SettlementListParams{ListParams: ListParams{Limit: 1}})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "st_1", got.(*List[Settlement]).Data[0].ID) },
		},
	})
}

func TestBalanceTransactions_List_badFiltersSendNothing(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterNoResponder(rec.handle(func(int, *http.Request) (*http.Response, error) { return rawJSONResponse(200, listJSON()), nil }))
	at := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for field, p := range map[string]*BalanceTransactionListParams{
		"type":          {Type: "payout"},
		"settlement_id": {SettlementID: "txn_1"},
		"created_lt":    {CreatedGTE: at, CreatedLT: at},
	} {
		_, err := c.BalanceTransactions.List(context.Background(), p)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	assert.Zero(t, rec.Count())
}

// csvResponse answers a statement as the platform does.
func csvResponse(body string) *http.Response {
	resp := httpmock.NewStringResponse(200, body)
	resp.Header.Set("Content-Type", "text/csv; charset=utf-8")
	resp.Header.Set("Request-Id", "req_test000000000000000000001")
	return resp
}

func TestSettlements_Report_rawBytesAndTypedRows(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var accept string
	mt.RegisterResponder("GET", testBaseURL+"/v1/settlements/st_1/report", func(req *http.Request) (*http.Response, error) {
		accept = req.Header.Get("Accept")
		return csvResponse(statementCSV), nil
	})
	rep, err := c.Settlements.Report(context.Background(), "st_1")
	require.NoError(t, err)
	assert.Regexp(t, `^text/csv,`, accept, "the statement is asked for as CSV")
	assert.Equal(t, statementCSV, string(rep.Raw()), "the statement as sent, for archiving")

	var rows []SettlementReportRow
	for row, err := range rep.Rows() {
		require.NoError(t, err)
		rows = append(rows, row)
	}
	require.Len(t, rows, 2)
	assert.Equal(t, SettlementReportRow{
		BalanceTransactionID: "txn_2", Type: BalanceTransactionPayment, Source: "pay_123", OrderID: "ord_123",
		MerchantOrderID: "A-1001, table 7", Amount: 1999, Fee: 88, Net: 1911, Currency: "CNY",
		CreatedAt: time.Date(2026, 11, 21, 9, 31, 12, 0, time.UTC), Line: 2,
	}, rows[0], "RFC 4180 quoting is undone")
	assert.Equal(t, int64(-500), rows[1].Amount)
	assert.Equal(t, 3, rows[1].Line)

	n := 0
	for range rep.Rows() {
		n++
		break
	}
	assert.Equal(t, 1, n, "breaking out stops the iteration; Rows can be ranged again")
}

func TestSettlements_Report_badStatementsAreErrorsNamingWhere(t *testing.T) {
	t.Parallel()
	header := "balance_transaction_id,type,source,order_id,merchant_order_id,amount,fee,net,currency,created_at\r\n"
	for name, tc := range map[string]struct{ body, want string }{
		"empty":          {"", "empty, no header row"},
		"wrong header":   {"id,type\r\n", "header"},
		"decimal amount": {header + "txn_1,payment,pay_1,ord_1,A,19.99,88,1911,CNY,2026-11-21T09:31:12Z\r\n", "line 2, column amount"},
		"bad time":       {header + "txn_1,payment,pay_1,ord_1,A,1999,88,1911,CNY,yesterday\r\n", "line 2, column created_at"},
		"bad currency":   {header + "txn_1,payment,pay_1,ord_1,A,1999,88,1911,yen,2026-11-21T09:31:12Z\r\n", "column currency"},
		"short row":      {header + "txn_1,payment\r\n", "wrong number of fields"},
	} {
		rep := &SettlementReport{SettlementID: "st_1", raw: []byte(tc.body)}
		var err error
		for _, e := range rep.Rows() {
			if e != nil {
				err = e
			}
		}
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), tc.want, name)
	}
}

func TestSettlements_Report_notCSVIsAnError(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	mt.RegisterResponder("GET", testBaseURL+"/v1/settlements/st_1/report", func(*http.Request) (*http.Response, error) {
		return rawJSONResponse(200, `{"object":"settlement"}`), nil
	})
	_, err := c.Settlements.Report(context.Background(), "st_1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `expected a text/csv statement, got Content-Type "application/json"`)

	_, err = c.Settlements.Report(context.Background(), "txn_1")
	var ve *ValidationError
	require.ErrorAs(t, err, &ve, "an id of another kind is refused before sending")
}

func TestSettlements_Report_largerThanTheLimitIsAnError(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t, WithMaxResponseBytes(1024))
	mt.RegisterResponder("GET", testBaseURL+"/v1/settlements/st_1/report", func(*http.Request) (*http.Response, error) {
		return csvResponse(statementCSV + strings.Repeat("txn_1,refund,re_1,ord_123,A,-500,0,-500,CNY,2026-11-21T11:05:00Z\r\n", 20)), nil
	})
	_, err := c.Settlements.Report(context.Background(), "st_1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "larger than 1024 bytes")
}

func TestEvent_Settlement(t *testing.T) {
	t.Parallel()
	ev := &Event{ID: "evt_1", Type: EventSettlementPaid}
	ev.Data.Object = []byte(settlementJSON)
	s, err := ev.Settlement()
	require.NoError(t, err)
	assert.Equal(t, "st_1", s.ID)
	_, err = ev.Payment()
	assert.Error(t, err)
}
