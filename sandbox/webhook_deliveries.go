package sandbox

// Webhook deliveries (docs/tokenim-api.md §10): one event's delivery to one
// endpoint, made when the event is created (emit) or by a resend, driven by
// the retry schedule of §6 (delivery.go runs the attempts). Listed and
// fetched per endpoint; POST /v1/events/{id}/resend makes a new one.

import (
	"strings"
	"time"
)

// Delivery states of docs/tokenim-api.md §10.
const (
	deliveryPending   = "pending"
	deliverySucceeded = "succeeded"
	deliveryFailed    = "failed"
)

// deliveryStatuses are the states a delivery can be in.
var deliveryStatuses = map[string]bool{"pending": true, "succeeded": true, "failed": true}

type webhookDelivery struct {
	ID                 string     `json:"id"`
	Object             string     `json:"object"`
	EventID            string     `json:"event_id"`
	EventType          string     `json:"event_type"`
	EndpointID         string     `json:"webhook_endpoint_id"`
	Status             string     `json:"status"`
	AttemptCount       int        `json:"attempt_count"`
	LastAttemptAt      *timestamp `json:"last_attempt_at"`
	LastResponseStatus *int       `json:"last_response_status"`
	LastError          *string    `json:"last_error"`
	NextAttemptAt      *timestamp `json:"next_attempt_at"`
	CreatedAt          timestamp  `json:"created_at"`

	ev     *event
	resend bool // made by a resend, not by the event's creation
}

// eventRetention is how long events (and their deliveries) are kept, on the
// sandbox clock; an older event cannot be resent (docs/tokenim-api.md §10).
const eventRetention = 30 * 24 * time.Hour

// tombstoneRetention is how long after its creation a pruned event's id is
// remembered (a resend then answers event_too_old; later, resource_missing).
const tombstoneRetention = 90 * 24 * time.Hour

// tombstone is a pruned event's id and created_at.
type tombstone struct {
	id        string
	createdAt time.Time
}

// newDeliveryLocked records a pending delivery of ev to ep made at now. The
// caller holds s.mu and starts its first attempt.
func (s *Sandbox) newDeliveryLocked(m *merchant, ep *endpoint, ev *event, now time.Time, resend bool) *webhookDelivery {
	dl := &webhookDelivery{
		ID: s.newID("whd_"), Object: "webhook_delivery", EventID: ev.id, EventType: ev.typ, EndpointID: ep.ID,
		Status: deliveryPending, CreatedAt: timestamp(now), NextAttemptAt: timestampPtr(now), ev: ev, resend: resend,
	}
	m.deliveries[dl.ID] = dl
	m.pos[dl.ID] = len(m.dlvList)
	m.dlvList = append(m.dlvList, dl)
	ev.deliveries = append(ev.deliveries, dl)
	return dl
}

// record applies a finished attempt to the delivery. failure is the
// attempt's error name when no answer came; retry says whether another
// attempt follows. The caller holds s.mu.
func (dl *webhookDelivery) record(a Delivery, failure string, retry bool) {
	dl.AttemptCount = a.Attempt
	dl.LastAttemptAt = timestampPtr(a.At)
	dl.LastResponseStatus, dl.LastError = nil, nil
	if a.StatusCode != 0 {
		code := a.StatusCode
		dl.LastResponseStatus = &code
	} else {
		dl.LastError = stringPtr(failure)
	}
	dl.NextAttemptAt = nil
	switch {
	case a.Succeeded:
		dl.Status = deliverySucceeded
	case !retry:
		dl.Status = deliveryFailed
	}
}

// giveUp ends a pending delivery whose endpoint can no longer take it.
func (dl *webhookDelivery) giveUp(why string) {
	dl.Status, dl.NextAttemptAt, dl.LastError = deliveryFailed, nil, stringPtr(why)
}

// pendingFor reports whether ev has a delivery to the endpoint epID and none
// of them has succeeded (GET /v1/events?pending_for=, docs/tokenim-api.md
// §10).
func (ev *event) pendingFor(epID string) bool {
	found := false
	for _, dl := range ev.deliveries {
		if dl.EndpointID != epID {
			continue
		}
		if dl.Status == deliverySucceeded {
			return false
		}
		found = true
	}
	return found
}

