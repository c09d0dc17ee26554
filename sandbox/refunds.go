package sandbox

import (
	"encoding/json"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

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
			"At most "+strconv.FormatInt(remaining, 10)+" remains to refund on this payment.").withPayment(p.ID).response(c.reqID)
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
	id := rf.ID
	s.sched.at(now.Add(5*time.Minute), func() { s.completeRefund(m, id) })
	return jsonResponse(rf)
}

func (s *Sandbox) completeRefund(m *merchant, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.merchants[m.id] != m {
		return
	}
	rf := m.refunds[id]
	if rf == nil || rf.Status != "pending" {
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
	now := s.clock.Now()
	rf.Status = "succeeded"
	rf.SucceededAt = timestampPtr(now)
	p.AmountRefunded += rf.Amount
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

var eventTypes = map[string]bool{
	"order.paid": true, "order.canceled": true, "order.expired": true, "order.refunded": true,
	"payment.succeeded": true, "payment.failed": true, "payment.requires_action": true, "payment.canceled": true,
	"refund.succeeded": true, "refund.failed": true,
}

// emit records an event with a snapshot of obj and starts its webhook
// deliveries; it returns the snapshot. The caller holds s.mu.
func (s *Sandbox) emit(m *merchant, typ string, obj any) []byte {
	snap, _ := json.Marshal(obj)
	now := s.clock.Now()
	ev := &event{id: s.newID("evt_"), typ: typ}
	ev.raw, _ = json.Marshal(eventBody{
		ID: ev.id, Object: "event", Type: typ, CreatedAt: timestamp(now), APIVersion: APIVersion,
		Data: eventData{Object: snap},
	})
	m.pos[ev.id] = len(m.events)
	m.events = append(m.events, ev)
	m.eventByID[ev.id] = ev
	for _, ep := range m.epList {
		if !ep.deleted && ep.Status == "enabled" && ep.subscribed(typ) {
			s.delivery.start(m, ep, ev, 1, now)
		}
	}
	return snap
}

func getEvent(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := c.m.eventByID[c.args[0]]
	if ev == nil {
		return errMissing("event", c.args[0], "").response(c.reqID)
	}
	return response{status: 200, body: append([]byte(nil), ev.raw...), contentType: "application/json"}
}

func listEvents(c *call) response {
	q := c.r.URL.Query()
	typ := q.Get("type")
	if q.Has("type") && !eventTypes[typ] {
		return errInvalid("type", "type must be a known event type.").response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.events, "evt_", func(e *event) string { return e.id }, func(e *event) bool {
		return typ == "" || e.typ == typ
	})
}

// MarshalJSON writes the stored event bytes, so lists show events exactly
// as they were recorded.
func (e *event) MarshalJSON() ([]byte, error) { return e.raw, nil }

var endpointSchema = []field{
	{name: "url", kind: kString, required: true},
	{name: "events", kind: kStringList, required: true},
	{name: "description", kind: kString},
}

func validEndpointURL(raw string) bool {
	if raw == "" || len(raw) > 2048 {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func createEndpoint(c *call) response {
	o, e := decodeStrict(c.body, endpointSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	if !validEndpointURL(o.str("url")) {
		return errInvalid("url", "url must be an absolute http or https URL of at most 2048 characters.").response(c.reqID)
	}
	evs := o.strList("events")
	if len(evs) == 0 {
		return errInvalid("events", "events must list at least one event type, or be [\"*\"].").response(c.reqID)
	}
	for i, t := range evs {
		if !eventTypes[t] && !(t == "*" && len(evs) == 1) {
			return errInvalid("events."+strconv.Itoa(i), "events must be known event types, or exactly [\"*\"].").response(c.reqID)
		}
	}
	var desc *string
	if o.has("description") {
		d := o.str("description")
		if utf8.RuneCountInString(d) > 1000 {
			return errInvalid("description", "description may be at most 1000 characters.").response(c.reqID)
		}
		desc = &d
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.addEndpointLocked(c.m, o.str("url"), evs, desc, newSecret())
	return jsonResponse(endpointWithSecret{endpoint: ep, Secret: ep.secrets[0].secret})
}

func (s *Sandbox) addEndpointLocked(m *merchant, u string, events []string, desc *string, secret string) *endpoint {
	ep := &endpoint{
		ID: s.newID("we_"), Object: "webhook_endpoint", URL: u, Events: events, Description: desc,
		Status: "enabled", CreatedAt: timestamp(s.clock.Now()), secrets: []endpointSecret{{secret: secret}},
	}
	m.endpoints[ep.ID] = ep
	m.pos[ep.ID] = len(m.epList)
	m.epList = append(m.epList, ep)
	return ep
}

func getEndpoint(c *call) response {
	return getOne(c, "webhook endpoint", func(id string) *endpoint { return c.m.endpoints[id] })
}

func listEndpoints(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.epList, "we_", func(e *endpoint) string { return e.ID }, func(e *endpoint) bool { return !e.deleted })
}

type deletedBody struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

func deleteEndpoint(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := c.m.endpoints[c.args[0]]
	if ep == nil {
		return errMissing("webhook endpoint", c.args[0], "").response(c.reqID)
	}
	ep.deleted = true
	delete(c.m.endpoints, ep.ID)
	return jsonResponse(deletedBody{ID: ep.ID, Object: "webhook_endpoint", Deleted: true})
}

var rotateSchema = []field{{name: "expire_old_after_seconds", kind: kInt}}

func rotateEndpointSecret(c *call) response {
	o, e := decodeStrict(c.body, rotateSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	after := int64(86400)
	if o.has("expire_old_after_seconds") {
		after = o.int("expire_old_after_seconds")
		if after < 0 || after > 604800 {
			return errInvalid("expire_old_after_seconds", "expire_old_after_seconds must be from 0 to 604800.").response(c.reqID)
		}
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := c.m.endpoints[c.args[0]]
	if ep == nil {
		return errMissing("webhook endpoint", c.args[0], "").response(c.reqID)
	}
	now := s.clock.Now()
	expire := now.Add(time.Duration(after) * time.Second)
	for i := range ep.secrets {
		if ep.secrets[i].expiresAt.IsZero() || ep.secrets[i].expiresAt.After(expire) {
			ep.secrets[i].expiresAt = expire
		}
	}
	// Keep only secrets that can still sign, newest first.
	kept := []endpointSecret{{secret: newSecret()}}
	for _, sec := range ep.secrets {
		if now.Before(sec.expiresAt) {
			kept = append(kept, sec)
		}
	}
	ep.secrets = kept
	return jsonResponse(endpointWithSecret{endpoint: ep, Secret: kept[0].secret})
}
