package tokenim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const deliveryJSON = `{"id":"whd_1","object":"webhook_delivery","event_id":"evt_1","event_type":"order.paid",
"webhook_endpoint_id":"we_1","status":"pending","attempt_count":1,"last_attempt_at":"2026-11-21T09:30:01Z",
"last_response_status":null,"last_error":"connection_refused","next_attempt_at":"2026-11-21T09:30:06Z",
"created_at":"2026-11-21T09:30:01Z"}`

func TestWebhookDeliveriesService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gte := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	lt := gte.Add(24 * time.Hour)
	testEndpoints(t, []endpointCase{
		{
			name: "WebhookDeliveries.List", method: "GET", path: "/v1/webhook_endpoints/we_1/deliveries",
			query:   url.Values{"status": {"pending"}, "event_id": {"evt_1"}, "limit": {"5"}, "starting_after": {"whd_0"}},
			respond: listJSON(deliveryJSON),
			call: func(c *Client) (any, error) {
				return c.WebhookDeliveries.List(ctx, "we_1", &DeliveryListParams{
					ListParams: ListParams{Limit: 5, StartingAfter: "whd_0"}, Status: DeliveryPending, EventID: "evt_1"})
			},
			check: func(t *testing.T, got any) {
				d := got.(*List[Delivery]).Data[0]
				assert.Equal(t, "whd_1", d.ID)
				assert.Equal(t, DeliveryPending, d.Status)
				assert.Equal(t, EventOrderPaid, d.EventType)
				assert.Equal(t, "we_1", d.WebhookEndpointID)
				assert.Equal(t, 1, d.AttemptCount)
				assert.Nil(t, d.LastResponseStatus)
				assert.Equal(t, "connection_refused", d.LastError)
				require.NotNil(t, d.NextAttemptAt)
				assert.Equal(t, 5*time.Second, d.NextAttemptAt.Sub(*d.LastAttemptAt))
			},
		},
		{
			name: "WebhookDeliveries.Get", method: "GET", path: "/v1/webhook_endpoints/we_1/deliveries/whd_1", respond: deliveryJSON,
			call:  func(c *Client) (any, error) { return c.WebhookDeliveries.Get(ctx, "we_1", "whd_1") },
			check: func(t *testing.T, got any) { assert.Equal(t, "evt_1", got.(*Delivery).EventID) },
		},
		{
			name: "Events.Resend", method: "POST", path: "/v1/events/evt_1/resend", wantBody: `{"webhook_endpoint":"we_1"}`,
			respond: deliveryJSON,
			call: func(c *Client) (any, error) {
				return c.Events.Resend(ctx, "evt_1", &EventResendParams{WebhookEndpoint: "we_1"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "whd_1", got.(*Delivery).ID) },
		},
		{
			name: "Events.List catch-up filters", method: "GET", path: "/v1/events",
			query:   url.Values{"created_gte": {"2026-11-21T00:00:00Z"}, "created_lt": {"2026-11-22T00:00:00Z"}, "pending_for": {"we_1"}},
			respond: listJSON(eventJSON),
			call: func(c *Client) (any, error) {
				return c.Events.List(ctx, &EventListParams{CreatedGTE: &gte, CreatedLT: &lt, PendingFor: "we_1"})
			},
			check: func(t *testing.T, got any) { assert.Len(t, got.(*List[Event]).Data, 1) },
		},
	})
}

func TestWebhookDeliveriesService_rejectsBadInputWithoutRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gte := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name, field string
		call        func(c *Client) error
	}{
		{"list bad endpoint", "endpoint_id", func(c *Client) error {
			_, err := c.WebhookDeliveries.List(ctx, "wh_1", nil)
			return err
		}},
		{"list endpoint with a slash", "endpoint_id", func(c *Client) error {
			_, err := c.WebhookDeliveries.List(ctx, "we_1/../x", nil)
			return err
		}},
		{"list bad event filter", "event_id", func(c *Client) error {
			_, err := c.WebhookDeliveries.List(ctx, "we_1", &DeliveryListParams{EventID: "ev_1"})
			return err
		}},
		{"list bad cursor", "starting_after", func(c *Client) error {
			_, err := c.WebhookDeliveries.List(ctx, "we_1", &DeliveryListParams{ListParams: ListParams{StartingAfter: "evt_1"}})
			return err
		}},
		{"all bad endpoint", "endpoint_id", func(c *Client) error {
			for _, err := range c.WebhookDeliveries.All(ctx, "", nil) {
				return err
			}
			return nil
		}},
		{"get bad endpoint", "endpoint_id", func(c *Client) error {
			_, err := c.WebhookDeliveries.Get(ctx, "evt_1", "whd_1")
			return err
		}},
		{"get bad delivery", "id", func(c *Client) error { _, err := c.WebhookDeliveries.Get(ctx, "we_1", "we_1"); return err }},
		{"resend nil params", "params", func(c *Client) error { _, err := c.Events.Resend(ctx, "evt_1", nil); return err }},
		{"resend no endpoint", "webhook_endpoint", func(c *Client) error {
			_, err := c.Events.Resend(ctx, "evt_1", &EventResendParams{})
			return err
		}},
		{"resend bad event", "id", func(c *Client) error {
			_, err := c.Events.Resend(ctx, "ord_1", &EventResendParams{WebhookEndpoint: "we_1"})
			return err
		}},
		{"events bad pending_for", "pending_for", func(c *Client) error {
			_, err := c.Events.List(ctx, &EventListParams{PendingFor: "whd_1"})
			return err
		}},
		{"events empty window", "created_lt", func(c *Client) error {
			_, err := c.Events.List(ctx, &EventListParams{CreatedGTE: &gte, CreatedLT: &gte})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newTestClient(t)
			err := tc.call(c)
			var ve *ValidationError
			require.True(t, errors.As(err, &ve), "a ValidationError, got %v", err)
			assert.Equal(t, tc.field, ve.Field)
			assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
		})
	}
}

// A nested route's observers see its template, never the endpoint id.
func TestWebhookDeliveriesService_observerSeesTheTemplate(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	c, mt, _ := newTestClient(t, WithObserver(obs))
	mt.RegisterResponder("GET", testBaseURL+"/v1/webhook_endpoints/we_1/deliveries", func(*http.Request) (*http.Response, error) {
		return rawJSONResponse(200, listJSON(deliveryJSON)), nil
	})
	mt.RegisterResponder("GET", testBaseURL+"/v1/webhook_endpoints/we_1/deliveries/whd_1", func(*http.Request) (*http.Response, error) {
		return rawJSONResponse(200, deliveryJSON), nil
	})
	_, err := c.WebhookDeliveries.List(context.Background(), "we_1", nil)
	require.NoError(t, err)
	_, err = c.WebhookDeliveries.Get(context.Background(), "we_1", "whd_1")
	require.NoError(t, err)
	var templates, urls []string
	for _, e := range obs.Events() {
		if e.hook == "StartCall" {
			templates = append(templates, e.call.URLTemplate)
			urls = append(urls, e.call.URL)
		}
	}
	assert.Equal(t, []string{"/v1/webhook_endpoints/{id}/deliveries", "/v1/webhook_endpoints/{id}/deliveries/{delivery_id}"}, templates)
	assert.Equal(t, []string{testBaseURL + "/v1/webhook_endpoints/we_1/deliveries", testBaseURL + "/v1/webhook_endpoints/we_1/deliveries/whd_1"}, urls)
}
