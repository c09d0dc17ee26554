package reconcile

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var currencies = []string{"CNY", "USD", "EUR", "GBP", "HKD", "SGD", "JPY", "KWD"}

// month is random consistent data: what the platform did and what the
// merchant recorded, in agreement.
type month struct {
	fixture
	rng *rand.Rand
	seq int
}

func (m *month) id(prefix string) string {
	m.seq++
	return prefix + strconv.Itoa(m.seq)
}

// randomMonth makes n orders: some unpaid, the others paid by a random
// method, some refunded in one or two parts, some card payments disputed
// (and some disputes won); most transactions settled per currency.
func randomMonth(seed uint64, n int) *month {
	m := &month{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	rng := m.rng
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	emit := func(t Transaction) {
		at = at.Add(time.Duration(rng.IntN(600)) * time.Second)
		t.ID, t.CreatedAt, t.Net = m.id("txn_"), at, t.Amount-t.Fee
		m.txns = append(m.txns, t)
	}
	for range n {
		moid, oid := m.id("M-"), m.id("ord_")
		rec := Record{MerchantOrderID: moid, Amount: 1 + rng.Int64N(10_000_000), Currency: currencies[rng.IntN(len(currencies))], Line: len(m.records) + 2}
		if rng.IntN(3) == 0 { // some records carry the platform's id too
			rec.OrderID = oid
		}
		if rng.IntN(7) == 0 {
			rec.Status = StatusUnpaid
			m.records = append(m.records, rec)
			continue
		}
		method := Method(1 + rng.IntN(3))
		if rng.IntN(4) > 0 {
			rec.Method = method
		}
		base := Transaction{OrderID: oid, MerchantOrderID: moid, Currency: rec.Currency}
		p := base
		p.Type, p.Source, p.Amount, p.Fee = TxnPayment, m.id("pay_"), rec.Amount, Fee(method, rec.Amount)
		emit(p)
		rec.Status = StatusPaid
		for k := rng.IntN(3); k > 0 && rec.RefundedAmount < rec.Amount; k-- {
			part := 1 + rng.Int64N(rec.Amount-rec.RefundedAmount)
			r := base
			r.Type, r.Source, r.Amount = TxnRefund, m.id("re_"), -part
			emit(r)
			rec.RefundedAmount += part
		}
		switch {
		case rec.RefundedAmount == rec.Amount:
			rec.Status = StatusRefunded
		case rec.RefundedAmount > 0:
			rec.Status = StatusPartiallyRefunded
		}
		if method == MethodCard && rec.RefundedAmount < rec.Amount && rng.IntN(5) == 0 {
			d := base
			d.Type, d.Source, d.Amount, d.Fee = TxnDispute, m.id("dp_"), -(rec.Amount - rec.RefundedAmount), DisputeFee
			emit(d)
			if rng.IntN(2) == 0 {
				d.Type, d.Amount, d.Fee = TxnDisputeReversal, -d.Amount, 0
				emit(d)
			}
		}
		m.records = append(m.records, rec)
	}
	m.settleAll(func(*Transaction) bool { return rng.IntN(4) > 0 }) // a quarter not settled yet
	rng.Shuffle(len(m.records), func(i, j int) { m.records[i], m.records[j] = m.records[j], m.records[i] })
	return m
}

// pick returns the index of a random element satisfying ok, or -1.
func pick[T any](rng *rand.Rand, rows []T, ok func(*T) bool) int {
	var idx []int
	for i := range rows {
		if ok(&rows[i]) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return -1
	}
	return idx[rng.IntN(len(idx))]
}

// settle keeps the settlement header of t level with a change of its net.
func (m *month) settle(t *Transaction, delta int64) {
	for i := range m.settlements {
		if m.settlements[i].ID == t.SettlementID {
			m.settlements[i].Amount += delta
		}
	}
}

// mutations each plant one difference of their kind; false when the month
// has nothing to plant it in.
var mutations = map[Kind]func(m *month) bool{
	KindMissedPayment: func(m *month) bool {
		i := pick(m.rng, m.records, func(r *Record) bool { return r.Status == StatusPaid })
		if i < 0 {
			return false
		}
		if m.rng.IntN(2) == 0 {
			m.records = slices.Delete(m.records, i, i+1)
		} else {
			m.records[i].Status = StatusUnpaid
		}
		return true
	},
	KindNotOnPlatform: func(m *month) bool {
		i := pick(m.rng, m.records, func(r *Record) bool { return r.Status == StatusUnpaid })
		if i < 0 {
			return false
		}
		m.records[i].Status = StatusPaid
		return true
	},
	KindAmountMismatch: func(m *month) bool {
		i := pick(m.rng, m.records, func(r *Record) bool { return r.Status == StatusPaid || r.Status == StatusPartiallyRefunded })
		if i < 0 {
			return false
		}
		m.records[i].Amount += 1 + m.rng.Int64N(1000)
		return true
	},
	KindCurrencyMismatch: func(m *month) bool {
		i := pick(m.rng, m.records, func(r *Record) bool { return r.Status != StatusUnpaid })
		if i < 0 {
			return false
		}
		r := &m.records[i]
		for c := r.Currency; c == r.Currency; {
			r.Currency = currencies[m.rng.IntN(len(currencies))]
		}
		return true
	},
	KindDoublePayment: func(m *month) bool {
		i := pick(m.rng, m.txns, func(t *Transaction) bool { return t.Type == TxnPayment })
		if i < 0 {
			return false
		}
		t := m.txns[i]
		t.ID, t.OrderID, t.Source, t.SettlementID = m.id("txn_"), m.id("ord_"), m.id("pay_"), ""
		t.CreatedAt = t.CreatedAt.Add(time.Minute)
		m.txns = append(m.txns, t)
		return true
	},
	KindRefundMissingOnPlatform: func(m *month) bool {
		i := pick(m.rng, m.records, func(r *Record) bool { return r.Status == StatusPaid && r.Amount > 1 })
		if i < 0 {
			return false
		}
		m.records[i].Status, m.records[i].RefundedAmount = StatusPartiallyRefunded, 1
		return true
	},
	KindRefundMissingLocally: func(m *month) bool {
		i := pick(m.rng, m.records, func(r *Record) bool { return r.RefundedAmount > 0 })
		if i < 0 {
			return false
		}
		r := &m.records[i]
		r.RefundedAmount = m.rng.Int64N(r.RefundedAmount)
		r.Status = StatusPartiallyRefunded
		if r.RefundedAmount == 0 {
			r.Status = StatusPaid
		}
		return true
	},
	KindFeeMismatch: func(m *month) bool {
		i := pick(m.rng, m.txns, func(*Transaction) bool { return true })
		if i < 0 {
			return false
		}
		t := &m.txns[i]
		delta := int64(1)
		if t.Type == TxnPayment { // stay off every fee of the schedule
			for feeMatches(MethodUnknown, t.Amount, t.Fee+delta) {
				delta++
			}
		}
		t.Fee += delta
		t.Net -= delta
		m.settle(t, -delta)
		return true
	},
	KindNetMismatch: func(m *month) bool {
		i := pick(m.rng, m.txns, func(*Transaction) bool { return true })
		if i < 0 {
			return false
		}
		t := &m.txns[i]
		t.Net++
		m.settle(t, 1)
		return true
	},
	KindSettlementMismatch: func(m *month) bool {
		if len(m.settlements) == 0 {
			return false
		}
		s := &m.settlements[m.rng.IntN(len(m.settlements))]
		if m.rng.IntN(2) == 0 {
			s.Amount -= 1 + m.rng.Int64N(100)
		} else {
			s.TransactionCount++
		}
		return true
	},
	KindDuplicateRecord: func(m *month) bool {
		if len(m.records) == 0 {
			return false
		}
		r := m.records[m.rng.IntN(len(m.records))]
		r.Line = len(m.records) + 2
		m.records = append(m.records, r)
		return true
	},
}

// TestReconcile_property: random consistent months reconcile with no
// difference, and each single random mutation yields exactly one difference
// of its kind.
func TestReconcile_property(t *testing.T) {
	t.Parallel()
	for seed := range uint64(150) {
		m := randomMonth(seed, 40)
		report := m.reconcile(t)
		require.Empty(t, report.Differences, "seed %d", seed)
		for _, kind := range Kinds() {
			mutate := mutations[kind]
			if mutate == nil {
				continue // KindOverflow: see TestReconcile_overflow
			}
			m := randomMonth(seed, 40)
			if !mutate(m) {
				continue
			}
			report := m.reconcile(t)
			require.Len(t, report.Differences, 1, "seed %d, %v: %v", seed, kind, report.Differences)
			require.Equal(t, kind, report.Differences[0].Kind, "seed %d: %v", seed, report.Differences[0])
		}
	}
}

// The mutations cover every kind but overflow.
func TestReconcile_propertyCoversKinds(t *testing.T) {
	t.Parallel()
	require.Len(t, mutations, len(Kinds())-1, fmt.Sprint(Kinds()))
}
