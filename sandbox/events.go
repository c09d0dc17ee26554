package sandbox

// Events (docs/tokenim-api.md §5): emit records one and starts its webhook
// deliveries (delivery.go); GET /v1/events lists and fetches them.

import (
	"encoding/json"
)

type event struct {
	id  string
	typ string
	raw json.RawMessage
}

type eventBody struct {
	ID         string    `json:"id"`
	Object     string    `json:"object"`
	Type       string    `json:"type"`
	CreatedAt  timestamp `json:"created_at"`
	APIVersion string    `json:"api_version"`
	Data       eventData `json:"data"`
}

type eventData struct {
	Object json.RawMessage `json:"object"`
}

var eventTypes = map[string]bool{
	"order.paid": true, "order.canceled": true, "order.expired": true, "order.refunded": true,
	"payment.succeeded": true, "payment.failed": true, "payment.requires_action": true, "payment.canceled": true,
	"refund.succeeded": true, "refund.failed": true,
	"api_key.rolled": true, "api_key.expired": true,
	"settlement.paid": true,
	"dispute.created": true, "dispute.updated": true, "dispute.evidence_due_soon": true, "dispute.closed": true,
}

// emit records an event with a snapshot of obj and starts its webhook
// deliveries; it returns the snapshot. The caller holds s.mu.
func (s *Sandbox) emit(m *merchant, typ string, obj any) []byte {
	snap := snapshot(obj)
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
