package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The conservation law of docs/tokenim-api.md §9 as a property: over random
// sequences of payments (every method, declines, bank transfers that settle
// or are returned), refunds (partial, full, failing, refused), disputes
// (opened, refused, won, lost, accepted; docs/tokenim-api.md §8) and clock moves
// (minutes to days, across midnights one by one), at every step and in every
// currency (0, 2 and 3 decimals)
//
//	Σ settlements + available + pending = Σ nets of all transactions,
//
// each settlement pays exactly the nets of its transactions (> 0), and no
// currency keeps an available unsettled sum above 0 past a midnight.
// Requests go straight to ServeHTTP: in process, no listener.
func TestLedger_conservationProperty(t *testing.T) {
	t.Parallel()
	// Thousands also under -race, as CI runs it (about 12 s there).
	sequences := 2000
	if testing.Short() {
		sequences = 200
	}
	sb := New(WithFrozenClock(t0), WithRateLimit(0), WithSeed(1))
	t.Cleanup(sb.Close)
	var txns, settlements, refunds, disputes, reversals, carried int
	for seq := range sequences {
		sb.Reset()
		p := &ledgerProp{t: t, sb: sb, rng: rand.New(rand.NewPCG(uint64(seq), 13)), seq: seq}
		steps := 5 + p.rng.IntN(36)
		for step := range steps {
			p.step = step
			p.act()
			p.check()
		}
		p.checkAPI()
		sb.mu.Lock()
		l := &sb.merchants[sb.cfg.merchantID].ledger
		txns += len(l.txnList)
		settlements += len(l.stlList)
		for _, x := range l.txnList {
			switch x.Type {
			case txnRefund:
				refunds++
			case txnDispute:
				disputes++
			case txnDisputeReversal:
				reversals++
			}
		}
		carried += len(l.unsettled)
		sb.mu.Unlock()
	}
	// The property is only as strong as what the sequences reach.
	t.Logf("%d sequences: %d transactions (%d refunds, %d disputes, %d won back), %d settlements, %d left unsettled",
		sequences, txns, refunds, disputes, reversals, settlements, carried)
	require.Greater(t, settlements, sequences/2)
	require.Greater(t, refunds, sequences/2)
	require.Greater(t, disputes, sequences/4)
	require.Greater(t, reversals, sequences/40)
}

type ledgerProp struct {
	t        *testing.T
	sb       *Sandbox
	rng      *rand.Rand
	seq      int
	step     int
	n        int
	payments []string // ids of every payment made, whatever its outcome
	disputes []string // ids of every dispute opened
	cards    []string // succeeded card payments: the disputable ones
	log      []string // what this sequence did, for a failure message
}

var propCurrencies = []string{"CNY", "JPY", "KWD", "USD"}

var propMethods = []map[string]any{
	{"type": "card", "card": map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}},
	{"type": "card", "card": map[string]any{"number": "4000000000000002", "exp_month": 12, "exp_year": 2040, "cvc": "123"}},
	{"type": "wallet", "wallet": map[string]any{"provider": "alipay"}},
	{"type": "wallet", "wallet": map[string]any{"provider": "tokenim_balance"}},
	{"type": "bank_transfer"},
}

func (p *ledgerProp) amount() int64 {
	switch p.rng.IntN(4) {
	case 0:
		return 1 + p.rng.Int64N(60) // fees capped at the amount
	case 1:
		return int64(p.rng.IntN(500))*100 + 13 // returned transfers, failed refunds
	default:
		return 1 + p.rng.Int64N(5_000_000)
	}
}

