package sandbox

import (
	"fmt"
	"strconv"
	"time"
)

type cardOut struct {
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int64  `json:"exp_month"`
	ExpYear  int64  `json:"exp_year"`
}

type walletOut struct {
	Provider string `json:"provider"`
}

type methodOut struct {
	Type   string     `json:"type"`
	Card   *cardOut   `json:"card,omitempty"`
	Wallet *walletOut `json:"wallet,omitempty"`
}

type nextAction struct {
	Type string `json:"type"`
}

type payment struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	OrderID        string            `json:"order_id"`
	Amount         int64             `json:"amount"`
	Currency       string            `json:"currency"`
	Method         methodOut         `json:"method"`
	Status         string            `json:"status"`
	FailureCode    *string           `json:"failure_code"`
	FailureMessage *string           `json:"failure_message"`
	NextAction     *nextAction       `json:"next_action"`
	Fee            int64             `json:"fee"`
	Net            int64             `json:"net"`
	AmountRefunded int64             `json:"amount_refunded"`
	Disputed       bool              `json:"disputed"`
	ReceiptNumber  *string           `json:"receipt_number"`
	CreatedAt      timestamp         `json:"created_at"`
	SucceededAt    *timestamp        `json:"succeeded_at"`
	Metadata       map[string]string `json:"metadata"`
	versioned

	order       *order
	succeededAt time.Time
	otpFailures int
	committed   int64    // sum of refunds not failed
	dispute     *dispute // its dispute, once one opened (docs/tokenim-api.md §8)
	requestID   string   // the Request-Id (request log id) of the call that made it
}

var paymentSchema = []field{
	{name: "order_id", kind: kString, required: true},
	{name: "method", kind: kObject, required: true, example: methodExample, sub: []field{
		{name: "type", kind: kString, required: true},
		{name: "card", kind: kObject, sub: []field{
			{name: "number", kind: kString, required: true},
			{name: "exp_month", kind: kInt, required: true},
			{name: "exp_year", kind: kInt, required: true},
			{name: "cvc", kind: kString, required: true},
		}},
		{name: "wallet", kind: kObject, sub: []field{
			{name: "provider", kind: kString, required: true},
		}},
	}},
	{name: "metadata", kind: kStringMap},
}

// methodExample shows a caller who sent `"method":"card"` the object that
// goes there (docs/tokenim-api.md §5).
const methodExample = `{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}, {"type":"wallet","wallet":{"provider":"alipay"}} or {"type":"bank_transfer"}`

var providers = map[string]bool{"alipay": true, "wechat_pay": true, "paypal": true, "tokenim_balance": true}

// cardOutcomes are the test numbers of §6; any other Luhn-valid number succeeds.
var cardOutcomes = map[string]string{
	"4000000000000002": "generic_decline",
	"4000000000009995": "insufficient_funds",
	"4000000000000069": "expired_card",
	"4000000000000127": "incorrect_cvc",
	"4000000000009987": "card_frozen",
	"4000000000000119": "processing_error",
	"4000002760003184": "otp",
}

