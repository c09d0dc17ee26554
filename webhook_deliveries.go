package tokenim

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// WebhookDeliveriesService lists and fetches the deliveries of events to a
// webhook endpoint (docs/tokenim-api.md §10): which events reached it, which
// are still retrying and which it never answered.
// API: /v1/webhook_endpoints/{id}/deliveries
type WebhookDeliveriesService service

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery states: pending until an attempt is answered 2xx (succeeded) or
// the retry schedule of §6 ends (failed).
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is one event's delivery to one endpoint, made when the
// event was created or by Events.Resend.
type Delivery struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	EventID           string         `json:"event_id"`
	EventType         EventType      `json:"event_type"`
	WebhookEndpointID string         `json:"webhook_endpoint_id"`
	Status            DeliveryStatus `json:"status"`
	// AttemptCount is how many attempts have finished.
	AttemptCount  int        `json:"attempt_count"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	// LastResponseStatus is the last attempt's HTTP status; nil when it got
	// no answer.
	LastResponseStatus *int `json:"last_response_status"`
	// LastError says why the last attempt got no answer ("timeout",
	// "connection_refused", …); empty when the endpoint answered.
	LastError string `json:"last_error"`
	// NextAttemptAt is when the next attempt runs; nil unless pending.
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	CreatedAt     time.Time  `json:"created_at"`
}

// DeliveryListParams filter WebhookDeliveries.List and All.
// API: GET /v1/webhook_endpoints/{id}/deliveries
type DeliveryListParams struct {
	ListParams
	Status DeliveryStatus `url:"status,omitempty"`
	// EventID keeps the deliveries of one event (evt_…).
	EventID string `url:"event_id,omitempty"`
}

func (p *DeliveryListParams) validateFilters() error {
	return validateIDFilter("event_id", "evt_", p.EventID)
}

// nestedTemplates are the URL templates of the routes whose parent id a
// service fills in before the call (see endpoint.template).
var nestedTemplates = map[string]string{
	"WebhookDeliveries.List": "/v1/webhook_endpoints/{id}/deliveries",
	"WebhookDeliveries.Get":  "/v1/webhook_endpoints/{id}/deliveries/{delivery_id}",
}

var webhookDeliveriesList = newLister[DeliveryListParams](endpoint{"WebhookDeliveries.List", http.MethodGet, "/v1/webhook_endpoints/{id}/deliveries", "whd_", false}, func(d *Delivery) string { return d.ID })

// List returns one page of an endpoint's deliveries, newest first.
// API: GET /v1/webhook_endpoints/{id}/deliveries
func (s *WebhookDeliveriesService) List(ctx context.Context, endpointID string, params *DeliveryListParams, opts ...RequestOption) (*List[Delivery], error) {
	l, err := webhookDeliveriesList.under("endpoint_id", "we_", endpointID)
	if err != nil {
		return nil, err
	}
	return l.page(ctx, s.client, params, opts)
}

// All iterates over every delivery of an endpoint matching params, fetching
// pages lazily. API: GET /v1/webhook_endpoints/{id}/deliveries
func (s *WebhookDeliveriesService) All(ctx context.Context, endpointID string, params *DeliveryListParams, opts ...RequestOption) iter.Seq2[*Delivery, error] {
	l, err := webhookDeliveriesList.under("endpoint_id", "we_", endpointID)
	if err != nil {
		return func(yield func(*Delivery, error) bool) { yield(nil, err) }
	}
	return l.all(ctx, s.client, params, opts)
}

// Get retrieves one delivery of an endpoint.
// API: GET /v1/webhook_endpoints/{id}/deliveries/{delivery_id}
func (s *WebhookDeliveriesService) Get(ctx context.Context, endpointID, deliveryID string, opts ...RequestOption) (*Delivery, error) {
	if err := validateID("endpoint_id", "we_", endpointID); err != nil {
		return nil, err
	}
	return fetch[Delivery](ctx, s.client, endpoint{"WebhookDeliveries.Get", http.MethodGet,
		"/v1/webhook_endpoints/" + endpointID + "/deliveries/{id}", "whd_", false}, deliveryID, nil, opts)
}
