package tokenim

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"
)

// EventType names what happened. Unknown types decode without error so that
// an SDK older than the platform keeps working.
type EventType string

// Every event type of API version 2026-11-01.
const (
	EventOrderPaid             EventType = "order.paid"
	EventOrderCanceled         EventType = "order.canceled"
	EventOrderExpired          EventType = "order.expired"
	EventOrderRefunded         EventType = "order.refunded"
	EventPaymentSucceeded      EventType = "payment.succeeded"
	EventPaymentFailed         EventType = "payment.failed"
	EventPaymentRequiresAction EventType = "payment.requires_action"
	EventPaymentCanceled       EventType = "payment.canceled"
	EventRefundSucceeded       EventType = "refund.succeeded"
	EventRefundFailed          EventType = "refund.failed"
	// EventAPIKeyRolled: a key was rolled; the event's object is the old
	// key, now expiring, with its expires_at (docs/tokenim-api.md §7).
	EventAPIKeyRolled EventType = "api_key.rolled"
	// EventAPIKeyExpired: an expiring key reached its expires_at.
	EventAPIKeyExpired EventType = "api_key.expired"
	// Dispute events (docs/tokenim-api.md §8).
	EventDisputeCreated         EventType = "dispute.created"
	EventDisputeUpdated         EventType = "dispute.updated"
	EventDisputeEvidenceDueSoon EventType = "dispute.evidence_due_soon"
	EventDisputeClosed          EventType = "dispute.closed"
)

// Event records a change to an order, payment or refund. Webhooks deliver
// events; the Events service lists them for reconciliation.
type Event struct {
	ID         string    `json:"id"`
	Object     string    `json:"object"`
	Type       EventType `json:"type"`
	CreatedAt  time.Time `json:"created_at"`
	APIVersion string    `json:"api_version"`
	Data       EventData `json:"data"`
}

// EventData holds the snapshot of the resource the event is about, as raw
// JSON; use Event.Order, Event.Payment or Event.Refund for a typed view.
type EventData struct {
	Object json.RawMessage `json:"object"`
}

// Order decodes the snapshot of an order.* event.
func (e *Event) Order() (*Order, error) {
	o := new(Order)
	return o, e.decode("order", o)
}

// Payment decodes the snapshot of a payment.* event.
func (e *Event) Payment() (*Payment, error) {
	p := new(Payment)
	return p, e.decode("payment", p)
}

// Refund decodes the snapshot of a refund.* event.
func (e *Event) Refund() (*Refund, error) {
	r := new(Refund)
	return r, e.decode("refund", r)
}

// Dispute decodes the snapshot of a dispute.* event.
func (e *Event) Dispute() (*Dispute, error) {
	d := new(Dispute)
	return d, e.decode("dispute", d)
}

// decode checks that the event is about a resource of kind and decodes it.
func (e *Event) decode(kind string, v any) error {
	if !strings.HasPrefix(string(e.Type), kind+".") {
		return fmt.Errorf("tokenim: event %s is of type %q, not a %s event", e.ID, e.Type, kind)
	}
	if len(e.Data.Object) == 0 {
		return fmt.Errorf("tokenim: event %s has no data.object", e.ID)
	}
	var head struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(e.Data.Object, &head); err != nil {
		return fmt.Errorf("tokenim: event %s: decode %s: %w", e.ID, kind, err)
	}
	if head.Object != "" && head.Object != kind {
		return fmt.Errorf("tokenim: event %s holds a %q object, not a %s", e.ID, head.Object, kind)
	}
	if err := json.Unmarshal(e.Data.Object, v); err != nil {
		return fmt.Errorf("tokenim: event %s: decode %s: %w", e.ID, kind, err)
	}
	return nil
}

// EventsService lists events, for reconciling missed webhooks.
// API: /v1/events
type EventsService service

// EventListParams filter Events.List and Events.All. API: GET /v1/events
type EventListParams struct {
	ListParams
	Type EventType `url:"type,omitempty"`
}

var eventsList = newLister[EventListParams](endpoint{"Events.List", http.MethodGet, "/v1/events", "evt_", false}, func(e *Event) string { return e.ID })

// Get retrieves an event. API: GET /v1/events/{id}
func (s *EventsService) Get(ctx context.Context, id string, opts ...RequestOption) (*Event, error) {
	return fetch[Event](ctx, s.client, endpoint{"Events.Get", http.MethodGet, "/v1/events/{id}", "evt_", false}, id, nil, opts)
}

// List returns one page of events, newest first. API: GET /v1/events
func (s *EventsService) List(ctx context.Context, params *EventListParams, opts ...RequestOption) (*List[Event], error) {
	return eventsList.page(ctx, s.client, params, opts)
}

// All iterates over every event matching params, fetching pages lazily.
// API: GET /v1/events
func (s *EventsService) All(ctx context.Context, params *EventListParams, opts ...RequestOption) iter.Seq2[*Event, error] {
	return eventsList.all(ctx, s.client, params, opts)
}
