package reconcile

import (
	"iter"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sliceSeq[T any](rows []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, row := range rows {
			if !yield(row, nil) {
				return
			}
		}
	}
}

var t0 = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// payment is a payment transaction with the schedule's fee for m.
func payment(id, orderID, merchantOrderID string, amount int64, currency string, m Method) Transaction {
	fee := Fee(m, amount)
	return Transaction{ID: id, Type: TxnPayment, Source: "pay_" + id, OrderID: orderID, MerchantOrderID: merchantOrderID,
		Amount: amount, Fee: fee, Net: amount - fee, Currency: currency, CreatedAt: t0}
}

func refund(id, orderID, merchantOrderID string, amount int64, currency string) Transaction {
	return Transaction{ID: id, Type: TxnRefund, Source: "re_" + id, OrderID: orderID, MerchantOrderID: merchantOrderID,
		Amount: -amount, Net: -amount, Currency: currency, CreatedAt: t0}
}

// fixture is a small consistent month: a card payment partly refunded, a
// wallet payment in JPY, a bank transfer in KWD lost to a dispute and won
// back, an unpaid order, all settled in per-currency settlements.
type fixture struct {
	txns        []Transaction
	settlements []Settlement
	records     []Record
}

func newFixture() *fixture {
	f := &fixture{
		txns: []Transaction{
			payment("txn_1", "ord_1", "A-1", 1999, "CNY", MethodCard),
			refund("txn_2", "ord_1", "A-1", 500, "CNY"),
			payment("txn_3", "ord_2", "A-2", 12000, "JPY", MethodWallet),
			payment("txn_4", "ord_3", "A-3", 250500, "KWD", MethodBankTransfer),
			{ID: "txn_5", Type: TxnDispute, Source: "dp_1", OrderID: "ord_3", MerchantOrderID: "A-3",
				Amount: -250500, Fee: DisputeFee, Net: -252000, Currency: "KWD", CreatedAt: t0},
			{ID: "txn_6", Type: TxnDisputeReversal, Source: "dp_1", OrderID: "ord_3", MerchantOrderID: "A-3",
				Amount: 250500, Net: 250500, Currency: "KWD", CreatedAt: t0},
		},
		records: []Record{
			{MerchantOrderID: "A-1", Amount: 1999, Currency: "CNY", Status: StatusPartiallyRefunded, RefundedAmount: 500, Method: MethodCard, Line: 2},
			{MerchantOrderID: "A-2", Amount: 12000, Currency: "JPY", Status: StatusPaid, Line: 3},
			{OrderID: "ord_3", Amount: 250500, Currency: "KWD", Status: StatusPaid, Method: MethodBankTransfer, Line: 4},
			{MerchantOrderID: "A-4", Amount: 700, Currency: "CNY", Status: StatusUnpaid, Line: 5},
		},
	}
	f.settleAll(func(*Transaction) bool { return true })
	return f
}

// settleAll puts the transactions that settled says so in one settlement per
// currency, st_<currency>, and makes the settlements' headers.
func (f *fixture) settleAll(settled func(*Transaction) bool) {
	sums := map[string]*Settlement{}
	for i := range f.txns {
		t := &f.txns[i]
		if !settled(t) {
			continue
		}
		t.SettlementID = "st_" + t.Currency
		s := sums[t.SettlementID]
		if s == nil {
			s = &Settlement{ID: t.SettlementID, Currency: t.Currency}
			sums[t.SettlementID] = s
		}
		s.Amount += t.Net
		s.TransactionCount++
	}
	for _, c := range currencies {
		if s := sums["st_"+c]; s != nil {
			f.settlements = append(f.settlements, *s)
		}
	}
}

func (f *fixture) reconcile(t *testing.T) *Report {
	t.Helper()
	report, err := Reconcile(sliceSeq(f.txns), f.settlements, sliceSeq(f.records))
	require.NoError(t, err)
	return report
}

