package sandbox

// Events (docs/tokenim-api.md §5, §10): emit records one and starts its
// webhook deliveries (webhook_deliveries.go, delivery.go); GET /v1/events
// lists and fetches them, kept 30 days on the sandbox clock.

import (
	"encoding/json"
	"strings"
	"time"
)

type event struct {
	id         string
	typ        string
	raw        json.RawMessage
	createdAt  time.Time
	deliveries []*webhookDelivery // oldest first, to every endpoint
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
	s.pruneEventsLocked(m, now)
	ev := &event{id: s.newID("evt_"), typ: typ, createdAt: now.Truncate(time.Second)}
	ev.raw, _ = json.Marshal(eventBody{
		ID: ev.id, Object: "event", Type: typ, CreatedAt: timestamp(now), APIVersion: APIVersion,
		Data: eventData{Object: snap},
	})
	m.pos[ev.id] = len(m.events)
	m.events = append(m.events, ev)
	m.eventByID[ev.id] = ev
	for _, ep := range m.epList {
		if !ep.deleted && ep.Status == "enabled" && ep.subscribed(typ) {
			s.delivery.start(m, ep, s.newDeliveryLocked(m, ep, ev, now, false), now)
		}
	}
	return snap
}

func getEvent(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneEventsLocked(c.m, s.clock.Now())
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
	gte, hasGTE, e := timeFilter("created_gte", q.Get("created_gte"), q.Has("created_gte"))
	if e != nil {
		return e.response(c.reqID)
	}
	lt, hasLT, e := timeFilter("created_lt", q.Get("created_lt"), q.Has("created_lt"))
	if e != nil {
		return e.response(c.reqID)
	}
	pending := q.Get("pending_for")
	if q.Has("pending_for") && !strings.HasPrefix(pending, "we_") {
		return errInvalid("pending_for", "pending_for must be the id of a webhook endpoint (we_…).").response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneEventsLocked(c.m, s.clock.Now())
	if q.Has("pending_for") && c.m.endpoints[pending] == nil {
		return errMissing("webhook endpoint", pending, "pending_for").response(c.reqID)
	}
	return listPage(c, c.m.events, "evt_", func(e *event) string { return e.id }, func(e *event) bool {
		return (typ == "" || e.typ == typ) &&
			(!hasGTE || !e.createdAt.Before(gte)) &&
			(!hasLT || e.createdAt.Before(lt)) &&
			(pending == "" || e.pendingFor(pending))
	})
}

// MarshalJSON writes the stored event bytes, so lists show events exactly
// as they were recorded.
func (e *event) MarshalJSON() ([]byte, error) { return e.raw, nil }
