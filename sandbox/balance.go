package sandbox

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"slices"
	"strconv"
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
	versioned

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
	l := &m.ledger
	if l.txns == nil {
		l.txns = map[string]*balanceTxn{}
	}
	l.txns[t.ID] = t
	m.pos[t.ID] = len(l.txnList)
	l.txnList = append(l.txnList, t)
	l.unsettled = append(l.unsettled, t)
	if i, found := slices.BinarySearch(l.currencies, currency); !found {
		l.currencies = slices.Insert(l.currencies, i, currency)
	}
}

// settlement is one daily payout (docs/tokenim-api.md §9).
type settlement struct {
	ID               string    `json:"id"`
	Object           string    `json:"object"`
	Currency         string    `json:"currency"`
	Amount           int64     `json:"amount"`
	TransactionCount int64     `json:"transaction_count"`
	PeriodEnd        timestamp `json:"period_end"`
	CreatedAt        timestamp `json:"created_at"`
	Status           string    `json:"status"`
	versioned

	txns []*balanceTxn // oldest first: the statement's rows
}

// ledgerBook is a merchant's balance transactions and settlements.
type ledgerBook struct {
	txns       map[string]*balanceTxn
	txnList    []*balanceTxn
	unsettled  []*balanceTxn // oldest first
	currencies []string      // every currency with a transaction, sorted
	stl        map[string]*settlement
	stlList    []*settlement
}

// scheduleSettlement runs m's next daily settlement at the first 00:00 UTC
// after now; each run schedules the next, so a clock moved several days
// settles day by day, in order (docs/tokenim-api.md §9). The caller holds
// s.mu or owns s.
func (s *Sandbox) scheduleSettlement(m *merchant, now time.Time) {
	next := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	s.later(m, next, func(m *merchant, _ time.Time) {
		s.settle(m, next)
		s.scheduleSettlement(m, next)
	})
}

// settle pays out, per currency, the unsettled transactions available by
// at when their nets sum to more than 0; otherwise they carry over to the
// next day (docs/tokenim-api.md §9). The caller holds s.mu.
func (s *Sandbox) settle(m *merchant, at time.Time) {
	due := map[string][]*balanceTxn{}
	var keep []*balanceTxn
	for _, t := range m.ledger.unsettled {
		if t.availableOn.After(at) {
			keep = append(keep, t)
			continue
		}
		due[t.Currency] = append(due[t.Currency], t)
	}
	for _, cur := range m.ledger.currencies {
		txns := due[cur]
		var sum int64
		for _, t := range txns {
			sum += t.Net
		}
		if len(txns) == 0 || sum <= 0 {
			keep = append(keep, txns...)
			continue
		}
		st := &settlement{
			ID: s.newID("st_"), Object: "settlement", Currency: cur, Amount: sum,
			TransactionCount: int64(len(txns)), PeriodEnd: timestamp(at), CreatedAt: timestamp(at),
			Status: "paid", txns: txns,
		}
		for _, t := range txns {
			t.SettlementID = &st.ID
		}
		if m.ledger.stl == nil {
			m.ledger.stl = map[string]*settlement{}
		}
		m.ledger.stl[st.ID] = st
		m.pos[st.ID] = len(m.ledger.stlList)
		m.ledger.stlList = append(m.ledger.stlList, st)
		s.emit(m, "settlement.paid", st)
	}
	// Carried-over transactions stay in creation order.
	slices.SortFunc(keep, func(a, b *balanceTxn) int { return cmp.Compare(m.pos[a.ID], m.pos[b.ID]) })
	m.ledger.unsettled = keep
}

type balanceAmount struct {
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
}

type balanceBody struct {
	Object    string          `json:"object"`
	Available []balanceAmount `json:"available"`
	Pending   []balanceAmount `json:"pending"`
}