func TestReconcile_consistentDataHasNoDifference(t *testing.T) {
	t.Parallel()
	report := newFixture().reconcile(t)
	assert.Empty(t, report.Differences)
	assert.True(t, report.OK())
	assert.Equal(t, Summary{Transactions: 6, Records: 4, Orders: 4, Settlements: 3, Counts: report.Summary.Counts}, report.Summary)
	for _, k := range Kinds() {
		assert.Contains(t, report.Summary.Counts, k, "every kind is counted, 0 included")
	}
}

// TestReconcile_eachKind plants one difference in consistent data and
// expects exactly it.
func TestReconcile_eachKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		plant func(f *fixture)
		want  Difference
	}{
		{"payment unknown locally", func(f *fixture) { f.records = slices.Delete(f.records, 1, 2) },
			Difference{Kind: KindMissedPayment, OrderID: "ord_2", MerchantOrderID: "A-2", TransactionID: "txn_3", Currency: "JPY", Actual: 12000, Detail: "paid on the platform, unknown locally"}},
		{"payment unpaid locally", func(f *fixture) { f.records[1].Status = StatusUnpaid },
			Difference{Kind: KindMissedPayment, OrderID: "ord_2", MerchantOrderID: "A-2", TransactionID: "txn_3", Line: 3, Currency: "JPY", LocalCurrency: "JPY", Actual: 12000, Detail: "paid on the platform, unpaid locally"}},
		{"paid locally only", func(f *fixture) { f.records[3].Status = StatusPaid },
			Difference{Kind: KindNotOnPlatform, MerchantOrderID: "A-4", Line: 5, Currency: "CNY", LocalCurrency: "CNY", Expected: 700, Detail: "paid locally, no payment on the platform"}},
		{"amount", func(f *fixture) { f.records[1].Amount = 12001 },
			Difference{Kind: KindAmountMismatch, OrderID: "ord_2", MerchantOrderID: "A-2", TransactionID: "txn_3", Line: 3, Currency: "JPY", LocalCurrency: "JPY", Expected: 12001, Actual: 12000, Detail: "the payment's amount differs from the record's"}},
		{"currency", func(f *fixture) { f.records[1].Currency = "CNY" },
			Difference{Kind: KindCurrencyMismatch, OrderID: "ord_2", MerchantOrderID: "A-2", Line: 3, Currency: "JPY", LocalCurrency: "CNY", Detail: "the record's currency differs from the platform's"}},
		{"double payment", func(f *fixture) {
			p := payment("txn_9", "ord_9", "A-2", 12000, "JPY", MethodWallet) // a second platform order for A-2
			f.txns = append(f.txns, p)
		}, Difference{Kind: KindDoublePayment, OrderID: "ord_9", MerchantOrderID: "A-2", TransactionID: "txn_9", OtherTransactionID: "txn_3", Line: 3, Currency: "JPY", Expected: 1, Actual: 2, Detail: "more than one succeeded payment for one merchant order"}},
		{"refund missing on the platform", func(f *fixture) { f.records[2].Status, f.records[2].RefundedAmount = StatusPartiallyRefunded, 100 },
			Difference{Kind: KindRefundMissingOnPlatform, OrderID: "ord_3", MerchantOrderID: "A-3", Line: 4, Currency: "KWD", LocalCurrency: "KWD", Expected: 100, Detail: "refunded locally more than on the platform"}},
		{"refund missing locally", func(f *fixture) { f.records[0].Status, f.records[0].RefundedAmount = StatusPaid, 0 },
			Difference{Kind: KindRefundMissingLocally, OrderID: "ord_1", MerchantOrderID: "A-1", Line: 2, Currency: "CNY", LocalCurrency: "CNY", Actual: 500, Detail: "refunded on the platform more than recorded locally"}},
		{"card fee", func(f *fixture) { f.txns[0].Fee, f.txns[0].Net = 87, 1912; f.settlements[0].Amount++ },
			Difference{Kind: KindFeeMismatch, OrderID: "ord_1", MerchantOrderID: "A-1", TransactionID: "txn_1", Line: 2, Currency: "CNY", Expected: 88, Actual: 87, Detail: "fee differs from the card schedule (docs/tokenim-api.md §5)"}},
		{"fee of an unknown method", func(f *fixture) { f.txns[2].Fee, f.txns[2].Net = 121, 11879; f.settlements[1].Amount-- },
			Difference{Kind: KindFeeMismatch, OrderID: "ord_2", MerchantOrderID: "A-2", TransactionID: "txn_3", Line: 3, Currency: "JPY", Expected: 120, Actual: 121, Detail: "fee is none of card, wallet, bank_transfer's (docs/tokenim-api.md §5)"}},
		{"refund fee", func(f *fixture) { f.txns[1].Fee, f.txns[1].Net = 1, -501; f.settlements[0].Amount-- },
			Difference{Kind: KindFeeMismatch, OrderID: "ord_1", MerchantOrderID: "A-1", TransactionID: "txn_2", SettlementID: "st_CNY", Currency: "CNY", Actual: 1, Detail: "a refund's fee is 0 (docs/tokenim-api.md §9)"}},
		{"dispute fee", func(f *fixture) { f.txns[4].Fee, f.txns[4].Net = 1000, -251500; f.settlements[2].Amount += 500 },
			Difference{Kind: KindFeeMismatch, OrderID: "ord_3", MerchantOrderID: "A-3", TransactionID: "txn_5", SettlementID: "st_KWD", Currency: "KWD", Expected: 1500, Actual: 1000, Detail: "a dispute's fee is 1500 minor units (docs/tokenim-api.md §8)"}},
		{"net", func(f *fixture) { f.txns[5].Net--; f.settlements[2].Amount-- },
			Difference{Kind: KindNetMismatch, OrderID: "ord_3", MerchantOrderID: "A-3", TransactionID: "txn_6", SettlementID: "st_KWD", Currency: "KWD", Expected: 250500, Actual: 250499, Detail: "net is not amount - fee"}},
		{"settlement total", func(f *fixture) { f.settlements[1].Amount++ },
			Difference{Kind: KindSettlementMismatch, SettlementID: "st_JPY", Currency: "JPY", Expected: 11881, Actual: 11880, Detail: "the settlement's amount or count differs from its transactions; transactions: expected 1, actual 1"}},
		{"settlement count", func(f *fixture) { f.settlements[0].TransactionCount = 3 },
			Difference{Kind: KindSettlementMismatch, SettlementID: "st_CNY", Currency: "CNY", Expected: 1411, Actual: 1411, Detail: "the settlement's amount or count differs from its transactions; transactions: expected 3, actual 2"}},
		{"duplicate record", func(f *fixture) { r := f.records[0]; r.Line = 6; f.records = append(f.records, r) },
			Difference{Kind: KindDuplicateRecord, OrderID: "ord_1", MerchantOrderID: "A-1", Line: 6, Currency: "CNY", Detail: "the order is recorded twice; the first record (line 2) is kept"}},
		// Records built in code have no line: the detail must not say "line 0".
		{"duplicate record without lines", func(f *fixture) { f.records[0].Line = 0; f.records = append(f.records, f.records[0]) },
			Difference{Kind: KindDuplicateRecord, OrderID: "ord_1", MerchantOrderID: "A-1", Currency: "CNY", Detail: "the order is recorded twice; the first record is kept"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture()
			tt.plant(f)
			report := f.reconcile(t)
			require.Len(t, report.Differences, 1, "%v", report.Differences)
			assert.Equal(t, tt.want, report.Differences[0])
			assert.Equal(t, 1, report.Summary.Counts[tt.want.Kind])
			assert.Equal(t, 1, report.Summary.Differences)
		})
	}
}

