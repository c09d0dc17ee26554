package reconcile

import (
	"errors"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TxnType is the type of a balance transaction (docs/tokenim-api.md §9).
type TxnType uint8

// The balance transaction types of docs/tokenim-api.md §9.
const (
	TxnPayment         TxnType = iota + 1 // a succeeded payment: +amount, its fee
	TxnRefund                             // a succeeded refund: -amount, fee 0
	TxnDispute                            // an opened dispute: -amount, the dispute fee
	TxnDisputeReversal                    // a won dispute: +amount, fee 0
)

var txnTypeNames = [...]string{"", "payment", "refund", "dispute", "dispute_reversal"}

// String returns the type's wire name.
func (t TxnType) String() string {
	if t > 0 && int(t) < len(txnTypeNames) {
		return txnTypeNames[t]
	}
	return "txn_type(" + strconv.Itoa(int(t)) + ")"
}

// ParseTxnType parses a type's wire name.
func ParseTxnType(s string) (TxnType, bool) {
	for i := 1; i < len(txnTypeNames); i++ {
		if s == txnTypeNames[i] {
			return TxnType(i), true
		}
	}
	return 0, false
}

// Transaction is one balance transaction, the platform's side of the
// reconciliation (docs/tokenim-api.md §9): a row of a settlement's statement
// or an object of GET /v1/balance_transactions. Amount is signed (money in is
// positive), Fee ≥ 0 and Net = Amount - Fee, all in minor units.
//
// At least one of OrderID and MerchantOrderID must be set; the API's object
// carries only order_id, the statement both. SettlementID is empty while the
// transaction is not settled.
type Transaction struct {
	ID              string
	Type            TxnType
	Source          string // the payment, refund or dispute id
	OrderID         string
	MerchantOrderID string
	Amount          int64
	Fee             int64
	Net             int64
	Currency        string
	CreatedAt       time.Time
	SettlementID    string
}

// Settlement is the header of one settlement (docs/tokenim-api.md §9): the
// sum of its transactions' nets and their number, in one currency. An
// adapter fills it from GET /v1/settlements/{id}.
type Settlement struct {
	ID               string
	Currency         string
	Amount           int64
	TransactionCount int64
}

// statementHeader is the header row of a settlement's statement.
var statementHeader = [...]string{
	"balance_transaction_id", "type", "source", "order_id", "merchant_order_id",
	"amount", "fee", "net", "currency", "created_at",
}

// StatementHeader returns the header row of a settlement's statement, GET
// /v1/settlements/{id}/report (docs/tokenim-api.md §9). A statement must
// start with exactly these columns in this order.
func StatementHeader() []string { return slices.Clone(statementHeader[:]) }

// Statement columns, in header order.
const (
	stID = iota
	stType
	stSource
	stOrderID
	stMerchantOrderID
	stAmount
	stFee
	stNet
	stCurrency
	stCreatedAt
)

// StatementReader reads a settlement's CSV statement (docs/tokenim-api.md §9)
// row by row, holding one row at a time. It checks the header strictly and
// each field's form; it leaves the money rules (fees, nets, totals) to the
// [Reconciler], which reports them as differences rather than stopping.
type StatementReader struct {
	t            *table
	settlementID string
	started      bool
	err          error
}

// NewStatementReader returns a reader of the statement of settlement
// settlementID: every row it reads carries that id as its SettlementID (the
// statement's rows do not repeat it). settlementID may be empty.
func NewStatementReader(r io.Reader, settlementID string) *StatementReader {
	return &StatementReader{t: newTable("statement", r), settlementID: settlementID}
}

// Read returns the next transaction, io.EOF after the last, or a
// *ParseError naming the line and column of bad input. After an error other
// than io.EOF every later Read returns the same error.
func (s *StatementReader) Read() (Transaction, error) {
	if s.err != nil {
		return Transaction{}, s.err
	}
	txn, err := s.read()
	if err != nil {
		s.err = err
	}
	return txn, err
}

func (s *StatementReader) read() (Transaction, error) {
	t := s.t
	if !s.started {
		s.started = true
		if err := t.readHeader(); err != nil {
			return Transaction{}, err
		}
		if err := checkStatementHeader(t.header); err != nil {
			return Transaction{}, &ParseError{File: t.file, Line: 1, Err: err}
		}
	}
	if err := t.next(); err != nil {
		return Transaction{}, err
	}
	row := t.row
	txn := Transaction{
		ID:              row[stID],
		Source:          row[stSource],
		OrderID:         row[stOrderID],
		MerchantOrderID: row[stMerchantOrderID],
		SettlementID:    s.settlementID,
	}
	for _, i := range [...]int{stID, stOrderID, stMerchantOrderID} {
		if len(row[i]) > maxIDLen {
			return Transaction{}, t.errAt(i, "id of %d bytes is longer than %d", len(row[i]), maxIDLen)
		}
	}
	if txn.ID == "" {
		return Transaction{}, t.errAt(stID, "empty balance transaction id")
	}
	if txn.OrderID == "" {
		return Transaction{}, t.errAt(stOrderID, "empty order id")
	}
	var ok bool
	if txn.Type, ok = ParseTxnType(row[stType]); !ok {
		return Transaction{}, t.errAt(stType, "%s is not one of payment, refund, dispute, dispute_reversal", quote(row[stType]))
	}
	var err error
	if txn.Amount, err = t.int64At(stAmount); err != nil {
		return Transaction{}, err
	}
	if txn.Fee, err = t.int64At(stFee); err != nil {
		return Transaction{}, err
	}
	if txn.Net, err = t.int64At(stNet); err != nil {
		return Transaction{}, err
	}
	if txn.Currency, err = t.currencyAt(stCurrency); err != nil {
		return Transaction{}, err
	}
	if txn.CreatedAt, err = time.Parse(time.RFC3339, row[stCreatedAt]); err != nil {
		return Transaction{}, t.errAt(stCreatedAt, "%s is not an RFC 3339 time", quote(row[stCreatedAt]))
	}
	return txn, nil
}

func checkStatementHeader(got []string) error {
	all := strings.Join(statementHeader[:], ",")
	if len(got) != len(statementHeader) {
		return errors.New("header has " + strconv.Itoa(len(got)) + " columns, want " +
			strconv.Itoa(len(statementHeader)) + ": " + all)
	}
	for i, want := range statementHeader {
		if got[i] != want {
			return errors.New("header column " + strconv.Itoa(i+1) + " is " + quote(got[i]) +
				", want " + strconv.Quote(want) + " (" + all + ")")
		}
	}
	return nil
}

// All returns the remaining transactions as an iterator for
// [Reconciler.AddTransactions]. It stops after the first error, which it
// yields.
func (s *StatementReader) All() iter.Seq2[Transaction, error] { return readAll(s.Read) }
