package tokenim

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"net/http"
	"time"
)

// WebhookEndpointsService manages the URLs events are delivered to.
// API: /v1/webhook_endpoints
type WebhookEndpointsService service

// WebhookEndpointStatus says whether an endpoint receives deliveries.
type WebhookEndpointStatus string

// Webhook endpoint states.
const (
	WebhookEndpointEnabled  WebhookEndpointStatus = "enabled"
	WebhookEndpointDisabled WebhookEndpointStatus = "disabled"
)

// WebhookEndpoint is a URL that receives events. Secret (whsec_…) is set
// only in the answers of Create and RotateSecret; like every Secret it never
// appears in formatted output, logs or JSON: pass Secret.Reveal() to
// NewWebhookVerifier.
type WebhookEndpoint struct {
	ID          string                `json:"id"`
	Object      string                `json:"object"`
	URL         string                `json:"url"`
	Events      []EventType           `json:"events"`
	Description string                `json:"description"`
	Status      WebhookEndpointStatus `json:"status"`
	CreatedAt   time.Time             `json:"created_at"`
	Secret      Secret                `json:"secret,omitzero"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// String reads like a line of a back office, with the secret redacted:
// "webhook endpoint we_1 enabled: https://shop.example/hook [*] (secret
// [REDACTED])".
func (w WebhookEndpoint) String() string {
	s := fmt.Sprintf("webhook endpoint %s %s: %s %v", w.ID, w.Status, w.URL, w.Events)
	if !w.Secret.IsZero() {
		s += " (secret [REDACTED])"
	}
	return s
}

// DeletedWebhookEndpoint is the answer of WebhookEndpoints.Delete.
// API: DELETE /v1/webhook_endpoints/{id}
type DeletedWebhookEndpoint struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// WebhookEndpointCreateParams are the parameters of WebhookEndpoints.Create.
// API: POST /v1/webhook_endpoints
type WebhookEndpointCreateParams struct {
	// URL is an absolute http(s) URL of at most 2048 characters.
	URL string `json:"url"`
	// Events are the event types to deliver, or exactly ["*"] for all.
	Events      []EventType `json:"events"`
	Description string      `json:"description,omitempty"`
}

func (p *WebhookEndpointCreateParams) validate() error {
	if err := requireParams(p, "params"); err != nil {
		return err
	}
	if err := validateURL("url", p.URL); err != nil {
		return err
	}
	if len(p.Events) == 0 {
		return invalid("events", "must list at least one event type, or \"*\"")
	}
	for i, e := range p.Events {
		if e == "" {
			return invalid(fmt.Sprintf("events[%d]", i), "must not be empty")
		}
		if e == "*" && len(p.Events) != 1 {
			return invalid("events", "\"*\" must be the only entry")
		}
	}
	return validateMaxLen("description", p.Description, 1000)
}

// WebhookEndpointRotateParams are the parameters of
// WebhookEndpoints.RotateSecret. API: POST /v1/webhook_endpoints/{id}/rotate_secret
type WebhookEndpointRotateParams struct {
	// ExpireOldAfter is how long deliveries stay signed with the old secret
	// too, in whole seconds up to 7 days. Zero means the platform default
	// (24 h) unless ExpireOldNow is set.
	ExpireOldAfter time.Duration `json:"-"`
	// ExpireOldNow retires the old secret at once.
	ExpireOldNow bool `json:"-"`
}

type rotateBody struct {
	ExpireOldAfterSeconds *int64 `json:"expire_old_after_seconds,omitempty"`
}

func (p *WebhookEndpointRotateParams) body() (*rotateBody, error) {
	if p == nil {
		return &rotateBody{}, nil
	}
	return newRotateBody(p.ExpireOldAfter, p.ExpireOldNow)
}

// newRotateBody is the body of a rotation with an overlap (an endpoint's
// secret, an API key): d in whole seconds up to 7 days, zero for the
// platform default unless now asks to end the old one at once.
func newRotateBody(d time.Duration, now bool) (*rotateBody, error) {
	if d < 0 || d > 7*24*time.Hour || d%time.Second != 0 {
		return nil, invalid("expire_old_after", "must be whole seconds between 0 and 7 days")
	}
	if now && d != 0 {
		return nil, invalid("expire_old_after", "must be zero with ExpireOldNow")
	}
	if d == 0 && !now {
		return &rotateBody{}, nil
	}
	secs := int64(d / time.Second)
	return &rotateBody{ExpireOldAfterSeconds: &secs}, nil
}

// WebhookEndpointListParams page WebhookEndpoints.List and All.
// API: GET /v1/webhook_endpoints
type WebhookEndpointListParams struct {
	ListParams
}

var webhookEndpointsList = newLister[WebhookEndpointListParams](endpoint{"WebhookEndpoints.List", http.MethodGet, "/v1/webhook_endpoints", "we_", false}, func(w *WebhookEndpoint) string { return w.ID })

// Create registers a webhook endpoint; the answer carries its secret.
// API: POST /v1/webhook_endpoints
func (s *WebhookEndpointsService) Create(ctx context.Context, params *WebhookEndpointCreateParams, opts ...RequestOption) (*WebhookEndpoint, error) {
	return create[WebhookEndpoint](ctx, s.client, endpoint{"WebhookEndpoints.Create", http.MethodPost, "/v1/webhook_endpoints", "", false}, params, opts)
}

// List returns one page of webhook endpoints.
// API: GET /v1/webhook_endpoints
func (s *WebhookEndpointsService) List(ctx context.Context, params *WebhookEndpointListParams, opts ...RequestOption) (*List[WebhookEndpoint], error) {
	return webhookEndpointsList.page(ctx, s.client, params, opts)
}

// All iterates over every webhook endpoint, fetching pages lazily.
// API: GET /v1/webhook_endpoints
func (s *WebhookEndpointsService) All(ctx context.Context, params *WebhookEndpointListParams, opts ...RequestOption) iter.Seq2[*WebhookEndpoint, error] {
	return webhookEndpointsList.all(ctx, s.client, params, opts)
}

// Get retrieves a webhook endpoint; its secret is never included.
// API: GET /v1/webhook_endpoints/{id}
func (s *WebhookEndpointsService) Get(ctx context.Context, id string, opts ...RequestOption) (*WebhookEndpoint, error) {
	return fetch[WebhookEndpoint](ctx, s.client, endpoint{"WebhookEndpoints.Get", http.MethodGet, "/v1/webhook_endpoints/{id}", "we_", false}, id, nil, opts)
}

// Delete removes a webhook endpoint. API: DELETE /v1/webhook_endpoints/{id}
func (s *WebhookEndpointsService) Delete(ctx context.Context, id string, opts ...RequestOption) (*DeletedWebhookEndpoint, error) {
	return fetch[DeletedWebhookEndpoint](ctx, s.client, endpoint{"WebhookEndpoints.Delete", http.MethodDelete, "/v1/webhook_endpoints/{id}", "we_", false}, id, nil, opts)
}

// RotateSecret gives an endpoint a new secret; the answer carries it.
// API: POST /v1/webhook_endpoints/{id}/rotate_secret
func (s *WebhookEndpointsService) RotateSecret(ctx context.Context, id string, params *WebhookEndpointRotateParams, opts ...RequestOption) (*WebhookEndpoint, error) {
	body, err := params.body()
	if err != nil {
		return nil, cmp.Or(validateID("id", "we_", id), err)
	}
	return fetch[WebhookEndpoint](ctx, s.client, endpoint{"WebhookEndpoints.RotateSecret", http.MethodPost, "/v1/webhook_endpoints/{id}/rotate_secret", "we_", false}, id, body, opts)
}
