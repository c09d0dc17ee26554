package sandbox

// Disputes (docs/tokenim-api.md §8): a customer challenges a succeeded card
// payment; the merchant stages and submits evidence before evidence_due_by or
// loses the money. Every deadline runs on the sandbox clock through later().

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

type disputeEvidence struct {
	ProductDescription     *string `json:"product_description"`
	CustomerCommunication  *string `json:"customer_communication"`
	ShippingTrackingNumber *string `json:"shipping_tracking_number"`
	RefundPolicy           *string `json:"refund_policy"`
	UncategorizedText      *string `json:"uncategorized_text"`
}

type dispute struct {
	ID            string          `json:"id"`
	Object        string          `json:"object"`
	PaymentID     string          `json:"payment_id"`
	OrderID       string          `json:"order_id"`
	Amount        int64           `json:"amount"`
	Currency      string          `json:"currency"`
	Fee           int64           `json:"fee"`
	Reason        string          `json:"reason"`
	Status        string          `json:"status"`
	Evidence      disputeEvidence `json:"evidence"`
	EvidenceDueBy timestamp       `json:"evidence_due_by"`
	SubmittedAt   *timestamp      `json:"submitted_at"`
	CreatedAt     timestamp       `json:"created_at"`
	ClosedAt      *timestamp      `json:"closed_at"`
	versioned

	payment *payment
	dueBy   time.Time
}

const (
	// disputeFee is withdrawn with every dispute, won or lost: 1500 minor
	// units of the payment's currency (docs/tokenim-api.md §8).
	disputeFee = 1500
	// disputeWindow is how long the merchant has to answer.
	disputeWindow = 7 * 24 * time.Hour
	// dueSoonLead is how long before evidence_due_by dispute.evidence_due_soon fires.
	dueSoonLead = 48 * time.Hour
	// reviewTime is how long the bank takes to decide on submitted evidence.
	reviewTime = 24 * time.Hour
	// testDisputeDelay is how long after a dispute test card succeeds its
	// dispute opens.
	testDisputeDelay = time.Hour
	// maxEvidenceChars bounds each evidence text field, in characters.
	maxEvidenceChars = 20000
	// losingEvidence in uncategorized_text makes submitted evidence lose.
	losingEvidence = "losing_evidence"
)

// disputeCards are the §8 test cards: they succeed, then a dispute with this
// reason opens an hour of sandbox time later.
var disputeCards = map[string]string{
	"4000000000000259": "fraudulent",
	"4000000000002685": "product_not_received",
}

var disputeReasons = map[string]bool{
	"fraudulent": true, "product_not_received": true, "duplicate": true, "unrecognized": true, "other": true,
}

var disputeStatuses = map[string]bool{"needs_response": true, "under_review": true, "won": true, "lost": true}

// evidenceFields are the evidence members, each a text field; fields reads
// and writes the matching struct member.
var evidenceFields = []string{
	"product_description", "customer_communication", "shipping_tracking_number", "refund_policy", "uncategorized_text",
}

func (e *disputeEvidence) field(name string) **string {
	switch name {
	case "product_description":
		return &e.ProductDescription
	case "customer_communication":
		return &e.CustomerCommunication
	case "shipping_tracking_number":
		return &e.ShippingTrackingNumber
	case "refund_policy":
		return &e.RefundPolicy
	}
	return &e.UncategorizedText
}

var evidenceSchema = []field{
	{name: "evidence", kind: kObject, sub: []field{
		{name: "product_description", kind: kString},
		{name: "customer_communication", kind: kString},
		{name: "shipping_tracking_number", kind: kString},
		{name: "refund_policy", kind: kString},
		{name: "uncategorized_text", kind: kString},
	}},
	{name: "submit", kind: kBool},
}

var openDisputeSchema = []field{
	{name: "payment_id", kind: kString, required: true},
	{name: "reason", kind: kString},
}

// blocksRefund reports whether the payment's dispute forbids refunds: while
// open and after it was lost; a won dispute frees the rest (§8).
func (d *dispute) blocksRefund() bool { return d != nil && d.Status != "won" }

func errDisputeNotOpen(d *dispute) *apiError {
	e := newError(409, "dispute_not_open", "Dispute not open",
		"The dispute is "+d.Status+"; only a dispute that needs a response can take evidence or be accepted.")
	e.disputeID = d.ID
	return e
}

