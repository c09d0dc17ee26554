package reconcile

import (
	"errors"
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Reconciler matches the merchant's records against the platform's balance
// transactions and settlement headers. Feed it with [Reconciler.AddTransactions],
// [Reconciler.AddRecords] and [Reconciler.AddSettlement], in any order and as
// many times as there are sources (one statement per settlement, pages of the
// API), then call [Reconciler.Report].
//
// It streams: a row is checked when it arrives and only a compact state per
// order is kept (its ids, a few integers, the first payment's transaction
// id), never the rows themselves. The zero value is ready to use. A
// Reconciler is not safe for concurrent use.
type Reconciler struct {
	orders       orderTable
	ids          idStore
	byOrderID    index
	byMerchantID index
	currencies   []string // interned; order.currency is an index + 1
	settlements  map[string]*settlementSum
	diffs        []Difference         // found row by row
	extra        map[int32][]extraPay // payments after the first: double payments
	txns         int
	records      int
}

// order is all that is kept of one merchant order: 88 bytes, no pointer, plus its
// ids, whatever the number of its transactions.
type order struct {
	orderID         idRef
	merchantOrderID idRef
	pay             payRef // the earliest payment
	refunded        int64  // the platform's refunds, as a positive sum
	amount          int64  // the merchant's record
	localRefunded   int64
	line            int32
	payments        uint32
	currency        uint8 // the platform's, 0 when it has no transaction
	localCurrency   uint8
	status          Status
	method          Method
	flags           uint8
}

const (
	hasLocal         uint8 = 1 << iota // a merchant record was seen
	refundOverflow                     // refunded left the int64 range
	currencyConflict                   // transactions in two currencies
)

// orderTable holds the orders in fixed-size chunks: growing never copies
// them (a slice of a million orders would be copied a dozen times over and
// leave its old arrays as garbage at the peak).
type orderTable struct {
	chunks [][]order
	n      int
}

const chunkSize = 4096

func (t *orderTable) len() int { return t.n }

func (t *orderTable) at(i int32) *order {
	return &t.chunks[i/chunkSize][i%chunkSize]
}

// add appends a zero order and returns its index.
func (t *orderTable) add() (int32, *order) {
	if t.n%chunkSize == 0 {
		t.chunks = append(t.chunks, make([]order, chunkSize))
	}
	i := int32(t.n)
	t.n++
	return i, t.at(i)
}

// payRef is what is kept of a payment transaction.
type payRef struct {
	txn         idRef
	amount, fee int64
	at          int64 // created_at in Unix nanoseconds
}

// before orders payments by creation, then id, so that which payment counts
// as the first does not depend on the order rows arrive in.
func (r *Reconciler) before(p, q payRef) bool {
	return p.at < q.at || (p.at == q.at && string(r.ids.bytes(p.txn)) < string(r.ids.bytes(q.txn)))
}

// extraPay is a payment of an order after its first, with its own platform
// order (another order of the same merchant order).
type extraPay struct {
	payRef
	order idRef
}

// keepOrderID returns the kept id of platform order id, reusing the order's.
func (r *Reconciler) keepOrderID(o *order, id string) idRef {
	if r.ids.equal(o.orderID, id) {
		return o.orderID
	}
	return r.ids.add(id)
}

type settlementSum struct {
	header    Settlement
	hasHeader bool
	net       int64
	count     int64
	overflow  bool
	currency  string // of the first transaction
	mixed     bool   // transactions in more than one currency
}

// Reconcile is the one-call form: it reconciles the platform's transactions
// and settlement headers (either may be nil) against the merchant's records.
func Reconcile(txns iter.Seq2[Transaction, error], settlements []Settlement, records iter.Seq2[Record, error]) (*Report, error) {
	var r Reconciler
	hint := int64(0)
	for _, s := range settlements {
		if err := r.AddSettlement(s); err != nil {
			return nil, err
		}
		hint += max(s.TransactionCount, 0)
	}
	r.Grow(int(min(hint, 1<<27)))
	if txns != nil {
		if err := r.AddTransactions(txns); err != nil {
			return nil, err
		}
	}
	if records != nil {
		if err := r.AddRecords(records); err != nil {
			return nil, err
		}
	}
	return r.Report(), nil
}

// Grow prepares room for about orders orders, so that the index does not
// grow step by step (rehashing a million entries a dozen times over). Call it
// before adding anything; a settlement's TransactionCount or last month's
// volume is a fine hint.
func (r *Reconciler) Grow(orders int) {
	if orders <= 0 {
		return
	}
	orders = min(orders, 1<<27) // a hint, not a reason to reserve gigabytes
	if r.byOrderID.hashed == nil {
		r.byOrderID.init(orders)
		r.byMerchantID.init(orders)
	}
}

// AddSettlement adds a settlement's header; [Reconciler.Report] compares its
// amount and transaction count with the transactions that name it. Give a
// header together with all of its transactions (its statement, or the API's
// balance transactions filtered by its id): a period that cuts a settlement
// in two would report it as different. A transaction naming a settlement
// without header is not checked against one.
func (r *Reconciler) AddSettlement(s Settlement) error {
	if s.ID == "" {
		return errors.New("reconcile: settlement without id")
	}
	if !validCurrency(s.Currency) {
		return errors.New("reconcile: settlement " + s.ID + ": currency " + quote(s.Currency) + " is not an upper-case ISO 4217 code")
	}
	sum := r.settlement(s.ID)
	if sum.hasHeader && sum.header != s {
		return errors.New("reconcile: settlement " + s.ID + " added twice with different values")
	}
	sum.header, sum.hasHeader = s, true
	return nil
}

func (r *Reconciler) settlement(id string) *settlementSum {
	if r.settlements == nil {
		r.settlements = make(map[string]*settlementSum)
	}
	sum := r.settlements[id]
	if sum == nil {
		sum = &settlementSum{}
		r.settlements[strings.Clone(id)] = sum
	}
	return sum
}

// AddTransactions checks and adds the platform's transactions. It stops at
// the first error the iterator yields, or at a transaction that breaks the
// form of docs/tokenim-api.md §9 (no id, an unknown type, an amount of the
// wrong sign, a negative fee) or a payment given twice: such input is
// corrupt, not a difference. Give each transaction once: sources must not
// overlap (a refund given twice would count twice).
// Money that disagrees (fees, nets, totals) is reported, not returned.
func (r *Reconciler) AddTransactions(txns iter.Seq2[Transaction, error]) error {
	for txn, err := range txns {
		if err != nil {
			return err
		}
		if err := r.addTransaction(&txn); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) addTransaction(t *Transaction) error {
	if err := checkTransaction(t); err != nil {
		return err
	}
	cur, err := r.intern(t.Currency)
	if err != nil {
		return err
	}
	r.txns++
	i := r.lookup(t.OrderID, t.MerchantOrderID)
	o := r.orders.at(i)
	if o.currency == 0 {
		o.currency = cur
	} else if o.currency != cur && o.flags&currencyConflict == 0 {
		o.flags |= currencyConflict
		r.report(o, t, KindCurrencyMismatch, "one order's transactions in two currencies")
		d := &r.diffs[len(r.diffs)-1]
		d.LocalCurrency = r.currencies[o.currency-1]
	}

	if want, ok := sub(t.Amount, t.Fee); !ok {
		r.report(o, t, KindOverflow, "amount - fee leaves the int64 range")
	} else if want != t.Net {
		r.report(o, t, KindNetMismatch, "net is not amount - fee")
		r.setMoney(want, t.Net)
	}

	if t.SettlementID != "" {
		s := r.settlement(t.SettlementID)
		s.count++
		if s.currency == "" {
			s.currency = r.currencies[cur-1]
		} else if s.currency != t.Currency {
			s.mixed = true
		}
		if !s.overflow {
			var ok bool
			s.net, ok = add(s.net, t.Net)
			s.overflow = !ok
		}
	}

	switch t.Type {
	case TxnPayment:
		// Fees and double payments are checked in Report, when the record's
		// method may be known and every payment of the order is in.
		if o.payments > 0 && r.seenPayment(i, t.ID) {
			// The same row twice (overlapping statements or pages) would pass
			// for a double payment; it is the caller's input that is wrong.
			return errorf("reconcile: transaction %s given twice", quote(t.ID))
		}
		p := payRef{txn: r.ids.add(t.ID), amount: t.Amount, fee: t.Fee, at: t.CreatedAt.UnixNano()}
		o.payments++
		if o.payments == 1 {
			o.pay = p
			break
		}
		extra := extraPay{payRef: p, order: r.keepOrderID(o, t.OrderID)}
		if r.before(p, o.pay) {
			// The new payment is the earliest: it and its platform order
			// become the order's, whatever order the rows came in.
			extra = extraPay{payRef: o.pay, order: o.orderID}
			o.pay = p
			if t.OrderID != "" && !r.ids.equal(o.orderID, t.OrderID) {
				if o.orderID != 0 {
					r.byOrderID.alias(r.ids.string(o.orderID), i)
				}
				o.orderID = r.ids.add(t.OrderID)
			}
		}
		if r.extra == nil {
			r.extra = make(map[int32][]extraPay)
		}
		r.extra[i] = append(r.extra[i], extra)
	case TxnRefund:
		r.checkFixedFee(o, t, 0, "a refund's fee is 0 (docs/tokenim-api.md §9)")
		if o.flags&refundOverflow == 0 {
			sum, ok := sub(o.refunded, t.Amount) // t.Amount < 0: the refund's size
			if !ok {
				o.flags |= refundOverflow
				r.report(o, t, KindOverflow, "the order's refunds leave the int64 range")
			}
			o.refunded = sum
		}
	case TxnDispute:
		r.checkFixedFee(o, t, DisputeFee, "a dispute's fee is 1500 minor units (docs/tokenim-api.md §8)")
	case TxnDisputeReversal:
		r.checkFixedFee(o, t, 0, "a dispute reversal's fee is 0 (docs/tokenim-api.md §9)")
	}
	return nil
}

// seenPayment reports whether order i already has payment transaction id.
func (r *Reconciler) seenPayment(i int32, id string) bool {
	if r.ids.equal(r.orders.at(i).pay.txn, id) {
		return true
	}
	for _, p := range r.extra[i] {
		if r.ids.equal(p.txn, id) {
			return true
		}
	}
	return false
}

// checkTransaction rejects a transaction that breaks the form of
// docs/tokenim-api.md §9.
func checkTransaction(t *Transaction) error {
	fail := func(format string, args ...any) error {
		return errorf("reconcile: transaction %s: "+format, append([]any{quote(t.ID)}, args...)...)
	}
	switch {
	case t.ID == "":
		return errors.New("reconcile: transaction without id")
	case t.OrderID == "" && t.MerchantOrderID == "":
		return fail("neither order id nor merchant order id")
	case !validCurrency(t.Currency):
		return fail("currency %s is not an upper-case ISO 4217 code", quote(t.Currency))
	case t.Fee < 0:
		return fail("negative fee %d", t.Fee)
	case max(len(t.ID), len(t.OrderID), len(t.MerchantOrderID)) > maxIDLen:
		return fail("an id is longer than %d bytes", maxIDLen)
	}
	switch t.Type {
	case TxnPayment, TxnDisputeReversal:
		if t.Amount <= 0 {
			return fail("a %s's amount must be positive, got %d", t.Type, t.Amount)
		}
	case TxnRefund, TxnDispute:
		if t.Amount >= 0 {
			return fail("a %s's amount must be negative, got %d", t.Type, t.Amount)
		}
	default:
		return fail("unknown type %d", t.Type)
	}
	return nil
}

// checkFixedFee reports a refund, dispute or reversal whose fee is not want.
func (r *Reconciler) checkFixedFee(o *order, t *Transaction, want int64, detail string) {
	if t.Fee != want {
		r.report(o, t, KindFeeMismatch, detail)
		r.setMoney(want, t.Fee)
	}
}

// paymentFeeDiff reports a payment whose fee is not the schedule's for the
// record's method, or, the method unknown, none of the schedule's fees; then
// Expected is the schedule's fee closest to the actual one.
func (r *Reconciler) paymentFeeDiff(o *order, txnID string, amount, fee int64, currency string) (Difference, bool) {
	m := MethodUnknown
	if o.flags&hasLocal != 0 {
		m = o.method
	}
	if feeMatches(m, amount, fee) {
		return Difference{}, false
	}
	want := Fee(m, amount)
	detail := "fee differs from the " + m.String() + " schedule (docs/tokenim-api.md §5)"
	if m == MethodUnknown {
		detail = "fee is none of card, wallet, bank_transfer's (docs/tokenim-api.md §5)"
		for _, k := range [...]Method{MethodCard, MethodWallet, MethodBankTransfer} {
			if f := Fee(k, amount); want < 0 || absDiff(f, fee) < absDiff(want, fee) {
				want = f
			}
		}
	}
	return Difference{
		Kind: KindFeeMismatch, OrderID: r.ids.string(o.orderID), MerchantOrderID: r.ids.string(o.merchantOrderID),
		TransactionID: txnID, Currency: currency, Expected: want, Actual: fee, Detail: detail,
	}, true
}

func absDiff(a, b int64) uint64 {
	if a > b {
		return uint64(a) - uint64(b)
	}
	return uint64(b) - uint64(a)
}

// report appends a difference about transaction t of order o.
func (r *Reconciler) report(o *order, t *Transaction, k Kind, detail string) {
	r.diffs = append(r.diffs, Difference{
		Kind: k, OrderID: r.ids.string(o.orderID), MerchantOrderID: r.ids.string(o.merchantOrderID),
		TransactionID: t.ID, SettlementID: t.SettlementID, Currency: t.Currency, Detail: detail,
	})
}

// setMoney sets Expected and Actual of the last difference.
func (r *Reconciler) setMoney(expected, actual int64) {
	d := &r.diffs[len(r.diffs)-1]
	d.Expected, d.Actual = expected, actual
}

// intern returns the index + 1 of currency in the table of currencies seen,
// so that an order keeps one byte instead of a string.
func (r *Reconciler) intern(currency string) (uint8, error) {
	for i, c := range r.currencies {
		if c == currency {
			return uint8(i + 1), nil
		}
	}
	if len(r.currencies) == 255 {
		return 0, errors.New("reconcile: more than 255 currencies")
	}
	r.currencies = append(r.currencies, strings.Clone(currency))
	return uint8(len(r.currencies)), nil
}

// lookup returns the index of the order that orderID or merchantOrderID
// names, creating it when neither is known. The order id is looked up first;
// a merchant order id links a second platform order of the same merchant
// order (a double payment) to the first. Ids are copied when kept, so that
// the caller's buffers (a CSV line) are not held.
func (r *Reconciler) lookup(orderID, merchantOrderID string) int32 {
	if r.byOrderID.hashed == nil {
		r.Grow(1024)
	}
	if orderID != "" {
		if i, ok := r.byOrderID.find(&r.ids, &r.orders, orderID, orderIDOf); ok {
			o := r.orders.at(i)
			if merchantOrderID != "" && o.merchantOrderID == 0 {
				if _, taken := r.byMerchantID.find(&r.ids, &r.orders, merchantOrderID, merchantOrderIDOf); !taken {
					o.merchantOrderID = r.ids.add(merchantOrderID)
					r.byMerchantID.put(merchantOrderID, i)
				}
			}
			return i
		}
	}
	if merchantOrderID != "" {
		if i, ok := r.byMerchantID.find(&r.ids, &r.orders, merchantOrderID, merchantOrderIDOf); ok {
			if orderID != "" {
				if o := r.orders.at(i); o.orderID == 0 {
					o.orderID = r.ids.add(orderID)
					r.byOrderID.put(orderID, i)
				} else {
					r.byOrderID.alias(orderID, i)
				}
			}
			return i
		}
	}
	i, o := r.orders.add()
	if orderID != "" {
		o.orderID = r.ids.add(orderID)
		r.byOrderID.put(orderID, i)
	}
	if merchantOrderID != "" {
		o.merchantOrderID = r.ids.add(merchantOrderID)
		r.byMerchantID.put(merchantOrderID, i)
	}
	return i
}

// AddRecords checks and adds the merchant's records. It stops at the first
// error the iterator yields or at a record without order id, with a
// non-positive amount, a malformed currency or a refunded amount its status
// contradicts. A second record of one order is reported as
// [KindDuplicateRecord] and otherwise ignored.
func (r *Reconciler) AddRecords(records iter.Seq2[Record, error]) error {
	for rec, err := range records {
		if err != nil {
			return err
		}
		if err := r.addRecord(rec); err != nil {
			return err
		}
	}
	return nil
}

func (r *Reconciler) addRecord(rec Record) error {
	name := rec.MerchantOrderID
	if name == "" {
		name = rec.OrderID
	}
	fail := func(err error) error {
		where := "record " + quote(name)
		if rec.Line > 0 {
			where = "record on line " + strconv.Itoa(rec.Line)
		}
		return errors.New("reconcile: " + where + ": " + err.Error())
	}
	switch {
	case name == "":
		return fail(errors.New("neither order id nor merchant order id"))
	case max(len(rec.OrderID), len(rec.MerchantOrderID)) > maxIDLen:
		return fail(errorf("an id is longer than %d bytes", maxIDLen))
	case rec.Amount <= 0:
		return fail(errorf("amount %d is not positive", rec.Amount))
	case !validCurrency(rec.Currency):
		return fail(errorf("currency %s is not an upper-case ISO 4217 code", quote(rec.Currency)))
	case rec.Status > StatusRefunded:
		return fail(errorf("unknown status %d", rec.Status))
	case rec.Method > MethodBankTransfer:
		return fail(errorf("unknown method %d", rec.Method))
	}
	if err := rec.normalize(); err != nil {
		return fail(err)
	}
	cur, err := r.intern(rec.Currency)
	if err != nil {
		return err
	}
	r.records++
	i := r.lookup(rec.OrderID, rec.MerchantOrderID)
	o := r.orders.at(i)
	if o.flags&hasLocal != 0 {
		first := "the first record"
		if o.line > 0 { // records built in code have no line
			first += " (line " + strconv.Itoa(int(o.line)) + ")"
		}
		r.diffs = append(r.diffs, Difference{
			Kind: KindDuplicateRecord, OrderID: r.ids.string(o.orderID), MerchantOrderID: r.ids.string(o.merchantOrderID),
			Line: rec.Line, Currency: rec.Currency,
			Detail: "the order is recorded twice; " + first + " is kept",
		})
		return nil
	}
	o.flags |= hasLocal
	o.amount, o.localRefunded = rec.Amount, rec.RefundedAmount
	o.localCurrency, o.status, o.method = cur, rec.Status, rec.Method
	o.line = int32(min(rec.Line, 1<<31-1))
	return nil
}

// Report compares every order and settlement and returns the differences
// found, with those found row by row, in a fixed order. It may be called
// again after adding more.
func (r *Reconciler) Report() *Report {
	diffs := slices.Clone(r.diffs)
	for i := range int32(r.orders.len()) {
		diffs = r.compareOrder(r.orders.at(i), diffs)
	}
	for i, extra := range r.extra {
		diffs = r.doublePayments(r.orders.at(i), extra, diffs)
	}
	diffs = r.compareSettlements(diffs)
	sortDifferences(diffs)
	sum := Summary{
		Transactions: r.txns, Records: r.records, Orders: r.orders.len(),
		Differences: len(diffs), Counts: make(map[Kind]int, kindEnd),
	}
	for _, k := range Kinds() {
		sum.Counts[k] = 0
	}
	for _, d := range diffs {
		sum.Counts[d.Kind]++
	}
	for _, s := range r.settlements {
		if s.hasHeader {
			sum.Settlements++
		}
	}
	return &Report{Summary: sum, Differences: diffs}
}

// compareOrder appends the differences between an order's record and its
// transactions.
func (r *Reconciler) compareOrder(o *order, diffs []Difference) []Difference {
	local := o.flags&hasLocal != 0
	d := Difference{OrderID: r.ids.string(o.orderID), MerchantOrderID: r.ids.string(o.merchantOrderID), Line: int(o.line)}
	if o.currency != 0 {
		d.Currency = r.currencies[o.currency-1]
	}
	if local {
		d.LocalCurrency = r.currencies[o.localCurrency-1]
		if d.Currency == "" {
			d.Currency = d.LocalCurrency
		}
	}
	emit := func(k Kind, expected, actual int64, detail string) {
		d.Kind, d.Expected, d.Actual, d.Detail = k, expected, actual, detail
		diffs = append(diffs, d)
	}
	sameCurrency := !local || o.currency == 0 || o.currency == o.localCurrency
	if !sameCurrency {
		emit(KindCurrencyMismatch, 0, 0, "the record's currency differs from the platform's")
	}
	if o.payments > 0 {
		d.TransactionID = r.ids.string(o.pay.txn)
		switch {
		case !local:
			emit(KindMissedPayment, 0, o.pay.amount, "paid on the platform, unknown locally")
		case !o.status.paid():
			emit(KindMissedPayment, 0, o.pay.amount, "paid on the platform, unpaid locally")
		case sameCurrency && o.amount != o.pay.amount:
			emit(KindAmountMismatch, o.amount, o.pay.amount, "the payment's amount differs from the record's")
		}
		if fd, bad := r.paymentFeeDiff(o, d.TransactionID, o.pay.amount, o.pay.fee, d.Currency); bad {
			fd.Line = d.Line
			diffs = append(diffs, fd)
		}
		d.TransactionID = ""
	} else if local && o.status.paid() {
		emit(KindNotOnPlatform, o.amount, 0, "paid locally, no payment on the platform")
	}
	if sameCurrency && o.flags&refundOverflow == 0 {
		switch {
		case o.localRefunded > o.refunded:
			emit(KindRefundMissingOnPlatform, o.localRefunded, o.refunded, "refunded locally more than on the platform")
		case o.refunded > o.localRefunded:
			emit(KindRefundMissingLocally, o.localRefunded, o.refunded, "refunded on the platform more than recorded locally")
		}
	}
	return diffs
}

// doublePayments appends a difference for each payment of an order after its
// first, and for such a payment's fee.
func (r *Reconciler) doublePayments(o *order, extra []extraPay, diffs []Difference) []Difference {
	slices.SortFunc(extra, func(p, q extraPay) int {
		if r.before(p.payRef, q.payRef) {
			return -1
		}
		return 1
	})
	var currency string
	if o.currency != 0 {
		currency = r.currencies[o.currency-1]
	}
	for k, p := range extra {
		diffs = append(diffs, Difference{
			Kind: KindDoublePayment, OrderID: r.ids.string(p.order), MerchantOrderID: r.ids.string(o.merchantOrderID),
			TransactionID: r.ids.string(p.txn), OtherTransactionID: r.ids.string(o.pay.txn), Line: int(o.line), Currency: currency,
			Expected: 1, Actual: int64(k + 2), Detail: "more than one succeeded payment for one merchant order",
		})
		if fd, bad := r.paymentFeeDiff(o, r.ids.string(p.txn), p.amount, p.fee, currency); bad {
			fd.OrderID, fd.Line = r.ids.string(p.order), int(o.line)
			diffs = append(diffs, fd)
		}
	}
	return diffs
}

// compareSettlements appends a difference for each settlement whose header
// disagrees with its transactions.
func (r *Reconciler) compareSettlements(diffs []Difference) []Difference {
	for id, s := range r.settlements {
		if !s.hasHeader {
			continue
		}
		h := s.header
		d := Difference{SettlementID: id, Currency: h.Currency, Expected: h.Amount, Actual: s.net}
		counts := "; transactions: expected " + strconv.FormatInt(h.TransactionCount, 10) +
			", actual " + strconv.FormatInt(s.count, 10)
		switch {
		case s.overflow:
			d.Kind, d.Detail = KindOverflow, "the sum of the settlement's nets leaves the int64 range"
		case s.mixed || (s.currency != "" && s.currency != h.Currency):
			d.Kind, d.Detail = KindSettlementMismatch, "transactions in another currency than the settlement's"+counts
		case s.net != h.Amount || s.count != h.TransactionCount:
			d.Kind, d.Detail = KindSettlementMismatch, "the settlement's amount or count differs from its transactions"+counts
		default:
			continue
		}
		diffs = append(diffs, d)
	}
	return diffs
}
