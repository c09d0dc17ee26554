package reconcile

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const statementHead = "balance_transaction_id,type,source,order_id,merchant_order_id,amount,fee,net,currency,created_at\n"

func TestStatementReader(t *testing.T) {
	t.Parallel()
	in := statementHead +
		"txn_1,payment,pay_1,ord_1,A-1,1999,88,1911,CNY,2026-11-21T09:30:00Z\r\n" +
		`txn_2,refund,re_1,ord_1,"A-1",-500,0,-500,CNY,2026-11-21T10:00:00Z` + "\n" +
		"txn_3,dispute,dp_1,ord_2,,-1000,1500,-2500,KWD,2026-11-21T11:00:00Z\n"
	s := NewStatementReader(strings.NewReader(in), "st_1")
	var got []Transaction
	for txn, err := range s.All() {
		require.NoError(t, err)
		got = append(got, txn)
	}
	at := func(h int) time.Time { return time.Date(2026, 11, 21, h, 0, 0, 0, time.UTC) }
	assert.Equal(t, []Transaction{
		{ID: "txn_1", Type: TxnPayment, Source: "pay_1", OrderID: "ord_1", MerchantOrderID: "A-1", Amount: 1999, Fee: 88, Net: 1911, Currency: "CNY", CreatedAt: at(9).Add(30 * time.Minute), SettlementID: "st_1"},
		{ID: "txn_2", Type: TxnRefund, Source: "re_1", OrderID: "ord_1", MerchantOrderID: "A-1", Amount: -500, Net: -500, Currency: "CNY", CreatedAt: at(10), SettlementID: "st_1"},
		{ID: "txn_3", Type: TxnDispute, Source: "dp_1", OrderID: "ord_2", Amount: -1000, Fee: 1500, Net: -2500, Currency: "KWD", CreatedAt: at(11), SettlementID: "st_1"},
	}, got)
	_, err := s.Read()
	assert.Equal(t, io.EOF, err)
}

func TestStatementReader_errors(t *testing.T) {
	t.Parallel()
	row := "txn_1,payment,pay_1,ord_1,A-1,1999,88,1911,CNY,2026-11-21T09:30:00Z\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "reconcile: statement line 1: empty file: want a header row"},
		{"short header", "balance_transaction_id,type\n", "reconcile: statement line 1: header has 2 columns, want 10: " + strings.Join(StatementHeader(), ",")},
		{"renamed column", strings.Replace(statementHead, "fee", "fees", 1) + row,
			`reconcile: statement line 1: header column 7 is "fees", want "fee" (` + strings.Join(StatementHeader(), ",") + ")"},
		{"field count", statementHead + row + "txn_2,payment\n", "reconcile: statement line 3: 2 fields, the header has 10"},
		{"bad quote", statementHead + row + "txn_2,\"pay\"ment,pay_1,ord_1,A-1,1,0,1,CNY,2026-11-21T09:30:00Z\n",
			`reconcile: statement line 3: byte 11: extraneous or missing " in quoted-field`},
		{"type", statementHead + strings.Replace(row, "payment", "charge", 1),
			`reconcile: statement line 2, column 2 (type): "charge" is not one of payment, refund, dispute, dispute_reversal`},
		{"amount", statementHead + row + strings.Replace(row, "1999", "19.99", 1),
			`reconcile: statement line 3, column 6 (amount): "19.99" is not an integer of minor units (docs/tokenim-api.md §1)`},
		{"range", statementHead + strings.Replace(row, "88", "99999999999999999999", 1),
			`reconcile: statement line 2, column 7 (fee): "99999999999999999999" is out of the int64 range`},
		{"currency", statementHead + strings.Replace(row, "CNY", "cny", 1),
			`reconcile: statement line 2, column 9 (currency): "cny" is not an upper-case ISO 4217 currency code`},
		{"time", statementHead + strings.Replace(row, "2026-11-21T09:30:00Z", "21/11/2026", 1),
			`reconcile: statement line 2, column 10 (created_at): "21/11/2026" is not an RFC 3339 time`},
		{"no id", statementHead + strings.Replace(row, "txn_1", "", 1),
			"reconcile: statement line 2, column 1 (balance_transaction_id): empty balance transaction id"},
		{"no order", statementHead + strings.Replace(row, "ord_1", "", 1),
			"reconcile: statement line 2, column 4 (order_id): empty order id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Reconciler
			err := r.AddTransactions(NewStatementReader(strings.NewReader(tt.in), "").All())
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
			var pe *ParseError
			assert.True(t, errors.As(err, &pe), "a *ParseError")
		})
	}
}

func TestStatementReader_stickyError(t *testing.T) {
	t.Parallel()
	s := NewStatementReader(strings.NewReader("x\n"), "")
	_, err1 := s.Read()
	_, err2 := s.Read()
	require.Error(t, err1)
	assert.Same(t, err1, err2)
}