// resendLocked makes a new delivery of the event eventID to the endpoint
// endpointID and starts its first attempt: POST /v1/events/{id}/resend and
// the dashboard's button. The caller holds s.mu.
func (s *Sandbox) resendLocked(m *merchant, eventID, endpointID string) (*webhookDelivery, *apiError) {
	now := s.clock.Now()
	s.pruneEventsLocked(m, now)
	ev := m.eventByID[eventID]
	if ev == nil {
		if m.prunedEvents[eventID] {
			return nil, newError(409, "event_too_old", "Event too old",
				"The event is older than 30 days and can no longer be resent.")
		}
		return nil, errMissing("event", eventID, "")
	}
	ep := m.endpoints[endpointID]
	if ep == nil {
		return nil, errMissing("webhook endpoint", endpointID, "webhook_endpoint")
	}
	if ep.Status != "enabled" || !ep.subscribed(ev.typ) {
		return nil, newError(409, "endpoint_not_subscribed", "Endpoint not subscribed",
			"The webhook endpoint is disabled or does not subscribe to "+ev.typ+" events.").withParam("webhook_endpoint")
	}
	dl := s.newDeliveryLocked(m, ep, ev, now, true)
	s.delivery.start(m, ep, dl, now)
	return dl, nil
}

var resendSchema = []field{{name: "webhook_endpoint", kind: kString, required: true}}

func resendEvent(c *call) response {
	o, e := decodeStrict(c.body, resendSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	epID := o.str("webhook_endpoint")
	if !strings.HasPrefix(epID, "we_") {
		return errInvalid("webhook_endpoint", "webhook_endpoint must be the id of a webhook endpoint (we_…).").response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	dl, e := s.resendLocked(c.m, c.args[0], epID)
	if e != nil {
		return e.response(c.reqID)
	}
	r := jsonResponse(dl)
	r.status = 202
	return r
}

// pruneEventsLocked drops m's events older than eventRetention (in whole
// seconds, as created_at shows them: one exactly 30 days old stays) with their
// deliveries, remembering their ids so that a resend can say why it fails.
// Events are oldest first and the sandbox clock never goes back, so the
// old ones are a prefix. The caller holds s.mu.
func (s *Sandbox) pruneEventsLocked(m *merchant, now time.Time) {
	now = now.Truncate(time.Second) // like created_at on the wire
	old := 0
	for old < len(m.prunedOrder) && now.Sub(m.prunedOrder[old].createdAt) > tombstoneRetention {
		delete(m.prunedEvents, m.prunedOrder[old].id)
		old++
	}
	m.prunedOrder = m.prunedOrder[old:]
	cut := 0
	for cut < len(m.events) && now.Sub(m.events[cut].createdAt) > eventRetention {
		cut++
	}
	if cut == 0 {
		return
	}
	gone := map[*event]bool{}
	for _, ev := range m.events[:cut] {
		gone[ev] = true
		delete(m.eventByID, ev.id)
		delete(m.pos, ev.id)
		m.prunedEvents[ev.id] = true
		m.prunedOrder = append(m.prunedOrder, tombstone{ev.id, ev.createdAt})
	}

	m.events = append([]*event(nil), m.events[cut:]...)
	for i, ev := range m.events {
		m.pos[ev.id] = i
	}
	kept := m.dlvList[:0:0]
	for _, dl := range m.dlvList {
		if gone[dl.ev] {
			delete(m.deliveries, dl.ID)
			delete(m.pos, dl.ID)
			continue
		}
		m.pos[dl.ID] = len(kept)
		kept = append(kept, dl)
	}
	m.dlvList = kept
}

// endpointFor is the path's live endpoint, or its 404.
func endpointFor(c *call) (*endpoint, *apiError) {
	ep := c.m.endpoints[c.args[0]]
	if ep == nil {
		return nil, errMissing("webhook endpoint", c.args[0], "")
	}
	return ep, nil
}

func listDeliveries(c *call) response {
	q := c.r.URL.Query()
	status := q.Get("status")
	if q.Has("status") && !deliveryStatuses[status] {
		return errInvalid("status", "status must be one of pending, succeeded, failed.").response(c.reqID)
	}
	evID := q.Get("event_id")
	if q.Has("event_id") && !strings.HasPrefix(evID, "evt_") {
		return errInvalid("event_id", "event_id must be the id of an event (evt_…).").response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneEventsLocked(c.m, s.clock.Now())
	ep, e := endpointFor(c)
	if e != nil {
		return e.response(c.reqID)
	}
	if after := q.Get("starting_after"); after != "" {
		if dl := c.m.deliveries[after]; dl != nil && dl.EndpointID != ep.ID {
			return errInvalid("starting_after", "starting_after must be the id of an object in this list.").response(c.reqID)
		}
	}
	return listPage(c, c.m.dlvList, "whd_", func(d *webhookDelivery) string { return d.ID }, func(d *webhookDelivery) bool {
		return d.EndpointID == ep.ID && (status == "" || d.Status == status) && (!q.Has("event_id") || d.EventID == evID)
	})
}

func getDelivery(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneEventsLocked(c.m, s.clock.Now())
	ep, e := endpointFor(c)
	if e != nil {
		return e.response(c.reqID)
	}
	dl := c.m.deliveries[c.args[1]]
	if dl == nil || dl.EndpointID != ep.ID {
		return errMissing("webhook delivery", c.args[1], "").response(c.reqID)
	}
	return jsonResponse(dl)
}