func TestReconcile_overflow(t *testing.T) {
	t.Parallel()
	big := int64(math.MaxInt64 - 10)
	txns := []Transaction{
		{ID: "txn_1", Type: TxnPayment, OrderID: "ord_1", Amount: big, Fee: 0, Net: big, Currency: "USD", SettlementID: "st_1"},
		{ID: "txn_2", Type: TxnPayment, OrderID: "ord_2", Amount: big, Fee: 0, Net: big, Currency: "USD", SettlementID: "st_1"},
		{ID: "txn_3", Type: TxnRefund, OrderID: "ord_1", Amount: -big, Net: -big, Currency: "USD"},
		{ID: "txn_4", Type: TxnRefund, OrderID: "ord_1", Amount: -big, Net: -big, Currency: "USD"},
		{ID: "txn_5", Type: TxnDispute, OrderID: "ord_2", Amount: math.MinInt64 + 1, Fee: DisputeFee, Net: 0, Currency: "USD"},
	}
	var r Reconciler
	require.NoError(t, r.AddSettlement(Settlement{ID: "st_1", Currency: "USD", Amount: 1, TransactionCount: 2}))
	require.NoError(t, r.AddTransactions(sliceSeq(txns)))
	var overflow []string
	for _, d := range r.Report().Differences {
		if d.Kind == KindOverflow {
			overflow = append(overflow, d.TransactionID+d.SettlementID)
		}
	}
	// The second refund overflows the order's refunds, the dispute's
	// amount - fee and the settlement's sum; none of them wraps silently.
	assert.Equal(t, []string{"st_1", "txn_4", "txn_5"}, overflow)
}

