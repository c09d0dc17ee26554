package reconcile

import (
	"io"
	"iter"
	"strconv"
	"strings"
)

// Status is what the merchant's own books say of an order.
type Status uint8

// The merchant-side statuses. A record's RefundedAmount says how much was
// refunded; StatusRefunded with RefundedAmount 0 means all of it.
const (
	StatusUnpaid            Status = iota // never paid: open, canceled, expired or failed
	StatusPaid                            // paid, nothing refunded
	StatusPartiallyRefunded               // paid, RefundedAmount of it refunded
	StatusRefunded                        // paid and refunded in full
)

var statusNames = [...]string{"unpaid", "paid", "partially_refunded", "refunded"}

// String returns the status's name as the merchant file spells it.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// ParseStatus parses a merchant file's status. Beyond the four names of
// [Status] it takes the order statuses of docs/tokenim-api.md §5, so that an
// export of orders reads as is: open, canceled, expired (and failed) are
// unpaid.
func ParseStatus(s string) (Status, bool) {
	switch s {
	case "unpaid", "open", "canceled", "cancelled", "expired", "failed":
		return StatusUnpaid, true
	case "paid":
		return StatusPaid, true
	case "partially_refunded":
		return StatusPartiallyRefunded, true
	case "refunded":
		return StatusRefunded, true
	}
	return 0, false
}

// paid reports whether the merchant took the money (refunded or not).
func (s Status) paid() bool { return s != StatusUnpaid }

// Record is one order in the merchant's own books, the local side of the
// reconciliation. At least one of OrderID (the platform's ord_ id) and
// MerchantOrderID must be set, and the one set must be one the platform's
// transactions carry: the statement carries both, the API's balance
// transactions only the order id.
//
// Amount is the order's amount and RefundedAmount what was refunded of it,
// both in minor units. Method, when known, makes the fee check exact.
// Line is the record's line in its file (0 when it comes from elsewhere);
// differences repeat it.
type Record struct {
	OrderID         string
	MerchantOrderID string
	Amount          int64
	Currency        string
	Status          Status
	RefundedAmount  int64
	Method          Method
	Line            int
}

// Merchant file columns. Names are matched case-insensitively; aliases on the
// same line mean the same column. Other columns are ignored.
var recordColumns = [...][]string{
	colOrderID:         {"order_id", "platform_order_id"},
	colMerchantOrderID: {"merchant_order_id"},
	colAmount:          {"amount"},
	colCurrency:        {"currency"},
	colStatus:          {"status"},
	colRefunded:        {"refunded_amount", "amount_refunded"},
	colMethod:          {"method", "payment_method"},
}

const (
	colOrderID = iota
	colMerchantOrderID
	colAmount
	colCurrency
	colStatus
	colRefunded
	colMethod
	colCount
)

// RecordReader reads a merchant's records from a CSV file with a header row
// (RFC 4180), one row at a time. Columns, in any order: order_id and/or
// merchant_order_id, amount, currency, status, and optionally
// refunded_amount (or amount_refunded) and method (card, wallet,
// bank_transfer or empty). Amounts are integers in minor units, like the
// platform's (docs/tokenim-api.md §1): a decimal point is an error, never
// guessed at.
type RecordReader struct {
	t       *table
	col     [colCount]int // field index of each column, -1 when absent
	started bool
	err     error
}

// NewRecordReader returns a reader of the merchant file r.
func NewRecordReader(r io.Reader) *RecordReader {
	return &RecordReader{t: newTable("merchant records", r)}
}

// Read returns the next record, io.EOF after the last, or a *ParseError
// naming the line and column of bad input. After an error other than io.EOF
// every later Read returns the same error.
func (m *RecordReader) Read() (Record, error) {
	if m.err != nil {
		return Record{}, m.err
	}
	rec, err := m.read()
	if err != nil {
		m.err = err
	}
	return rec, err
}

