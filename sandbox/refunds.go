package sandbox

import (
	"strconv"
	"time"
)

type refund struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	PaymentID   string            `json:"payment_id"`
	OrderID     string            `json:"order_id"`
	Amount      int64             `json:"amount"`
	Currency    string            `json:"currency"`
	Reason      *string           `json:"reason"`
	Status      string            `json:"status"`
	FailureCode *string           `json:"failure_code"`
	CreatedAt   timestamp         `json:"created_at"`
	SucceededAt *timestamp        `json:"succeeded_at"`
	Metadata    map[string]string `json:"metadata"`
	versioned

	payment *payment
}

const refundWindow = 180 * 24 * time.Hour

var refundSchema = []field{
	{name: "payment_id", kind: kString, required: true},
	{name: "amount", kind: kInt},
	{name: "reason", kind: kString},
	{name: "metadata", kind: kStringMap},
}

var refundReasons = map[string]bool{"requested_by_customer": true, "duplicate": true, "fraudulent": true, "other": true}

func createRefund(c *call) response {
	o, e := decodeStrict(c.body, refundSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	if o.has("amount") {
		if e := checkAmount(o.int("amount"), "amount"); e != nil {
			return e.response(c.reqID)
		}
	}
	var reason *string
	if o.has("reason") {
		r := o.str("reason")
		if !refundReasons[r] {
			return errInvalid("reason", "reason must be requested_by_customer, duplicate, fraudulent or other.").response(c.reqID)
		}
		reason = &r
	}
	if e := checkMetadata(o); e != nil {
		return e.response(c.reqID)
	}
	s, m := c.s, c.m
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	p := m.payments[o.str("payment_id")]
	if p == nil {
		return errMissing("payment", o.str("payment_id"), "payment_id").response(c.reqID)
	}
	if p.Status != "succeeded" {
		return newError(409, "payment_not_refundable", "Payment not refundable",
			"Only a succeeded payment can be refunded; this one is "+p.Status+".").withPayment(p.ID).response(c.reqID)
	}
	if p.dispute.blocksRefund() {
		return errPaymentDisputed(p).response(c.reqID)
	}
	if now.After(p.succeededAt.Add(refundWindow)) {
		return newError(409, "refund_window_expired", "Refund window expired",
			"A payment can be refunded for 180 days after it succeeded.").withPayment(p.ID).response(c.reqID)
	}
	remaining := p.Amount - p.committed
	amount := remaining
	if o.has("amount") {
		amount = o.int("amount")
	}
	if remaining == 0 || amount > remaining {
		return newError(409, "refund_exceeds_remaining", "Refund exceeds remaining amount",
			"At most "+strconv.FormatInt(remaining, 10)+" ("+p.Currency+" minor units) remains to refund on this payment.").withPayment(p.ID).response(c.reqID)
	}
	rf := &refund{
		ID: s.newID("re_"), Object: "refund", PaymentID: p.ID, OrderID: p.OrderID, Amount: amount,
		Currency: p.Currency, Reason: reason, Status: "pending", CreatedAt: timestamp(now),
		Metadata: metadataOf(o), payment: p,
	}
	p.committed += amount
	m.refunds[rf.ID] = rf
	m.pos[rf.ID] = len(m.refList)
	m.refList = append(m.refList, rf)
	s.later(m, now.Add(5*time.Minute), func(m *merchant, now time.Time) { s.completeRefund(m, rf, now) })
	return jsonResponse(rf)
}

// completeRefund settles a pending refund five minutes after it was made.
// The caller holds s.mu (see later).
func (s *Sandbox) completeRefund(m *merchant, rf *refund, now time.Time) {
	if rf.Status != "pending" {
		return
	}
	p := rf.payment
	if rf.Amount%100 == 13 {
		rf.Status = "failed"
		rf.FailureCode = stringPtr("refund_declined")
		p.committed -= rf.Amount
		s.emit(m, "refund.failed", rf)
		return
	}
	rf.Status = "succeeded"
	rf.SucceededAt = timestampPtr(now)
	p.AmountRefunded += rf.Amount
	s.addBalanceTransaction(m, txnRefund, rf.ID, rf.OrderID, -rf.Amount, 0, rf.Currency, now)
	o := p.order
	o.AmountRefunded += rf.Amount
	if o.AmountRefunded >= o.Amount {
		o.Status = "refunded"
	} else {
		o.Status = "partially_refunded"
	}
	s.emit(m, "refund.succeeded", rf)
	s.emit(m, "order.refunded", o)
}

func getRefund(c *call) response {
	return getOne(c, "refund", func(id string) *refund { return c.m.refunds[id] })
}

func listRefunds(c *call) response {
	q := c.r.URL.Query()
	pid := q.Get("payment_id")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.refList, "re_", func(r *refund) string { return r.ID }, func(r *refund) bool {
		return !q.Has("payment_id") || r.PaymentID == pid
	})
}