func TestReconcile_rejectsMalformedRows(t *testing.T) {
	t.Parallel()
	ok := payment("txn_1", "ord_1", "A-1", 1000, "USD", MethodCard)
	tests := []struct {
		name  string
		edit  func(*Transaction)
		error string
	}{
		{"no id", func(t *Transaction) { t.ID = "" }, "reconcile: transaction without id"},
		{"no order", func(t *Transaction) { t.OrderID, t.MerchantOrderID = "", "" }, `reconcile: transaction "txn_1": neither order id nor merchant order id`},
		{"currency", func(t *Transaction) { t.Currency = "usd" }, `reconcile: transaction "txn_1": currency "usd" is not an upper-case ISO 4217 code`},
		{"negative fee", func(t *Transaction) { t.Fee = -1 }, `reconcile: transaction "txn_1": negative fee -1`},
		{"payment sign", func(t *Transaction) { t.Amount = -1000 }, `reconcile: transaction "txn_1": a payment's amount must be positive, got -1000`},
		{"refund sign", func(t *Transaction) { t.Type = TxnRefund }, `reconcile: transaction "txn_1": a refund's amount must be negative, got 1000`},
		{"type", func(t *Transaction) { t.Type = 9 }, `reconcile: transaction "txn_1": unknown type 9`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			txn := ok
			tt.edit(&txn)
			var r Reconciler
			assert.EqualError(t, r.AddTransactions(sliceSeq([]Transaction{txn})), tt.error)
		})
	}

	var twice Reconciler
	assert.EqualError(t, twice.AddTransactions(sliceSeq([]Transaction{ok, ok})), `reconcile: transaction "txn_1" given twice`)

	rec := Record{MerchantOrderID: "A-1", Amount: 1000, Currency: "USD", Status: StatusPartiallyRefunded, RefundedAmount: 1000, Line: 7}
	var r Reconciler
	assert.EqualError(t, r.AddRecords(sliceSeq([]Record{rec})),
		"reconcile: record on line 7: partially_refunded needs a refunded amount between 1 and 999, got 1000")
}

func TestReconcile_orderOfSourcesDoesNotMatter(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.records[1].Amount++                                                           // amount mismatch
	f.txns = append(f.txns, payment("txn_9", "ord_9", "A-1", 5, "CNY", MethodCard)) // double payment
	f.txns[3].Fee++                                                                 // fee and net of txn_4
	want := f.reconcile(t)
	require.Len(t, want.Differences, 4)

	var r Reconciler
	require.NoError(t, r.AddRecords(sliceSeq(f.records)))
	reversed := slices.Clone(f.txns)
	slices.Reverse(reversed)
	require.NoError(t, r.AddTransactions(sliceSeq(reversed)))
	for _, s := range f.settlements {
		require.NoError(t, r.AddSettlement(s))
	}
	got := r.Report()
	assert.Equal(t, kindsOf(want), kindsOf(got))
}

