package reconcile_test

import (
	"fmt"
	"iter"
	"strings"
	"time"

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
	// missed_payment: order=ord_2 merchant_order=A-1002 txn=txn_2 line=3: paid on the platform, unpaid locally: expected CNY 0.00, actual CNY 50.00
	// refund_missing_locally: order=ord_1 merchant_order=A-1001 line=2: refunded on the platform more than recorded locally: expected CNY 0.00, actual CNY 5.00
}

// Reconcile takes any source: here the platform's transactions as an adapter
// of the API would yield them (balance transactions carry the order id, so
// the merchant's records carry it too) and records from the merchant's
// database. The order was paid twice.
func ExampleReconcile() {
	at := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	txns := []reconcile.Transaction{
		{ID: "txn_2", Type: reconcile.TxnPayment, OrderID: "ord_1", Amount: 10000, Fee: 100, Net: 9900, Currency: "USD", CreatedAt: at.Add(time.Minute)},
		{ID: "txn_1", Type: reconcile.TxnPayment, OrderID: "ord_1", Amount: 10000, Fee: 100, Net: 9900, Currency: "USD", CreatedAt: at},
	}
	records := []reconcile.Record{
		{OrderID: "ord_1", Amount: 10000, Currency: "USD", Status: reconcile.StatusPaid, Method: reconcile.MethodWallet},
	}
	report, err := reconcile.Reconcile(values(txns), nil, values(records))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, k := range reconcile.Kinds() {
		if n := report.Summary.Counts[k]; n > 0 {
			fmt.Println(k, n)
		}
	}
	for _, d := range report.Differences {
		fmt.Println(d)
	}
	// Output:
	// double_payment 1
	// double_payment: order=ord_1 txn=txn_2 other_txn=txn_1: more than one succeeded payment for one merchant order: expected 1 payment, actual 2
}

// values yields the elements of s without error.
func values[T any](s []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range s {
			if !yield(v, nil) {
				return
			}
		}
	}
}