var declineMessages = map[string]string{
	"generic_decline":       "The card was declined.",
	"insufficient_funds":    "The card has insufficient funds to complete the purchase.",
	"expired_card":          "The card has expired.",
	"incorrect_cvc":         "The card's security code is incorrect.",
	"card_frozen":           "The card is frozen by its issuer.",
	"processing_error":      "An error occurred while processing the card.",
	"transfer_returned":     "The bank transfer was returned.",
	"authentication_failed": "The customer failed authentication three times.",
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func luhn(num string) bool {
	sum := 0
	double := false
	for i := len(num) - 1; i >= 0; i-- {
		d := int(num[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

func brand(num string) string {
	p2, _ := strconv.Atoi(num[:2])
	p4, _ := strconv.Atoi(num[:4])
	switch {
	case num[0] == '4':
		return "visa"
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return "mastercard"
	case p2 == 62:
		return "unionpay"
	case p2 == 34, p2 == 37:
		return "amex"
	}
	return "unknown"
}

// cardIn is a validated card from a request; number and cvc never leave it.
type cardIn struct {
	number   string
	expMonth int64
	expYear  int64
}

// validateMethod checks method beyond its JSON shape.
func validateMethod(meth object) (methodOut, *cardIn, *apiError) {
	switch t := meth.str("type"); t {
	case "card":
		if !meth.has("wallet") {
			break
		}
		return methodOut{}, nil, errInvalid("method.wallet", "method.wallet is not allowed for a card payment.")
	case "wallet":
		if meth.has("card") {
			return methodOut{}, nil, errInvalid("method.card", "method.card is not allowed for a wallet payment.")
		}
	case "bank_transfer":
		if meth.has("card") {
			return methodOut{}, nil, errInvalid("method.card", "method.card is not allowed for a bank transfer.")
		}
		if meth.has("wallet") {
			return methodOut{}, nil, errInvalid("method.wallet", "method.wallet is not allowed for a bank transfer.")
		}
		return methodOut{Type: "bank_transfer"}, nil, nil
	default:
		return methodOut{}, nil, errInvalid("method.type", "method.type must be card, wallet or bank_transfer.")
	}
	if meth.str("type") == "wallet" {
		if !meth.has("wallet") {
			return methodOut{}, nil, errInvalid("method.wallet", "method.wallet is required for a wallet payment.")
		}
		p := meth.obj("wallet").str("provider")
		if !providers[p] {
			return methodOut{}, nil, errInvalid("method.wallet.provider", "method.wallet.provider must be alipay, wechat_pay, paypal or tokenim_balance.")
		}
		return methodOut{Type: "wallet", Wallet: &walletOut{Provider: p}}, nil, nil
	}
	if !meth.has("card") {
		return methodOut{}, nil, errInvalid("method.card", "method.card is required for a card payment.")
	}
	cd := meth.obj("card")
	num := cd.str("number")
	if len(num) < 12 || len(num) > 19 || !digits(num) || !luhn(num) {
		return methodOut{}, nil, newError(400, "invalid_card_number", "Invalid card number",
			"The card number must be 12 to 19 digits and pass the Luhn check.").withParam("method.card.number")
	}
	mo, yr := cd.int("exp_month"), cd.int("exp_year")
	if mo < 1 || mo > 12 {
		return methodOut{}, nil, errInvalid("method.card.exp_month", "method.card.exp_month must be from 1 to 12.")
	}
	if yr < 1000 || yr > 9999 {
		return methodOut{}, nil, errInvalid("method.card.exp_year", "method.card.exp_year must be a four-digit year.")
	}
	cvc := cd.str("cvc")
	if len(cvc) < 3 || len(cvc) > 4 || !digits(cvc) {
		return methodOut{}, nil, errInvalid("method.card.cvc", "method.card.cvc must be 3 or 4 digits.")
	}
	out := methodOut{Type: "card", Card: &cardOut{Brand: brand(num), Last4: num[len(num)-4:], ExpMonth: mo, ExpYear: yr}}
	return out, &cardIn{number: num, expMonth: mo, expYear: yr}, nil
}

func createPayment(c *call) response {
	o, e := decodeStrict(c.body, paymentSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	meth, card, e := validateMethod(o.obj("method"))
	if e != nil {
		return e.response(c.reqID)
	}
	if e := checkMetadata(o); e != nil {
		return e.response(c.reqID)
	}
	s, m := c.s, c.m
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	ord := s.lookupOrder(m, o.str("order_id"))
	if ord == nil {
		return errMissing("order", o.str("order_id"), "order_id").response(c.reqID)
	}
	switch {
	case ord.Status == "paid" || ord.Status == "partially_refunded" || ord.Status == "refunded":
		return newError(409, "order_already_paid", "Order already paid",
			"The order has already been paid.").withPayment(*ord.PaymentID).withOrder(ord.ID).response(c.reqID)
	case ord.active != nil:
		return newError(409, "payment_in_progress", "Payment in progress",
			"Another payment of this order is in progress.").withPayment(ord.active.ID).withOrder(ord.ID).response(c.reqID)
	case ord.Status == "expired":
		return newError(409, "order_expired", "Order expired", "The order has expired.").withOrder(ord.ID).response(c.reqID)
	case ord.Status != "open":
		return newError(409, "order_not_payable", "Order not payable",
			"The order is "+ord.Status+" and cannot be paid.").withOrder(ord.ID).response(c.reqID)
	}
	p := &payment{
		ID: s.newID("pay_"), Object: "payment", OrderID: ord.ID, Amount: ord.Amount, Currency: ord.Currency,
		Method: meth, CreatedAt: timestamp(now), Metadata: metadataOf(o), order: ord, requestID: c.reqID,
	}
	m.payments[p.ID] = p
	m.pos[p.ID] = len(m.payList)
	m.payList = append(m.payList, p)

	decline := ""
	switch meth.Type {
	case "card":
		outcome := cardOutcomes[card.number]
		endOfValidity := time.Date(int(card.expYear), time.Month(card.expMonth)+1, 1, 0, 0, 0, 0, time.UTC)
		switch {
		case !now.Before(endOfValidity):
			decline = "expired_card"
		case outcome == "otp":
			p.Status = "requires_action"
			p.NextAction = &nextAction{Type: "otp"}
			ord.active = p
			s.emit(m, "payment.requires_action", p)
			return jsonResponse(p)
		default:
			decline = outcome
		}
	case "wallet":
		if meth.Wallet.Provider == "tokenim_balance" && ord.Amount%100 == 51 {
			decline = "insufficient_funds"
		}
	case "bank_transfer":
		p.Status = "processing"
		ord.active = p
		s.later(m, now.Add(time.Hour), func(m *merchant, _ time.Time) { s.settleTransfer(m, p) })
		return jsonResponse(p)
	}
	if decline != "" {
		s.failPayment(m, p, decline)
		er := newError(402, "card_declined", "The card was declined", declineMessages[decline]).withPayment(p.ID).withOrder(ord.ID)
		er.declineCode = decline
		return er.response(c.reqID)
	}
	resp := s.succeedPayment(m, p)
	if card != nil {
		s.scheduleCardDispute(m, p, card.number, now)
	}
	return resp
}

// feeFor is the platform fee, rounded half up and capped at the amount.
func feeFor(meth string, amount int64) int64 {
	var fee int64
	switch meth {
	case "card":
		fee = (amount*29+500)/1000 + 30
	case "wallet":
		fee = (amount + 50) / 100
	case "bank_transfer":
		fee = (amount*5 + 500) / 1000
	}
	return min(fee, amount)
}

// succeedPayment settles p and pays its order; it returns the payment's
// JSON, which the caller can answer with. The caller holds s.mu.
func (s *Sandbox) succeedPayment(m *merchant, p *payment) response {
	now := s.clock.Now()
	p.Status = "succeeded"
	p.NextAction = nil
	p.succeededAt = now
	p.SucceededAt = timestampPtr(now)
	p.Fee = feeFor(p.Method.Type, p.Amount)
	p.Net = p.Amount - p.Fee
	s.addBalanceTransaction(m, txnPayment, p.ID, p.OrderID, p.Amount, p.Fee, p.Currency, now)
	m.receiptSeq++
	p.ReceiptNumber = stringPtr(fmt.Sprintf("RCPT-%s-%06d", now.UTC().Format("20060102"), m.receiptSeq))
	o := p.order
	if o.active == p {
		o.active = nil
	}
	o.Status = "paid"
	o.AmountPaid = o.Amount
	o.PaymentID = stringPtr(p.ID)
	o.PaidAt = timestampPtr(now)
	snap := s.emit(m, "payment.succeeded", p)
	s.emit(m, "order.paid", o)
	return response{status: 200, body: snap, contentType: "application/json"}
}

// failPayment records a failed payment; it moves no money. The caller holds s.mu.
func (s *Sandbox) failPayment(m *merchant, p *payment, code string) {
	p.Status = "failed"
	p.NextAction = nil
	p.FailureCode = stringPtr(code)
	p.FailureMessage = stringPtr(declineMessages[code])
	s.emit(m, "payment.failed", p)
	s.release(m, p)
}

// release frees the order of a payment that ended without success, expiring
// it if it is past due.
func (s *Sandbox) release(m *merchant, p *payment) {
	if p.order.active == p {
		p.order.active = nil
	}
	s.expireIfDue(m, p.order, s.clock.Now())
}

// settleTransfer ends a bank transfer an hour after it began. The caller
// holds s.mu (see later).
func (s *Sandbox) settleTransfer(m *merchant, p *payment) {
	if p.Status != "processing" {
		return
	}
	if p.Amount%100 == 13 {
		s.failPayment(m, p, "transfer_returned")
		return
	}
	s.succeedPayment(m, p)
}

func getPayment(c *call) response {
	return getOne(c, "payment", func(id string) *payment { return c.m.payments[id] })
}

var paymentStatuses = map[string]bool{"processing": true, "requires_action": true, "succeeded": true, "failed": true, "canceled": true}

func listPayments(c *call) response {
	q := c.r.URL.Query()
	status := q.Get("status")
	if q.Has("status") && !paymentStatuses[status] {
		return errInvalid("status", "status must be one of processing, requires_action, succeeded, failed, canceled.").response(c.reqID)
	}
	oid := q.Get("order_id")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.payList, "pay_", func(p *payment) string { return p.ID }, func(p *payment) bool {
		return (status == "" || p.Status == status) && (!q.Has("order_id") || p.OrderID == oid)
	})
}

var confirmSchema = []field{{name: "otp", kind: kString, required: true}}

func unexpectedState(p *payment, want string) *apiError {
	return newError(409, "payment_unexpected_state", "Payment in an unexpected state",
		"The payment is "+p.Status+"; this needs "+want+".").withPayment(p.ID)
}

func confirmPayment(c *call) response {
	o, e := decodeStrict(c.body, confirmSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	s, m := c.s, c.m
	s.mu.Lock()
	defer s.mu.Unlock()
	p := m.payments[c.args[0]]
	if p == nil {
		return errMissing("payment", c.args[0], "").response(c.reqID)
	}
	if p.Status != "requires_action" {
		return unexpectedState(p, "requires_action").response(c.reqID)
	}
	if o.str("otp") == "000000" {
		return s.succeedPayment(m, p)
	}
	p.otpFailures++
	detail := "The one-time code is wrong; " + strconv.Itoa(3-p.otpFailures) + " tries left."
	if p.otpFailures >= 3 {
		s.failPayment(m, p, "authentication_failed")
		detail = "The one-time code is wrong; the payment has failed."
	}
	return newError(402, "authentication_failed", "Authentication failed", detail).withPayment(p.ID).withOrder(p.OrderID).response(c.reqID)
}

func cancelPayment(c *call) response {
	if _, e := decodeStrict(c.body, nil); e != nil {
		return e.response(c.reqID)
	}
	s, m := c.s, c.m
	s.mu.Lock()
	defer s.mu.Unlock()
	p := m.payments[c.args[0]]
	if p == nil {
		return errMissing("payment", c.args[0], "").response(c.reqID)
	}
	if p.Status != "processing" && p.Status != "requires_action" {
		return unexpectedState(p, "processing or requires_action").response(c.reqID)
	}
	p.Status = "canceled"
	p.NextAction = nil
	s.emit(m, "payment.canceled", p)
	s.release(m, p)
	return jsonResponse(p)
}

type receiptBody struct {
	Object          string    `json:"object"`
	ReceiptNumber   string    `json:"receipt_number"`
	PaymentID       string    `json:"payment_id"`
	OrderID         string    `json:"order_id"`
	MerchantOrderID string    `json:"merchant_order_id"`
	Amount          int64     `json:"amount"`
	Currency        string    `json:"currency"`
	Fee             int64     `json:"fee"`
	MethodSummary   string    `json:"method_summary"`
	PaidAt          timestamp `json:"paid_at"`
}

func getReceipt(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	p := c.m.payments[c.args[0]]
	if p == nil {
		return errMissing("payment", c.args[0], "").response(c.reqID)
	}
	if p.Status != "succeeded" {
		return newError(409, "receipt_unavailable", "Receipt unavailable",
			"A receipt exists only for a succeeded payment; this one is "+p.Status+".").withPayment(p.ID).response(c.reqID)
	}
	summary := p.Method.Type
	switch p.Method.Type {
	case "card":
		summary = p.Method.Card.Brand + " •••• " + p.Method.Card.Last4
	case "wallet":
		summary = p.Method.Wallet.Provider
	}
	return jsonResponse(receiptBody{
		Object: "receipt", ReceiptNumber: *p.ReceiptNumber, PaymentID: p.ID, OrderID: p.OrderID,
		MerchantOrderID: p.order.MerchantOrderID, Amount: p.Amount, Currency: p.Currency, Fee: p.Fee,
		MethodSummary: summary, PaidAt: timestamp(p.succeededAt),
	})
}
