package reconcile

import (
	"bytes"
	"iter"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// benchOrders orders make a month of a large merchant: a payment each and a
// refund for every tenth, benchRows = 1 000 001 balance transactions.
const (
	benchOrders = 909_091
	benchRows   = benchOrders + (benchOrders+9)/10
)

// benchMonth generates a month of benchRows transactions on the fly, never
// holding them: every order is paid (the method cycling through card, wallet
// and bank transfer), every tenth is also partly refunded, all settled in one
// CNY settlement. records yields the matching merchant records.
type benchMonth struct{ orders int }

func newBenchMonth() benchMonth { return benchMonth{orders: benchOrders} }

func (benchMonth) method(i int) Method { return Method(1 + i%3) }
func (benchMonth) amount(i int) int64  { return 100 + int64(i%100_000) }

func (b benchMonth) settlement() Settlement {
	s := Settlement{ID: "st_1", Currency: "CNY"}
	for i := range b.orders {
		s.Amount += b.amount(i) - Fee(b.method(i), b.amount(i))
		s.TransactionCount++
		if i%10 == 0 {
			s.Amount -= b.amount(i) / 2
			s.TransactionCount++
		}
	}
	return s
}

func (b benchMonth) transactions() iter.Seq2[Transaction, error] {
	return func(yield func(Transaction, error) bool) {
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		n := 0
		for i := range b.orders {
			id := strconv.Itoa(i)
			amount := b.amount(i)
			fee := Fee(b.method(i), amount)
			t := Transaction{ID: "txn_p" + id, Type: TxnPayment, Source: "pay_" + id, OrderID: "ord_" + id, MerchantOrderID: "M-" + id,
				Amount: amount, Fee: fee, Net: amount - fee, Currency: "CNY", CreatedAt: at, SettlementID: "st_1"}
			if !yield(t, nil) {
				return
			}
			n++
			if i%10 == 0 {
				t.ID, t.Type, t.Source, t.Amount, t.Fee, t.Net = "txn_r"+id, TxnRefund, "re_"+id, -amount/2, 0, -amount/2
				if !yield(t, nil) {
					return
				}
				n++
			}
		}
	}
}

func (b benchMonth) records() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for i := range b.orders {
			r := Record{MerchantOrderID: "M-" + strconv.Itoa(i), Amount: b.amount(i), Currency: "CNY", Status: StatusPaid, Method: b.method(i), Line: i + 2}
			if i%10 == 0 {
				r.Status, r.RefundedAmount = StatusPartiallyRefunded, r.Amount/2
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

// peakHeap wraps seq so that it samples the heap in use every 64Ki rows.
func peakHeap[T any](seq iter.Seq2[T, error], peak *uint64) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var ms runtime.MemStats
		n := 0
		for v, err := range seq {
			if n++; n&0xffff == 0 {
				runtime.ReadMemStats(&ms)
				*peak = max(*peak, ms.HeapInuse)
			}
			if !yield(v, err) {
				return
			}
		}
	}
}

// BenchmarkReconcile reconciles a million transactions (generated on the
// fly, as an adapter of the API would yield them) with the matching merchant
// records. rows/s counts the platform's rows; the merchant's records (10/11
// of them as many) are reconciled in the same time. retained-B/row is the
// live heap of the reconciler's state per row before Report, peak-heap-MiB
// the largest heap in use seen while streaming (garbage included). Run it
// with -cpu 1 -benchtime 3x.
func BenchmarkReconcile(b *testing.B) {
	month := newBenchMonth()
	settlement := month.settlement()
	b.ReportAllocs()
	var peak uint64
	var retained, allocated uint64
	cpu := cpuTime()
	for b.Loop() {
		var before, after runtime.MemStats
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		var r Reconciler
		r.Grow(int(settlement.TransactionCount))
		if err := r.AddSettlement(settlement); err != nil {
			b.Fatal(err)
		}
		if err := r.AddTransactions(peakHeap(month.transactions(), &peak)); err != nil {
			b.Fatal(err)
		}
		if err := r.AddRecords(peakHeap(month.records(), &peak)); err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		runtime.ReadMemStats(&after)
		allocated = after.TotalAlloc - before.TotalAlloc
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = after.HeapAlloc - before.HeapAlloc
		b.StartTimer()

		report := r.Report()
		if !report.OK() || report.Summary.Transactions != benchRows {
			b.Fatalf("%d transactions, differences %v", report.Summary.Transactions, report.Summary.Counts)
		}
		runtime.KeepAlive(&r)
	}
	reportRate(b, cpuTime()-cpu)
	b.ReportMetric(float64(retained)/benchRows, "retained-B/row")
	b.ReportMetric(float64(allocated)/benchRows, "alloc-B/row")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkReconcileCSV is BenchmarkReconcile from files: the month's
// statement and the merchant's CSV, parsed from memory. Their bytes
// (input-MiB) are part of peak-heap-MiB here; read from disk they would not be.
func BenchmarkReconcileCSV(b *testing.B) {
	month := newBenchMonth()
	settlement := month.settlement()
	var statement, records bytes.Buffer
	statement.WriteString(statementHead)
	for t := range month.transactions() {
		for i, f := range []string{t.ID, t.Type.String(), t.Source, t.OrderID, t.MerchantOrderID,
			strconv.FormatInt(t.Amount, 10), strconv.FormatInt(t.Fee, 10), strconv.FormatInt(t.Net, 10),
			t.Currency, t.CreatedAt.Format(time.RFC3339)} {
			if i > 0 {
				statement.WriteByte(',')
			}
			statement.WriteString(f)
		}
		statement.WriteByte('\n')
	}
	records.WriteString("merchant_order_id,amount,currency,status,refunded_amount,method\n")
	for r := range month.records() {
		records.WriteString(r.MerchantOrderID + "," + strconv.FormatInt(r.Amount, 10) + "," + r.Currency + "," +
			r.Status.String() + "," + strconv.FormatInt(r.RefundedAmount, 10) + "," + r.Method.String() + "\n")
	}
	b.SetBytes(int64(statement.Len() + records.Len()))
	b.ReportAllocs()
	var peak uint64
	cpu := cpuTime()
	for b.Loop() {
		var r Reconciler
		r.Grow(int(settlement.TransactionCount))
		if err := r.AddSettlement(settlement); err != nil {
			b.Fatal(err)
		}
		if err := r.AddTransactions(peakHeap(NewStatementReader(bytes.NewReader(statement.Bytes()), "st_1").All(), &peak)); err != nil {
			b.Fatal(err)
		}
		if err := r.AddRecords(peakHeap(NewRecordReader(bytes.NewReader(records.Bytes())).All(), &peak)); err != nil {
			b.Fatal(err)
		}
		if report := r.Report(); !report.OK() || report.Summary.Transactions != benchRows {
			b.Fatalf("%d transactions, differences %v", report.Summary.Transactions, report.Summary.Counts)
		}
	}
	reportRate(b, cpuTime()-cpu)
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(statement.Len()+records.Len())/(1<<20), "input-MiB")
}

// reportRate reports platform rows per second of wall time and per second
// of CPU time (cpu; includes the GCs the benchmark forces between phases).
func reportRate(b *testing.B, cpu time.Duration) {
	rows := float64(benchRows) * float64(b.N)
	b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(rows/cpu.Seconds(), "cpu-rows/s")
	}
}