func kindsOf(r *Report) []string {
	var out []string
	for _, d := range r.Differences {
		out = append(out, d.Kind.String()+" "+d.MerchantOrderID+" "+strconv.Itoa(int(d.Expected))+" "+strconv.Itoa(int(d.Actual)))
	}
	return out
}

// Three payments of one merchant order (three platform orders), in any
// order of arrival, give the same two double payments against the earliest,
// each naming its own platform order; the extra payment's fee is checked with
// the record's method.
func TestReconcile_triplePayment(t *testing.T) {
	t.Parallel()
	p1 := payment("txn_1", "ord_1", "A-1", 10000, "USD", MethodWallet)
	p2 := payment("txn_2", "ord_2", "A-1", 10000, "USD", MethodWallet)
	p2.CreatedAt = p1.CreatedAt.Add(time.Second)
	p3 := payment("txn_3", "ord_3", "A-1", 10000, "USD", MethodCard) // card fee, wallet record
	p3.CreatedAt = p1.CreatedAt.Add(2 * time.Second)
	// Refunds of the later orders, given last, still find the one order.
	r2, r3 := refund("txn_4", "ord_2", "", 300, "USD"), refund("txn_5", "ord_3", "", 200, "USD")
	rec := []Record{{MerchantOrderID: "A-1", Amount: 10000, Currency: "USD", Status: StatusPartiallyRefunded, RefundedAmount: 500, Method: MethodWallet, Line: 2}}
	var first []string
	for _, order := range [][]Transaction{{p1, p2, p3, r2, r3}, {p3, p2, p1, r3, r2}, {p2, p3, p1, r2, r3}} {
		report, err := Reconcile(sliceSeq(order), nil, sliceSeq(rec))
		require.NoError(t, err)
		var got []string
		for _, d := range report.Differences {
			got = append(got, d.String())
		}
		if first == nil {
			first = got
			continue
		}
		assert.Equal(t, first, got)
	}
	assert.Equal(t, []string{
		"double_payment: order=ord_2 merchant_order=A-1 txn=txn_2 other_txn=txn_1 line=2: more than one succeeded payment for one merchant order: expected 1 payment, actual 2",
		"double_payment: order=ord_3 merchant_order=A-1 txn=txn_3 other_txn=txn_1 line=2: more than one succeeded payment for one merchant order: expected 1 payment, actual 3",
		"fee_mismatch: order=ord_3 merchant_order=A-1 txn=txn_3 line=2: fee differs from the wallet schedule (docs/tokenim-api.md §5): expected USD 1.00, actual USD 3.20",
	}, first)
}

func TestReconciler_AddSettlement(t *testing.T) {
	t.Parallel()
	var r Reconciler
	s := Settlement{ID: "st_1", Currency: "EUR", Amount: 100, TransactionCount: 1}
	require.NoError(t, r.AddSettlement(s))
	require.NoError(t, r.AddSettlement(s), "the same header twice is harmless")
	s.Amount++
	assert.EqualError(t, r.AddSettlement(s), "reconcile: settlement st_1 added twice with different values")
	assert.EqualError(t, r.AddSettlement(Settlement{Currency: "EUR"}), "reconcile: settlement without id")
	assert.EqualError(t, r.AddSettlement(Settlement{ID: "st_2", Currency: "eur"}), `reconcile: settlement st_2: currency "eur" is not an upper-case ISO 4217 code`)
	_, err := Reconcile(nil, []Settlement{{ID: "st_3"}}, nil)
	assert.Error(t, err)
	// A header whose transactions never came is reported, not skipped.
	report, err := Reconcile(nil, []Settlement{{ID: "st_4", Currency: "EUR", Amount: 5, TransactionCount: 1}}, nil)
	require.NoError(t, err)
	require.Len(t, report.Differences, 1)
	assert.Equal(t, KindSettlementMismatch, report.Differences[0].Kind)
}