func (p *ledgerProp) act() {
	switch r := p.rng.IntN(12); {
	case r < 4:
		p.n++
		cur := propCurrencies[p.rng.IntN(len(propCurrencies))]
		amt := p.amount()
		o := p.call("POST", "/v1/orders", map[string]any{
			"merchant_order_id": fmt.Sprintf("p%d-%d", p.seq, p.n), "amount": amt, "currency": cur,
			"expires_at": p.sb.Clock().Now().Add(7 * 24 * time.Hour).UTC().Format(time.RFC3339),
		})
		meth := propMethods[p.rng.IntN(len(propMethods))]
		if meth["type"] == "card" {
			// The clock runs on across sequences (Reset never rewinds it):
			// keep the card valid whatever year it has reached.
			cd := map[string]any{"exp_month": 12, "exp_year": p.sb.Clock().Now().Year() + 3, "cvc": "123"}
			cd["number"] = meth["card"].(map[string]any)["number"]
			meth = map[string]any{"type": "card", "card": cd}
		}
		pay := p.call("POST", "/v1/payments", map[string]any{"order_id": o["id"], "method": meth})
		if id, ok := pay["id"].(string); ok {
			p.payments = append(p.payments, id)
			if pay["status"] == "succeeded" && meth["type"] == "card" {
				p.cards = append(p.cards, id)
			}
		} else if id, ok := pay["payment_id"].(string); ok {
			p.payments = append(p.payments, id)
		}
		p.log = append(p.log, fmt.Sprintf("pay %d %s by %v", amt, cur, meth["type"]))
	case r < 6 && len(p.payments) > 0:
		id := p.payments[p.rng.IntN(len(p.payments))]
		body := map[string]any{"payment_id": id}
		if p.rng.IntN(3) > 0 {
			body["amount"] = p.amount()
		}
		p.call("POST", "/v1/refunds", body)
		p.log = append(p.log, fmt.Sprintf("refund %v of %s", body["amount"], id))
	case r < 8 && len(p.payments) > 0:
		p.dispute()
	default:
		d := []time.Duration{time.Minute, 5 * time.Minute, time.Hour, 7 * time.Hour, 23 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour}[p.rng.IntN(7)]
		p.sb.Advance(d)
		p.log = append(p.log, "advance "+d.String())
	}
}

// dispute opens a dispute on a random payment (refused unless it is a
// succeeded card payment with something unrefunded and no dispute yet), or
// answers one: evidence that wins or loses a day later, or acceptance.
func (p *ledgerProp) dispute() {
	if len(p.disputes) == 0 || p.rng.IntN(2) == 0 {
		id := p.payments[p.rng.IntN(len(p.payments))]
		if len(p.cards) > 0 && p.rng.IntN(5) > 0 {
			id = p.cards[p.rng.IntN(len(p.cards))]
		}
		d := p.call("POST", "/_sandbox/disputes", map[string]any{"payment_id": id})
		if did, ok := d["id"].(string); ok && d["object"] == "dispute" {
			p.disputes = append(p.disputes, did)
		}
		p.log = append(p.log, "dispute "+id)
		return
	}
	id := p.disputes[p.rng.IntN(len(p.disputes))]
	switch p.rng.IntN(3) {
	case 0:
		p.call("POST", "/v1/disputes/"+id+"/accept", nil)
		p.log = append(p.log, "accept "+id)
	default:
		text := "delivered"
		if p.rng.IntN(2) == 0 {
			text = "losing_evidence"
		}
		p.call("POST", "/v1/disputes/"+id+"/evidence", map[string]any{"evidence": map[string]any{"uncategorized_text": text}, "submit": true})
		p.log = append(p.log, "evidence "+text+" "+id)
	}
}

// call sends one request to the handler and decodes its JSON answer.
func (p *ledgerProp) call(method, path string, body any) map[string]any {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, "http://sandbox.test"+path, rd)
	m := p.sb.DefaultMerchant()
	req.Header.Set("Authorization", "Bearer "+m.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", m.ID)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("k-%d-%d-%d", p.seq, p.step, p.rng.Uint64()))
	}
	w := httptest.NewRecorder()
	p.sb.ServeHTTP(w, req)
	if w.Code >= 500 {
		p.t.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
	}
	var out map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &out)
	if w.Code == http.StatusOK && out == nil {
		p.t.Fatalf("%s %s: 200 without a JSON object", method, path)
	}
	return out
}

