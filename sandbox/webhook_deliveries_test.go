package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// setEndpointStatus disables or enables an endpoint (no API does: the
// contract names the state, docs/tokenim-api.md §5).
func setEndpointStatus(srv *Server, id, status string) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.merchants[srv.MerchantID].endpoints[id].Status = status
}

func TestResend_toADisabledEndpointIsNotSubscribed(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500)
	srv := Start(t, WithFrozenClock(t0), WithWebhookEndpoint(rc.URL))
	_, err := srv.trigger(srv.MerchantID, srv.APIKey(), "order.canceled")
	require.NoError(t, err)
	require.NoError(t, srv.FlushDeliveries(context.Background()))
	ds := srv.Deliveries()
	require.Len(t, ds, 1)
	setEndpointStatus(srv, ds[0].EndpointID, "disabled")

	r := api(t, srv, "POST", "/v1/events/"+ds[0].EventID+"/resend", map[string]any{"webhook_endpoint": ds[0].EndpointID})
	assert.Equal(t, 409, r.status)
	assert.Equal(t, "endpoint_not_subscribed", r.str("code"))
	_, err = srv.ResendDelivery(context.Background(), ds[0].EventID, ds[0].EndpointID)
	assert.ErrorContains(t, err, "disabled", "the dashboard's resend goes through the same checks")

	// The pending delivery's retry finds the endpoint disabled: it ends, failed.
	srv.Advance(5 * time.Second)
	d := api(t, srv, "GET", "/v1/webhook_endpoints/"+ds[0].EndpointID+"/deliveries/"+ds[0].DeliveryID, nil)
	require.Equal(t, 200, d.status)
	assert.Equal(t, "failed", d.str("status"))
	assert.Equal(t, "endpoint_disabled", d.str("last_error"))
	assert.Nil(t, d.body["next_attempt_at"])
	assert.Len(t, srv.Deliveries(), 1, "no attempt to a disabled endpoint")
}

func TestDelivery_retryAfterTheEndpointIsDeletedEndsIt(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500)
	srv := Start(t, WithFrozenClock(t0), WithWebhookEndpoint(rc.URL))
	_, err := srv.trigger(srv.MerchantID, srv.APIKey(), "order.canceled")
	require.NoError(t, err)
	require.NoError(t, srv.FlushDeliveries(context.Background()))
	ds := srv.Deliveries()
	require.Len(t, ds, 1)
	srv.mu.Lock()
	m := srv.merchants[srv.MerchantID]
	dl := m.deliveries[ds[0].DeliveryID]
	srv.mu.Unlock()
	require.Equal(t, 200, api(t, srv, "DELETE", "/v1/webhook_endpoints/"+ds[0].EndpointID, nil).status)
	srv.Advance(5 * time.Second)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Equal(t, deliveryFailed, dl.Status)
	assert.Equal(t, "endpoint_deleted", derefOr(dl.LastError, ""))
	assert.Len(t, srv.Deliveries(), 1)
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestAttemptError_namesWhyNoAnswerCame(t *testing.T) {
	t.Parallel()
	for want, err := range map[string]error{
		"timeout":            fmt.Errorf("Post: %w", context.DeadlineExceeded),
		"connection_refused": &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED},
		"connection_reset":   &net.OpError{Op: "read", Err: syscall.ECONNRESET},
		"dns_error":          &net.DNSError{Err: "no such host", Name: "shop.invalid"},
		"connection_error":   errors.New("something else"),
	} {
		assert.Equal(t, want, attemptError(err), "%v", err)
	}
	assert.Equal(t, "timeout", attemptError(&net.OpError{Op: "read", Err: timeoutErr{}}))
}

// A real timeout: the endpoint never answers within 10 s (deliveryTimeout),
// checked by the client's own timeout rather than a sleep.
func TestDelivery_timeoutIsRecordedAsTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	t.Cleanup(hook.Close)
	t.Cleanup(func() { close(block) }) // runs first: the handler returns, so Close can finish
	srv := Start(t, WithFrozenClock(t0), WithWebhookEndpoint(hook.URL))
	srv.delivery.client.Timeout = 50 * time.Millisecond
	_, err := srv.trigger(srv.MerchantID, srv.APIKey(), "order.canceled")
	require.NoError(t, err)
	require.NoError(t, srv.FlushDeliveries(context.Background()))
	ds := srv.Deliveries()
	require.Len(t, ds, 1)
	r := api(t, srv, "GET", "/v1/webhook_endpoints/"+ds[0].EndpointID+"/deliveries/"+ds[0].DeliveryID, nil)
	assert.Equal(t, "timeout", r.str("last_error"))
	assert.Nil(t, r.body["last_response_status"])
}

func TestEvents_prunedIDsAreForgottenAfterNinetyDays(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	_, err := srv.trigger(srv.MerchantID, srv.APIKey(), "order.canceled")
	require.NoError(t, err)
	ep := api(t, srv, "POST", "/v1/webhook_endpoints", map[string]any{"url": "http://127.0.0.1:1/hook", "events": []string{"*"}})
	require.Equal(t, 200, ep.status)
	evs := srv.Events(srv.MerchantID)
	require.Len(t, evs, 1)
	var ev struct{ ID string }
	require.NoError(t, json.Unmarshal(evs[0], &ev))
	resend := func() result {
		return api(t, srv, "POST", "/v1/events/"+ev.ID+"/resend", map[string]any{"webhook_endpoint": ep.str("id")})
	}
	srv.Advance(31 * 24 * time.Hour)
	assert.Empty(t, srv.Events(srv.MerchantID))
	assert.Equal(t, "event_too_old", resend().str("code"))
	srv.Advance(60 * 24 * time.Hour)
	_, _ = srv.trigger(srv.MerchantID, srv.APIKey(), "order.canceled") // any event access prunes
	assert.Equal(t, "resource_missing", resend().str("code"), "past 90 days the id is forgotten")
	srv.mu.Lock()
	defer srv.mu.Unlock()
	assert.Empty(t, srv.merchants[srv.MerchantID].prunedOrder)
}