func (m *RecordReader) header() error {
	t := m.t
	if err := t.readHeader(); err != nil {
		return err
	}
	for c := range m.col {
		m.col[c] = -1
	}
	for i, h := range t.header {
		for c, names := range recordColumns {
			for _, name := range names {
				if h != name {
					continue
				}
				if m.col[c] >= 0 {
					return &ParseError{File: t.file, Line: 1, Column: i + 1, Name: h,
						Err: errorf("column %s given twice (also column %d)", recordColumns[c][0], m.col[c]+1)}
				}
				m.col[c] = i
			}
		}
	}
	if m.col[colOrderID] < 0 && m.col[colMerchantOrderID] < 0 {
		return &ParseError{File: t.file, Line: 1, Err: errorf("header has neither order_id nor merchant_order_id")}
	}
	var missing []string
	for _, c := range [...]int{colAmount, colCurrency, colStatus} {
		if m.col[c] < 0 {
			missing = append(missing, recordColumns[c][0])
		}
	}
	if len(missing) > 0 {
		return &ParseError{File: t.file, Line: 1, Err: errorf("header lacks column %s", strings.Join(missing, ", "))}
	}
	return nil
}

func (m *RecordReader) read() (Record, error) {
	t := m.t
	if !m.started {
		m.started = true
		if err := m.header(); err != nil {
			return Record{}, err
		}
	}
	if err := t.next(); err != nil {
		return Record{}, err
	}
	rec := Record{Line: t.line}
	var err error
	if i := m.col[colOrderID]; i >= 0 {
		if rec.OrderID, err = t.idAt(i); err != nil {
			return Record{}, err
		}
	}
	if i := m.col[colMerchantOrderID]; i >= 0 {
		if rec.MerchantOrderID, err = t.idAt(i); err != nil {
			return Record{}, err
		}
	}
	if rec.OrderID == "" && rec.MerchantOrderID == "" {
		i := m.col[colOrderID]
		if i < 0 {
			i = m.col[colMerchantOrderID]
		}
		return Record{}, t.errAt(i, "no order id: order_id and merchant_order_id are both empty")
	}
	i := m.col[colAmount]
	if rec.Amount, err = t.int64At(i); err != nil {
		return Record{}, err
	}
	if rec.Amount <= 0 {
		return Record{}, t.errAt(i, "amount %d is not positive", rec.Amount)
	}
	if rec.Currency, err = t.currencyAt(m.col[colCurrency]); err != nil {
		return Record{}, err
	}
	i = m.col[colStatus]
	var ok bool
	if rec.Status, ok = ParseStatus(strings.ToLower(strings.TrimSpace(t.row[i]))); !ok {
		return Record{}, t.errAt(i, "%s is not a status (unpaid, paid, partially_refunded, refunded, or an order status)", quote(t.row[i]))
	}
	if i = m.col[colRefunded]; i >= 0 && t.row[i] != "" {
		if rec.RefundedAmount, err = t.int64At(i); err != nil {
			return Record{}, err
		}
	}
	if i = m.col[colMethod]; i >= 0 {
		if rec.Method, ok = ParseMethod(strings.ToLower(strings.TrimSpace(t.row[i]))); !ok {
			return Record{}, t.errAt(i, "%s is not a method (card, wallet, bank_transfer or empty)", quote(t.row[i]))
		}
	}
	if err := rec.normalize(); err != nil {
		col := m.col[colRefunded]
		if col < 0 {
			col = m.col[colStatus]
		}
		return Record{}, t.errAt(col, "%v", err)
	}
	return rec, nil
}

// normalize fills RefundedAmount for StatusRefunded and checks that status
// and refunded amount agree.
func (r *Record) normalize() error {
	if r.Status == StatusRefunded && r.RefundedAmount == 0 {
		r.RefundedAmount = r.Amount
	}
	switch {
	case r.RefundedAmount < 0 || r.RefundedAmount > r.Amount:
		return errorf("refunded amount %d is outside 0…%d (the amount)", r.RefundedAmount, r.Amount)
	case r.Status == StatusUnpaid && r.RefundedAmount != 0:
		return errorf("an unpaid order has refunded amount %d", r.RefundedAmount)
	case r.Status == StatusPartiallyRefunded && (r.RefundedAmount == 0 || r.RefundedAmount == r.Amount):
		return errorf("partially_refunded needs a refunded amount between 1 and %d, got %d", r.Amount-1, r.RefundedAmount)
	case r.Status == StatusRefunded && r.RefundedAmount != r.Amount:
		return errorf("refunded in full needs refunded amount %d, got %d", r.Amount, r.RefundedAmount)
	}
	return nil
}

// All returns the remaining records as an iterator for
// [Reconciler.AddRecords]. It stops after the first error, which it yields.
func (m *RecordReader) All() iter.Seq2[Record, error] { return readAll(m.Read) }
