package reconcile_test

import (
	"fmt"
	"strings"

	"github.com/tokenim/tokenim-go/reconcile"
)

// A statement with a payment the merchant's books hold as unpaid (a missed
// webhook) and a refund the merchant never recorded.
func Example() {
	statement := `balance_transaction_id,type,source,order_id,merchant_order_id,amount,fee,net,currency,created_at
txn_1,payment,pay_1,ord_1,A-1001,1999,88,1911,CNY,2026-11-21T09:30:00Z
txn_2,payment,pay_2,ord_2,A-1002,5000,50,4950,CNY,2026-11-21T10:00:00Z
txn_3,refund,re_1,ord_1,A-1001,-500,0,-500,CNY,2026-11-21T11:00:00Z
`
	orders := `merchant_order_id,amount,currency,status,refunded_amount,method
A-1001,1999,CNY,paid,,card
A-1002,5000,CNY,unpaid,,
`
	var r reconcile.Reconciler
	if err := r.AddSettlement(reconcile.Settlement{ID: "st_1", Currency: "CNY", Amount: 6361, TransactionCount: 3}); err != nil {
		fmt.Println(err)
		return
	}
	if err := r.AddTransactions(reconcile.NewStatementReader(strings.NewReader(statement), "st_1").All()); err != nil {
		fmt.Println(err)
		return
	}
	if err := r.AddRecords(reconcile.NewRecordReader(strings.NewReader(orders)).All()); err != nil {
		fmt.Println(err)
		return
	}
	report := r.Report()
	fmt.Printf("%d transactions, %d records, %d differences\n",
		report.Summary.Transactions, report.Summary.Records, report.Summary.Differences)
	for _, d := range report.Differences {
		fmt.Println(d)
	}
	// Output:
	// 3 transactions, 2 records, 2 differences
	// missed_payment: order=ord_2 merchant_order=A-1002 txn=txn_2 line=3: paid on the platform, unpaid locally: expected 0.00 CNY, actual 50.00 CNY
	// refund_missing_locally: order=ord_1 merchant_order=A-1001 line=2: refunded on the platform more than recorded locally: expected 0.00 CNY, actual 5.00 CNY
}