func errPaymentDisputed(p *payment) *apiError {
	e := newError(409, "payment_disputed", "Payment disputed",
		"The payment's dispute is "+p.dispute.Status+"; it cannot be refunded while a dispute is open or after it was lost.").withPayment(p.ID)
	e.disputeID = p.dispute.ID
	return e
}

// openDispute opens a dispute on p, or says why p cannot be disputed: only a
// succeeded card payment with something unrefunded and no dispute yet. The
// caller holds s.mu.
func (s *Sandbox) openDispute(m *merchant, p *payment, reason string, now time.Time) (*dispute, *apiError) {
	remaining := p.Amount - p.committed
	why := ""
	switch {
	case p.Method.Type != "card":
		why = "Only card payments can be disputed; this one is a " + p.Method.Type + " payment."
	case p.Status != "succeeded":
		why = "Only a succeeded payment can be disputed; this one is " + p.Status + "."
	case p.dispute != nil:
		why = "The payment already has a dispute."
	case remaining <= 0:
		why = "The payment is refunded in full."
	}
	if why != "" {
		return nil, newError(409, "payment_not_disputable", "Payment not disputable", why).withPayment(p.ID)
	}
	d := &dispute{
		ID: s.newID("dp_"), Object: "dispute", PaymentID: p.ID, OrderID: p.OrderID, Amount: remaining,
		Currency: p.Currency, Fee: disputeFee, Reason: reason, Status: "needs_response",
		EvidenceDueBy: timestamp(now.Add(disputeWindow)), CreatedAt: timestamp(now),
		payment: p, dueBy: now.Add(disputeWindow),
	}
	p.dispute = d
	p.Disputed = true
	m.disputes[d.ID] = d
	m.pos[d.ID] = len(m.dpList)
	m.dpList = append(m.dpList, d)
	s.addBalanceTransaction(m, txnDispute, d.ID, d.OrderID, -d.Amount, d.Fee, d.Currency, now)
	s.emit(m, "dispute.created", d) // the snapshot before its deadline jobs exist
	s.later(m, d.dueBy.Add(-dueSoonLead), func(m *merchant, _ time.Time) {
		if d.Status == "needs_response" {
			s.emit(m, "dispute.evidence_due_soon", d)
		}
	})
	s.later(m, d.dueBy, func(m *merchant, now time.Time) { s.settleDeadline(m, d, now) })
	return d, nil
}

// scheduleCardDispute opens the dispute of a §8 test card an hour after the
// payment succeeded; if the payment is no longer disputable then (refunded
// in full, disputed by hand), none opens.
func (s *Sandbox) scheduleCardDispute(m *merchant, p *payment, number string, now time.Time) {
	reason, ok := disputeCards[number]
	if !ok {
		return
	}
	s.later(m, now.Add(testDisputeDelay), func(m *merchant, now time.Time) { _, _ = s.openDispute(m, p, reason, now) })
}

// settleDeadline loses an unanswered dispute once evidence_due_by has
// passed. Handlers call it too, so a request that reaches the deadline
// before the scheduled job sees the dispute lost. The caller holds s.mu.
func (s *Sandbox) settleDeadline(m *merchant, d *dispute, now time.Time) {
	if d.Status == "needs_response" && !now.Before(d.dueBy) {
		s.closeDispute(m, d, "lost", now)
	}
}

// closeDispute ends a dispute; a won one returns its amount (§9).
func (s *Sandbox) closeDispute(m *merchant, d *dispute, outcome string, now time.Time) {
	d.Status = outcome
	d.ClosedAt = timestampPtr(now)
	if outcome == "won" {
		// A lost dispute keeps amount and fee withdrawn; a won one returns
		// the amount only (docs/tokenim-api.md §8, §9).
		s.addBalanceTransaction(m, txnDisputeReversal, d.ID, d.OrderID, d.Amount, 0, d.Currency, now)
	}
	s.emit(m, "dispute.closed", d)
}

// review decides submitted evidence a day after submission.
func (s *Sandbox) review(m *merchant, d *dispute, now time.Time) {
	if d.Status != "under_review" {
		return
	}
	outcome := "won"
	if t := d.Evidence.UncategorizedText; t != nil && strings.Contains(*t, losingEvidence) {
		outcome = "lost"
	}
	s.closeDispute(m, d, outcome, now)
}

