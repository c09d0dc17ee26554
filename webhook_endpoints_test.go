package tokenim

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestWebhookEndpointsService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testEndpoints(t, []endpointCase{
		{
			name: "WebhookEndpoints.Create", method: "POST", path: "/v1/webhook_endpoints",
			wantBody: `{"url":"https://shop.example/hook","events":["payment.succeeded","refund.failed"],"description":"main"}`,
			respond:  endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.Create(ctx, &WebhookEndpointCreateParams{URL: "https://shop.example/hook",
					Events: []EventType{EventPaymentSucceeded, EventRefundFailed}, Description: "main"})
			},
			check: func(t *testing.T, got any) {
				w := got.(*WebhookEndpoint)
				assert.Equal(t, "whsec_c2VjcmV0", w.Secret.Reveal())
				assert.Equal(t, []EventType{"*"}, w.Events)
				assert.Equal(t, WebhookEndpointEnabled, w.Status)
			},
		},
		{
			name: "WebhookEndpoints.List", method: "GET", path: "/v1/webhook_endpoints", respond: listJSON(endpointJSON),
			call:  func(c *Client) (any, error) { return c.WebhookEndpoints.List(ctx, nil) },
			check: func(t *testing.T, got any) { assert.Equal(t, "we_1", got.(*List[WebhookEndpoint]).Data[0].ID) },
		},
		{
			name: "WebhookEndpoints.Get", method: "GET", path: "/v1/webhook_endpoints/we_1", respond: endpointJSON,
			call: func(c *Client) (any, error) { return c.WebhookEndpoints.Get(ctx, "we_1") },
			check: func(t *testing.T, got any) {
				w := got.(*WebhookEndpoint)
				assert.Equal(t, "we_1", w.ID)
				assert.Equal(t, "https://shop.example/hook", w.URL)
			},
		},
		{
			name: "WebhookEndpoints.Delete", method: "DELETE", path: "/v1/webhook_endpoints/we_1",
			respond: `{"id":"we_1","object":"webhook_endpoint","deleted":true}`,
			call:    func(c *Client) (any, error) { return c.WebhookEndpoints.Delete(ctx, "we_1") },
			check: func(t *testing.T, got any) {
				assert.Equal(t, &DeletedWebhookEndpoint{ID: "we_1", Object: "webhook_endpoint", Deleted: true}, got)
			},
		},
		{
			name: "WebhookEndpoints.RotateSecret", method: "POST", path: "/v1/webhook_endpoints/we_1/rotate_secret",
			wantBody: `{"expire_old_after_seconds":3600}`, respond: endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.RotateSecret(ctx, "we_1", &WebhookEndpointRotateParams{ExpireOldAfter: time.Hour})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "whsec_c2VjcmV0", got.(*WebhookEndpoint).Secret.Reveal()) },
		},
		{
			name: "WebhookEndpoints.RotateSecret now", method: "POST", path: "/v1/webhook_endpoints/we_1/rotate_secret",
			wantBody: `{"expire_old_after_seconds":0}`, respond: endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.RotateSecret(ctx, "we_1", &WebhookEndpointRotateParams{ExpireOldNow: true})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "we_1", got.(*WebhookEndpoint).ID) },
		},
		{
			name: "WebhookEndpoints.RotateSecret default", method: "POST", path: "/v1/webhook_endpoints/we_1/rotate_secret",
			wantBody: `{}`, respond: endpointJSON,
			call: func(c *Client) (any, error) {
				return c.WebhookEndpoints.RotateSecret(ctx, "we_1", nil)
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "we_1", got.(*WebhookEndpoint).ID) },
		},
	})
}