// balanceOf sums the nets of m's unsettled transactions per currency:
// available once available_on has passed, pending before. Every currency
// the merchant ever had a transaction in is listed, sorted, even at 0.
// The caller holds s.mu.
func balanceOf(m *merchant, now time.Time) balanceBody {
	b := balanceBody{Object: "balance", Available: []balanceAmount{}, Pending: []balanceAmount{}}
	idx := map[string]int{}
	for i, cur := range m.ledger.currencies {
		idx[cur] = i
		b.Available = append(b.Available, balanceAmount{Currency: cur})
		b.Pending = append(b.Pending, balanceAmount{Currency: cur})
	}
	for _, t := range m.ledger.unsettled {
		if t.availableOn.After(now) {
			b.Pending[idx[t.Currency]].Amount += t.Net
		} else {
			b.Available[idx[t.Currency]].Amount += t.Net
		}
	}
	return b
}

func getBalance(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return jsonResponse(balanceOf(c.m, s.clock.Now()))
}

var txnTypes = map[string]bool{"payment": true, "refund": true, "dispute": true, "dispute_reversal": true}

// timeFilter parses the RFC 3339 query parameter name, given when present
// (docs/tokenim-api.md §1).
func timeFilter(name, raw string, present bool) (time.Time, bool, *apiError) {
	if !present {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, false, errInvalid(name, name+" must be an RFC 3339 time, e.g. 2026-11-21T00:00:00Z.")
	}
	return t, true, nil
}

func listBalanceTransactions(c *call) response {
	q := c.r.URL.Query()
	typ := q.Get("type")
	if q.Has("type") && !txnTypes[typ] {
		return errInvalid("type", "type must be one of payment, refund, dispute, dispute_reversal.").response(c.reqID)
	}
	gte, hasGTE, e := timeFilter("created_gte", q.Get("created_gte"), q.Has("created_gte"))
	if e != nil {
		return e.response(c.reqID)
	}
	lt, hasLT, e := timeFilter("created_lt", q.Get("created_lt"), q.Has("created_lt"))
	if e != nil {
		return e.response(c.reqID)
	}
	src, stl := q.Get("source"), q.Get("settlement_id")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.ledger.txnList, "txn_", func(t *balanceTxn) string { return t.ID }, func(t *balanceTxn) bool {
		return (!q.Has("type") || t.Type == typ) &&
			(!q.Has("source") || t.Source == src) &&
			(!q.Has("settlement_id") || (t.SettlementID != nil && *t.SettlementID == stl)) &&
			(!hasGTE || !t.createdAt.Before(gte)) &&
			(!hasLT || t.createdAt.Before(lt))
	})
}

func getBalanceTransaction(c *call) response {
	return getOne(c, "balance_transaction", func(id string) *balanceTxn { return c.m.ledger.txns[id] })
}

func listSettlements(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.ledger.stlList, "st_", func(st *settlement) string { return st.ID }, func(*settlement) bool { return true })
}

func getSettlement(c *call) response {
	return getOne(c, "settlement", func(id string) *settlement { return c.m.ledger.stl[id] })
}

// getSettlementReport answers the settlement's statement: RFC 4180 CSV with
// a header row, one row per transaction, oldest first, amounts as
// minor-unit integers (docs/tokenim-api.md §9).
func getSettlementReport(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	st := c.m.ledger.stl[c.args[0]]
	if st == nil {
		return errMissing("settlement", c.args[0], "").response(c.reqID)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(reportHeader)
	for _, t := range st.txns {
		moid := ""
		if o := c.m.orders[t.OrderID]; o != nil {
			moid = o.MerchantOrderID
		}
		_ = w.Write([]string{
			t.ID, t.Type, t.Source, t.OrderID, moid,
			strconv.FormatInt(t.Amount, 10), strconv.FormatInt(t.Fee, 10), strconv.FormatInt(t.Net, 10),
			t.Currency, t.createdAt.Format(time.RFC3339),
		})
	}
	w.Flush()
	return response{status: 200, body: buf.Bytes(), contentType: "text/csv; charset=utf-8"}
}

// reportHeader is the statement's header row (docs/tokenim-api.md §9).
var reportHeader = []string{
	"balance_transaction_id", "type", "source", "order_id", "merchant_order_id",
	"amount", "fee", "net", "currency", "created_at",
}
