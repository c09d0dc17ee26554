package sandbox

import (
	"strconv"
	"time"
	"unicode/utf8"
)

type order struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	MerchantOrderID string            `json:"merchant_order_id"`
	Amount          int64             `json:"amount"`
	Currency        string            `json:"currency"`
	Description     *string           `json:"description"`
	Status          string            `json:"status"`
	AmountPaid      int64             `json:"amount_paid"`
	AmountRefunded  int64             `json:"amount_refunded"`
	PaymentID       *string           `json:"payment_id"`
	ExpiresAt       timestamp         `json:"expires_at"`
	CreatedAt       timestamp         `json:"created_at"`
	PaidAt          *timestamp        `json:"paid_at"`
	Metadata        map[string]string `json:"metadata"`
	versioned

	expiresAt time.Time
	active    *payment // the payment processing or requiring action, if any
}

const maxAmount = 99_999_999_999

var currencies = map[string]bool{"CNY": true, "USD": true, "EUR": true, "GBP": true, "HKD": true, "SGD": true, "JPY": true, "KWD": true}

var orderSchema = []field{
	{name: "merchant_order_id", kind: kString, required: true},
	{name: "amount", kind: kInt, required: true},
	{name: "currency", kind: kString, required: true},
	{name: "description", kind: kString},
	{name: "expires_at", kind: kString},
	{name: "metadata", kind: kStringMap},
}

func checkAmount(a int64, param string) *apiError {
	if a < 1 || a > maxAmount {
		return newError(400, "amount_invalid", "Invalid amount",
			"The amount must be an integer from 1 to 99999999999 minor units.").withParam(param)
	}
	return nil
}

func checkMetadata(o object) *apiError {
	if !o.has("metadata") {
		return nil
	}
	md := o.strMap("metadata")
	bad := func(d string) *apiError {
		return newError(400, "metadata_invalid", "Invalid metadata", d).withParam("metadata")
	}
	if len(md) > 20 {
		return bad("Metadata may have at most 20 keys.")
	}
	for k, v := range md {
		if k == "" || utf8.RuneCountInString(k) > 40 {
			return bad("Metadata keys must be 1 to 40 characters.")
		}
		if utf8.RuneCountInString(v) > 500 {
			return bad("Metadata values may be at most 500 characters.")
		}
	}
	return nil
}

func metadataOf(o object) map[string]string {
	if !o.has("metadata") {
		return map[string]string{}
	}
	return o.strMap("metadata")
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}

func createOrder(c *call) response {
	o, e := decodeStrict(c.body, orderSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	moid := o.str("merchant_order_id")
	if n := utf8.RuneCountInString(moid); n < 1 || n > 64 || !printable(moid) {
		return errInvalid("merchant_order_id", "merchant_order_id must be 1 to 64 printable characters.").response(c.reqID)
	}
	amount := o.int("amount")
	if e := checkAmount(amount, "amount"); e != nil {
		return e.response(c.reqID)
	}
	cur := o.str("currency")
	if !currencies[cur] {
		return newError(400, "currency_unsupported", "Unsupported currency",
			"The currency "+strconv.Quote(cur)+" is not supported; use an upper-case ISO 4217 code such as CNY.").withParam("currency").response(c.reqID)
	}
	var desc *string
	if o.has("description") {
		d := o.str("description")
		if utf8.RuneCountInString(d) > 1000 {
			return errInvalid("description", "description may be at most 1000 characters.").response(c.reqID)
		}
		desc = &d
	}
	if e := checkMetadata(o); e != nil {
		return e.response(c.reqID)
	}
	s := c.s
	now := s.clock.Now()
	expires := now.Add(30 * time.Minute)
	if o.has("expires_at") {
		t, err := time.Parse(time.RFC3339, o.str("expires_at"))
		if err != nil {
			return errInvalid("expires_at", "expires_at must be an RFC 3339 time.").response(c.reqID)
		}
		if t.Before(now.Add(time.Minute)) || t.After(now.Add(7*24*time.Hour)) {
			return errInvalid("expires_at", "expires_at must be between 1 minute and 7 days from now.").response(c.reqID)
		}
		expires = t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := c.m
	if ex, ok := m.byMOID[moid]; ok {
		er := newError(409, "duplicate_merchant_order_id", "Duplicate merchant order id",
			"Another order already has this merchant_order_id.")
		er.existingID = ex.ID
		return er.response(c.reqID)
	}
	ord := &order{
		ID: s.newID("ord_"), Object: "order", MerchantOrderID: moid, Amount: amount, Currency: cur,
		Description: desc, Status: "open", ExpiresAt: timestamp(expires), CreatedAt: timestamp(now),
		Metadata: metadataOf(o), expiresAt: expires,
	}
	m.orders[ord.ID] = ord
	m.byMOID[moid] = ord
	m.pos[ord.ID] = len(m.orderList)
	m.orderList = append(m.orderList, ord)
	s.later(m, expires, func(m *merchant, now time.Time) { s.expireIfDue(m, ord, now) })
	return jsonResponse(ord)
}

// expireIfDue expires an open order past expires_at with no payment in
// progress. The caller holds s.mu.
func (s *Sandbox) expireIfDue(m *merchant, o *order, now time.Time) {
	if o.Status == "open" && o.active == nil && !now.Before(o.expiresAt) {
		o.Status = "expired"
		s.emit(m, "order.expired", o)
	}
}

func (s *Sandbox) lookupOrder(m *merchant, id string) *order {
	o := m.orders[id]
	if o != nil {
		s.expireIfDue(m, o, s.clock.Now())
	}
	return o
}

func getOrder(c *call) response {
	return getOne(c, "order", func(id string) *order { return c.s.lookupOrder(c.m, id) })
}

var orderStatuses = map[string]bool{"open": true, "paid": true, "partially_refunded": true, "refunded": true, "canceled": true, "expired": true}

func listOrders(c *call) response {
	q := c.r.URL.Query()
	status := q.Get("status")
	if q.Has("status") && !orderStatuses[status] {
		return errInvalid("status", "status must be one of open, paid, partially_refunded, refunded, canceled, expired.").response(c.reqID)
	}
	moid := q.Get("merchant_order_id")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, o := range c.m.orderList {
		s.expireIfDue(c.m, o, now)
	}
	return listPage(c, c.m.orderList, "ord_", func(o *order) string { return o.ID }, func(o *order) bool {
		return (status == "" || o.Status == status) && (!q.Has("merchant_order_id") || o.MerchantOrderID == moid)
	})
}

func cancelOrder(c *call) response {
	if _, e := decodeStrict(c.body, nil); e != nil {
		return e.response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.lookupOrder(c.m, c.args[0])
	if o == nil {
		return errMissing("order", c.args[0], "").response(c.reqID)
	}
	if o.Status != "open" {
		return newError(409, "order_not_cancelable", "Order not cancelable",
			"Only an open order can be canceled; this one is "+o.Status+".").withOrder(o.ID).response(c.reqID)
	}
	if o.active != nil {
		return newError(409, "payment_in_progress", "Payment in progress",
			"The order has a payment in progress.").withPayment(o.active.ID).withOrder(o.ID).response(c.reqID)
	}
	o.Status = "canceled"
	s.emit(c.m, "order.canceled", o)
	return jsonResponse(o)
}