func (p *ledgerProp) fail(format string, args ...any) {
	p.t.Helper()
	p.t.Fatalf("sequence %d step %d: %s\nsteps: %v", p.seq, p.step, fmt.Sprintf(format, args...), p.log)
}

// check holds the ledger to §9 after every step.
func (p *ledgerProp) check() {
	p.t.Helper()
	sb := p.sb
	sb.mu.Lock()
	defer sb.mu.Unlock()
	now := sb.clock.Now()
	m := sb.merchants[sb.cfg.merchantID]
	l := &m.ledger
	nets, settled := map[string]int64{}, map[string]int64{}
	for _, x := range l.txnList {
		nets[x.Currency] += x.Net
		if x.Net != x.Amount-x.Fee || x.Fee < 0 {
			p.fail("%s: net %d, amount %d, fee %d", x.ID, x.Net, x.Amount, x.Fee)
		}
	}
	inSettlement := map[string]string{}
	for _, st := range l.stlList {
		var sum int64
		for _, x := range st.txns {
			sum += x.Net
			if prev, dup := inSettlement[x.ID]; dup {
				p.fail("%s settled twice: %s and %s", x.ID, prev, st.ID)
			}
			inSettlement[x.ID] = st.ID
			if x.SettlementID == nil || *x.SettlementID != st.ID || x.Currency != st.Currency {
				p.fail("%s in %s names %v", x.ID, st.ID, x.SettlementID)
			}
			if x.availableOn.After(time.Time(st.PeriodEnd)) {
				p.fail("%s settled at %v before it was available", x.ID, time.Time(st.PeriodEnd))
			}
		}
		if sum != st.Amount || sum <= 0 || int64(len(st.txns)) != st.TransactionCount {
			p.fail("settlement %s: amount %d, nets %d, %d of %d transactions", st.ID, st.Amount, sum, len(st.txns), st.TransactionCount)
		}
		settled[st.Currency] += st.Amount
	}
	midnight := now.UTC().Truncate(24 * time.Hour)
	due := map[string]int64{}
	for _, x := range l.unsettled {
		if x.SettlementID != nil {
			p.fail("%s is unsettled but names %s", x.ID, *x.SettlementID)
		}
		if !x.availableOn.After(midnight) {
			due[x.Currency] += x.Net
		}
	}
	if len(inSettlement)+len(l.unsettled) != len(l.txnList) {
		p.fail("%d settled + %d unsettled ≠ %d transactions", len(inSettlement), len(l.unsettled), len(l.txnList))
	}
	for cur, sum := range due {
		if sum > 0 {
			p.fail("%s: %d available at %v was not settled", cur, sum, midnight)
		}
	}
	b := balanceOf(m, now)
	for i, a := range b.Available {
		cur := a.Currency
		if got := settled[cur] + a.Amount + b.Pending[i].Amount; got != nets[cur] {
			p.fail("%s: settlements %d + available %d + pending %d = %d ≠ nets %d",
				cur, settled[cur], a.Amount, b.Pending[i].Amount, got, nets[cur])
		}
	}
	if len(b.Available) != len(nets) {
		p.fail("balance lists %d currencies, the ledger has %d", len(b.Available), len(nets))
	}
}

// checkAPI holds GET /v1/balance to the same law once per sequence.
func (p *ledgerProp) checkAPI() {
	p.t.Helper()
	var b balanceBody
	raw, _ := json.Marshal(p.call("GET", "/v1/balance", nil))
	require.NoError(p.t, json.Unmarshal(raw, &b))
	p.sb.mu.Lock()
	defer p.sb.mu.Unlock()
	l := &p.sb.merchants[p.sb.cfg.merchantID].ledger
	want := map[string]int64{}
	for _, x := range l.txnList {
		want[x.Currency] += x.Net
	}
	for _, st := range l.stlList {
		want[st.Currency] -= st.Amount
	}
	got := map[string]int64{}
	for i, a := range b.Available {
		got[a.Currency] = a.Amount + b.Pending[i].Amount
	}
	require.Equal(p.t, want, got, "sequence %d: GET /v1/balance", p.seq)
}
