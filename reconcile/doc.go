// Package reconcile proves a merchant's own records against the Tokenim
// platform's balance transactions and settlement statements
// (docs/tokenim-api.md §9), and reports every difference by kind: a payment
// the merchant never heard of (a missed webhook), a payment it recorded that
// the platform never took, amounts and currencies that differ, an order paid
// twice, refunds missing on either side, fees off the schedule of
// docs/tokenim-api.md §5 and §8, nets that are not amount - fee, and
// settlements whose total or count differs from their transactions.
//
// The package depends on the standard library only. Its inputs are
// iterators of plain types, so any source fits:
//
//   - the platform's side is an iter.Seq2[[Transaction], error]: a statement
//     read by [NewStatementReader] (GET /v1/settlements/{id}/report, the CSV of
//     §9), or balance transactions from the API mapped by an adapter; plus
//     [Settlement] headers;
//   - the merchant's side is an iter.Seq2[[Record], error]: a CSV file read by
//     [NewRecordReader], or rows from the merchant's database.
//
// A [Reconciler] streams both sides. It checks each row as it arrives and
// keeps a compact state per order (its ids and a few integers, with no
// pointer for the garbage collector to scan), never the rows: a month of a
// large merchant — a million transactions — keeps about 200 bytes per order
// (BenchmarkReconcile reports it; [Reconciler.Grow] sizes the index ahead). Amounts are int64 minor units in any
// currency (exponent 0, 2 or 3); every sum is checked for overflow, which is
// reported as [KindOverflow] instead of wrapping.
//
// The report lists differences in a fixed order (by kind, then the ids they
// name), each with the expected value (the merchant's record, the fee
// schedule or the settlement header) and the actual one (the platform's).
package reconcile
