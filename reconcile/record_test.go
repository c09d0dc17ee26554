package reconcile

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordReader(t *testing.T) {
	t.Parallel()
	// Columns in any order, aliases, a byte-order mark, an ignored column
	// and order statuses from docs/tokenim-api.md §5.
	in := "\ufeffStatus,Merchant_Order_ID,amount,currency,note,amount_refunded,payment_method,order_id\n" +
		"paid,A-1,1999,CNY,gift,,card,ord_1\n" +
		"refunded,A-2,500,JPY,,,wallet,\n" +
		"partially_refunded,A-3,2500,KWD,,100,,\n" +
		"expired,,700,USD,,,,ord_4\n"
	var got []Record
	for rec, err := range NewRecordReader(strings.NewReader(in)).All() {
		require.NoError(t, err)
		got = append(got, rec)
	}
	assert.Equal(t, []Record{
		{OrderID: "ord_1", MerchantOrderID: "A-1", Amount: 1999, Currency: "CNY", Status: StatusPaid, Method: MethodCard, Line: 2},
		{MerchantOrderID: "A-2", Amount: 500, Currency: "JPY", Status: StatusRefunded, RefundedAmount: 500, Method: MethodWallet, Line: 3},
		{MerchantOrderID: "A-3", Amount: 2500, Currency: "KWD", Status: StatusPartiallyRefunded, RefundedAmount: 100, Line: 4},
		{OrderID: "ord_4", Amount: 700, Currency: "USD", Status: StatusUnpaid, Line: 5},
	}, got)
}

func TestRecordReader_errors(t *testing.T) {
	t.Parallel()
	head := "merchant_order_id,amount,currency,status,refunded_amount,method\n"
	tests := []struct {
		name, in, want string
	}{
		{"no id column", "amount,currency,status\n", "reconcile: merchant records line 1: header has neither order_id nor merchant_order_id"},
		{"missing columns", "order_id,amount\n", "reconcile: merchant records line 1: header lacks column currency, status"},
		{"twice", "order_id,amount,currency,status,platform_order_id\n",
			"reconcile: merchant records line 1, column 5 (platform_order_id): column order_id given twice (also column 1)"},
		{"no id", head + ",100,CNY,paid,,\n", "reconcile: merchant records line 2, column 1 (merchant_order_id): no order id: order_id and merchant_order_id are both empty"},
		{"decimal", head + "A-1,100,CNY,paid,,\nA-2,19.99,CNY,paid,,\n",
			`reconcile: merchant records line 3, column 2 (amount): "19.99" is not an integer of minor units (docs/tokenim-api.md §1)`},
		{"zero", head + "A-1,0,CNY,paid,,\n", "reconcile: merchant records line 2, column 2 (amount): amount 0 is not positive"},
		{"currency", head + "A-1,100,RMB1,paid,,\n", `reconcile: merchant records line 2, column 3 (currency): "RMB1" is not an upper-case ISO 4217 currency code`},
		{"status", head + "A-1,100,CNY,settled,,\n",
			`reconcile: merchant records line 2, column 4 (status): "settled" is not a status (unpaid, paid, partially_refunded, refunded, or an order status)`},
		{"method", head + "A-1,100,CNY,paid,,cash\n", `reconcile: merchant records line 2, column 6 (method): "cash" is not a method (card, wallet, bank_transfer or empty)`},
		{"refund too big", head + "A-1,100,CNY,partially_refunded,101,\n",
			"reconcile: merchant records line 2, column 5 (refunded_amount): refunded amount 101 is outside 0…100 (the amount)"},
		{"unpaid refunded", head + "A-1,100,CNY,unpaid,5,\n",
			"reconcile: merchant records line 2, column 5 (refunded_amount): an unpaid order has refunded amount 5"},
		{"fields", head + "A-1,100\n", "reconcile: merchant records line 2: 2 fields, the header has 6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Reconciler
			err := r.AddRecords(NewRecordReader(strings.NewReader(tt.in)).All())
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}