// lookupDispute finds the caller's dispute, settling a passed deadline.
// The caller holds s.mu.
func (s *Sandbox) lookupDispute(m *merchant, id string) *dispute {
	d := m.disputes[id]
	if d != nil {
		s.settleDeadline(m, d, s.clock.Now())
	}
	return d
}

func getDispute(c *call) response {
	return getOne(c, "dispute", func(id string) *dispute { return c.s.lookupDispute(c.m, id) })
}

func listDisputes(c *call) response {
	q := c.r.URL.Query()
	status := q.Get("status")
	if q.Has("status") && !disputeStatuses[status] {
		return errInvalid("status", "status must be one of needs_response, under_review, won, lost.").response(c.reqID)
	}
	pid := q.Get("payment_id")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, d := range c.m.dpList {
		s.settleDeadline(c.m, d, now)
	}
	return listPage(c, c.m.dpList, "dp_", func(d *dispute) string { return d.ID }, func(d *dispute) bool {
		return (status == "" || d.Status == status) && (!q.Has("payment_id") || d.PaymentID == pid)
	})
}

// submitEvidence stages the given evidence fields and, with submit, sends
// them for review. Validation comes first, so a too long field changes nothing.
func submitEvidence(c *call) response {
	o, e := decodeStrict(c.body, evidenceSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	ev := o.obj("evidence")
	for _, name := range evidenceFields {
		if ev.has(name) && utf8.RuneCountInString(ev.str(name)) > maxEvidenceChars {
			return errInvalid("evidence."+name, "evidence."+name+" must be at most "+
				strconv.Itoa(maxEvidenceChars)+" characters.").response(c.reqID)
		}
	}
	return answer(c, func(s *Sandbox, m *merchant, d *dispute, now time.Time) response {
		for _, name := range evidenceFields {
			if ev.has(name) {
				*d.Evidence.field(name) = stringPtr(ev.str(name))
			}
		}
		if o.boolean("submit") {
			d.Status = "under_review"
			d.SubmittedAt = timestampPtr(now)
			s.later(m, now.Add(reviewTime), func(m *merchant, now time.Time) { s.review(m, d, now) })
		}
		return response{status: 200, body: s.emit(m, "dispute.updated", d), contentType: "application/json"}
	})
}

func acceptDispute(c *call) response {
	if _, e := decodeStrict(c.body, nil); e != nil {
		return e.response(c.reqID)
	}
	return answer(c, func(s *Sandbox, m *merchant, d *dispute, now time.Time) response {
		s.closeDispute(m, d, "lost", now)
		return jsonResponse(d)
	})
}

// answer runs act on the path's dispute under the lock, if it still needs a
// response: the one check that makes evidence and accept happen at most once.
func answer(c *call, act func(s *Sandbox, m *merchant, d *dispute, now time.Time) response) response {
	s, m := c.s, c.m
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.lookupDispute(m, c.args[0])
	if d == nil {
		return errMissing("dispute", c.args[0], "").response(c.reqID)
	}
	if d.Status != "needs_response" {
		return errDisputeNotOpen(d).response(c.reqID)
	}
	return act(s, m, d, s.clock.Now())
}

// controlOpenDispute opens a dispute on any merchant's succeeded card
// payment: POST /_sandbox/disputes {"payment_id","reason"} (reason defaults
// to fraudulent; docs/contract-decisions.md).
func controlOpenDispute(c *call) response {
	o, e := decodeStrict(c.body, openDisputeSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	reason := "fraudulent"
	if o.has("reason") {
		reason = o.str("reason")
		if !disputeReasons[reason] {
			return errInvalid("reason", "reason must be fraudulent, product_not_received, duplicate, unrecognized or other.").response(c.reqID)
		}
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	pid := o.str("payment_id")
	for _, m := range s.merchants {
		if p := m.payments[pid]; p != nil {
			d, e := s.openDispute(m, p, reason, s.clock.Now())
			if e != nil {
				return e.response(c.reqID)
			}
			return jsonResponse(d)
		}
	}
	return errMissing("payment", pid, "payment_id").response(c.reqID)
}
