package sandbox

import (
	"time"
)

// The merchant's ledger (docs/tokenim-api.md §9): every movement of money is
// one balance transaction; the balance and the daily settlements are sums
// over them.

// availableAfter is how long a transaction stays pending
// (docs/tokenim-api.md §9: available_on = created_at + 86 400 s).
const availableAfter = 86400 * time.Second

// Balance transaction types (docs/tokenim-api.md §9).
const (
	txnPayment         = "payment"
	txnRefund          = "refund"
	txnDispute         = "dispute"
	txnDisputeReversal = "dispute_reversal"
)

type balanceTxn struct {
	ID           string    `json:"id"`
	Object       string    `json:"object"`
	Type         string    `json:"type"`
	Source       string    `json:"source"`
	OrderID      string    `json:"order_id"`
	Amount       int64     `json:"amount"`
	Fee          int64     `json:"fee"`
	Net          int64     `json:"net"`
	Currency     string    `json:"currency"`
	AvailableOn  timestamp `json:"available_on"`
	SettlementID *string   `json:"settlement_id"`
	CreatedAt    timestamp `json:"created_at"`

	createdAt   time.Time // second precision, like the wire
	availableOn time.Time
}

// addBalanceTransaction records one movement of m's money: typ is payment,
// refund, dispute or dispute_reversal, source the payment, refund or dispute
// id, amount signed (money in is positive), fee ≥ 0; net = amount - fee and
// the money becomes available a day after at (docs/tokenim-api.md §9).
// The caller holds s.mu.
func (s *Sandbox) addBalanceTransaction(m *merchant, typ, source, orderID string, amount, fee int64, currency string, at time.Time) {
	created := at.UTC().Truncate(time.Second)
	t := &balanceTxn{
		ID: s.newID("txn_"), Object: "balance_transaction", Type: typ, Source: source, OrderID: orderID,
		Amount: amount, Fee: fee, Net: amount - fee, Currency: currency,
		AvailableOn: timestamp(created.Add(availableAfter)), CreatedAt: timestamp(created),
		createdAt: created, availableOn: created.Add(availableAfter),
	}
	if m.txns == nil {
		m.txns = map[string]*balanceTxn{}
	}
	m.txns[t.ID] = t
	m.pos[t.ID] = len(m.txnList)
	m.txnList = append(m.txnList, t)
}
