package tokenim

import (
	"cmp"
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

// Event records a change to an order, payment, refund, dispute or API key
// (the types are the EventType constants). Webhooks deliver events; the
// Events service lists them for reconciliation and resends them.
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

// EventsService lists events, for reconciling missed webhooks, and resends
// them. Events are kept 30 days. API: /v1/events
type EventsService service

// EventListParams filter Events.List and Events.All. API: GET /v1/events
type EventListParams struct {
	ListParams
	Type EventType `url:"type,omitempty"`
	// CreatedGTE and CreatedLT bound created_at: at or after, and before
	// (docs/tokenim-api.md §10).
	CreatedGTE *time.Time `url:"created_gte,omitempty"`
	CreatedLT  *time.Time `url:"created_lt,omitempty"`
	// PendingFor keeps the events whose delivery to this endpoint (we_…)
	// has not succeeded yet: still pending or failed. Events the endpoint
	// never had a delivery of are not listed (docs/contract-decisions.md §10).
	PendingFor string `url:"pending_for,omitempty"`
}

func (p *EventListParams) validateFilters() error {
	if p.CreatedGTE != nil && p.CreatedLT != nil && !p.CreatedGTE.Before(*p.CreatedLT) {
		return invalid("created_lt", "must be after created_gte")
	}
	return validateIDFilter("pending_for", "we_", p.PendingFor)
}

// EventResendParams are the parameters of Events.Resend.
// API: POST /v1/events/{id}/resend
type EventResendParams struct {
	// WebhookEndpoint is the endpoint (we_…) to send the event to.
	WebhookEndpoint string `json:"webhook_endpoint"`
}

func (p *EventResendParams) validate() error {
	if err := requireParams(p, "params"); err != nil {
		return err
	}
	return validateID("webhook_endpoint", "we_", p.WebhookEndpoint)
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

// Resend sends an event once more, now, to one endpoint, as a new delivery
// with its own retry schedule; it answers that delivery, pending. The
// webhook-id header stays the event id, so a receiver's duplicate
// suppression still holds. An endpoint that is disabled or does not
// subscribe to the event's type fails with CodeEndpointNotSubscribed, an
// event older than 30 days with CodeEventTooOld (both 409).
// API: POST /v1/events/{id}/resend
func (s *EventsService) Resend(ctx context.Context, id string, params *EventResendParams, opts ...RequestOption) (*Delivery, error) {
	if err := params.validate(); err != nil {
		return nil, cmp.Or(validateID("id", "evt_", id), err)
	}
	return fetch[Delivery](ctx, s.client, endpoint{"Events.Resend", http.MethodPost, "/v1/events/{id}/resend", "evt_", false}, id, params, opts)
}

// All iterates over every event matching params, fetching pages lazily.
// API: GET /v1/events
func (s *EventsService) All(ctx context.Context, params *EventListParams, opts ...RequestOption) iter.Seq2[*Event, error] {
	return eventsList.all(ctx, s.client, params, opts)
}
