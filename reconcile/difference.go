package reconcile

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Kind is the kind of a difference between the merchant's records and the
// platform's transactions.
type Kind uint8

// The kinds of difference, in the order a report lists them. Expected is
// what the merchant's record, the fee schedule or the settlement header says;
// Actual is what the platform's transactions say.
const (
	// KindMissedPayment: the platform has a succeeded payment for an order the
	// merchant does not know or holds as unpaid — typically a missed webhook.
	// Expected is the merchant's paid amount (0), Actual the payment's.
	KindMissedPayment Kind = iota + 1
	// KindNotOnPlatform: the merchant holds an order as paid but the platform
	// has no payment for it. Expected is the record's amount, Actual 0.
	KindNotOnPlatform
	// KindAmountMismatch: the payment's amount differs from the record's.
	KindAmountMismatch
	// KindCurrencyMismatch: the record's currency differs from the platform's
	// (LocalCurrency and Currency), or one order's transactions use two
	// currencies. Amounts in different currencies are not compared further.
	KindCurrencyMismatch
	// KindDoublePayment: more than one succeeded payment for one merchant
	// order. TransactionID is the extra payment, OtherTransactionID the
	// first; Expected is 1 and Actual the number of payments so far.
	KindDoublePayment
	// KindRefundMissingOnPlatform: the merchant recorded more refunded than
	// the platform's refund transactions add up to.
	KindRefundMissingOnPlatform
	// KindRefundMissingLocally: the platform refunded more than the merchant
	// recorded.
	KindRefundMissingLocally
	// KindFeeMismatch: a transaction's fee differs from docs/tokenim-api.md §5
	// (payments), §8 (disputes: 1500) or §9 (refunds and dispute reversals: 0).
	KindFeeMismatch
	// KindNetMismatch: a transaction's net is not amount - fee.
	KindNetMismatch
	// KindSettlementMismatch: a settlement's amount or transaction count
	// differs from its transactions' (docs/tokenim-api.md §9). Expected is the
	// header's amount, Actual the sum of nets; Detail gives the counts.
	KindSettlementMismatch
	// KindDuplicateRecord: the merchant's records hold one order twice; the
	// first is kept for matching.
	KindDuplicateRecord
	// KindOverflow: a sum left the int64 range; the sum is not compared.
	KindOverflow
	kindEnd
)

var kindNames = [...]string{
	"", "missed_payment", "not_on_platform", "amount_mismatch", "currency_mismatch",
	"double_payment", "refund_missing_on_platform", "refund_missing_locally",
	"fee_mismatch", "net_mismatch", "settlement_mismatch", "duplicate_record", "overflow",
}

// Kinds returns every kind, in report order.
func Kinds() []Kind {
	kinds := make([]Kind, 0, kindEnd-1)
	for k := Kind(1); k < kindEnd; k++ {
		kinds = append(kinds, k)
	}
	return kinds
}

// String returns the kind's name, e.g. "missed_payment".
func (k Kind) String() string {
	if k > 0 && k < kindEnd {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText returns the kind's name, so that JSON shows it as a string.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i := Kind(1); i < kindEnd; i++ {
		if string(b) == kindNames[i] {
			*k = i
			return nil
		}
	}
	return errorf("reconcile: unknown difference kind %s", quote(string(b)))
}

// Difference is one disagreement between the merchant's records and the
// platform's transactions, naming what it concerns and the expected and
// actual values (see each [Kind] for their meaning).
type Difference struct {
	Kind               Kind   `json:"kind"`
	OrderID            string `json:"order_id,omitempty"`
	MerchantOrderID    string `json:"merchant_order_id,omitempty"`
	TransactionID      string `json:"transaction_id,omitempty"`
	OtherTransactionID string `json:"other_transaction_id,omitempty"`
	SettlementID       string `json:"settlement_id,omitempty"`
	Line               int    `json:"line,omitempty"` // the merchant record's line, 0 if none
	Currency           string `json:"currency,omitempty"`
	LocalCurrency      string `json:"local_currency,omitempty"`
	Expected           int64  `json:"expected"`
	Actual             int64  `json:"actual"`
	Detail             string `json:"detail"`
}

// String renders the difference on one line, amounts with their currency.
func (d Difference) String() string {
	var b strings.Builder
	b.WriteString(d.Kind.String())
	b.WriteString(":")
	field := func(name, v string) {
		if v != "" {
			b.WriteString(" " + name + "=" + v)
		}
	}
	field("order", d.OrderID)
	field("merchant_order", d.MerchantOrderID)
	field("txn", d.TransactionID)
	field("other_txn", d.OtherTransactionID)
	field("settlement", d.SettlementID)
	if d.Line > 0 {
		field("line", strconv.Itoa(d.Line))
	}
	b.WriteString(": " + d.Detail)
	switch d.Kind {
	case KindCurrencyMismatch:
		b.WriteString(": expected " + d.LocalCurrency + ", actual " + d.Currency)
	case KindDoublePayment:
		b.WriteString(": expected 1 payment, actual " + strconv.FormatInt(d.Actual, 10))
	case KindDuplicateRecord, KindOverflow:
	default:
		b.WriteString(": expected " + FormatAmount(d.Expected, d.Currency) +
			", actual " + FormatAmount(d.Actual, d.Currency))
	}
	return b.String()
}

// compareDifferences orders differences by kind, then by what they name, so
// that a report is the same whatever order the rows came in.
func compareDifferences(a, b Difference) int {
	return cmp.Or(
		cmp.Compare(a.Kind, b.Kind),
		cmp.Compare(a.MerchantOrderID, b.MerchantOrderID),
		cmp.Compare(a.OrderID, b.OrderID),
		cmp.Compare(a.SettlementID, b.SettlementID),
		cmp.Compare(a.TransactionID, b.TransactionID),
		cmp.Compare(a.OtherTransactionID, b.OtherTransactionID),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Detail, b.Detail),
	)
}

// Summary counts what was reconciled and the differences per kind.
type Summary struct {
	Transactions int          `json:"transactions"`
	Records      int          `json:"records"`
	Orders       int          `json:"orders"`
	Settlements  int          `json:"settlements"`
	Differences  int          `json:"differences"`
	Counts       map[Kind]int `json:"counts"` // every kind, 0 included
}

// Report is the outcome of a reconciliation: the differences in a fixed
// order (by kind, then merchant order id, order id, settlement id,
// transaction id, line) and their summary.
type Report struct {
	Summary     Summary      `json:"summary"`
	Differences []Difference `json:"differences"`
}

// OK reports whether no difference was found.
func (r *Report) OK() bool { return len(r.Differences) == 0 }

func sortDifferences(d []Difference) { slices.SortFunc(d, compareDifferences) }
