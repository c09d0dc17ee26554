package sandbox

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// controlCall sends a request with extra headers ("Host" sets the Host)
// and returns status and decoded body.
func controlCall(t *testing.T, srv *Server, method, path, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	r := api(t, srv, method, path, body, headers...)
	return r.status, r.body
}

// A web page must not drive the control API: a cross-site
// POST with Content-Type text/plain is a "simple" request that browsers send
// without a preflight.
func TestControl_refusesCrossSiteRequests(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	refused := map[string][]string{
		"cross-site origin":      {"Origin", "https://evil.example", "Content-Type", "text/plain"},
		"null origin":            {"Origin", "null"},
		"other loopback port":    {"Origin", "http://127.0.0.1:1"},
		"sec-fetch cross-site":   {"Sec-Fetch-Site", "cross-site"},
		"sec-fetch same-site":    {"Sec-Fetch-Site", "same-site"},
		"rebound host":           {"Host", "evil.example"},
		"rebound host with port": {"Host", "evil.example:8420"},
	}
	for name, h := range refused {
		status, body := controlCall(t, srv, "POST", "/_sandbox/maintenance", `{"enabled":true}`, h...)
		assert.Equal(t, http.StatusForbidden, status, name)
		assert.Contains(t, []any{"cross_site_request", "host_not_allowed"}, body["code"], name)
		assert.NotEmpty(t, body["detail"], name)
	}
	r := api(t, srv, "GET", "/v1/orders", nil)
	require.Equal(t, 200, r.status, "maintenance was never switched on: %s", r.raw)

	allowed := map[string][]string{
		"no browser headers":  nil,
		"same origin":         {"Origin", srv.URL, "Sec-Fetch-Site", "same-origin"},
		"typed by the user":   {"Sec-Fetch-Site", "none"},
		"localhost host":      {"Host", "localhost:8420"},
		"ipv6 loopback host":  {"Host", "[::1]:8420"},
		"127/8 loopback host": {"Host", "127.0.0.2"},
	}
	for name, h := range allowed {
		status, body := controlCall(t, srv, "GET", "/_sandbox/clock", "", h...)
		assert.Equal(t, http.StatusOK, status, "%s: %v", name, body)
	}
}

// The default key is public: /v1/ answers only loopback Host values too,
// unless WithAllowedHosts names more.
func TestSandbox_hostCheckCoversTheAPIAndCanBeWidened(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	status, body := controlCall(t, srv, "GET", "/v1/status", "", "Host", "evil.example")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "host_not_allowed", body["code"])

	wide := Start(t, WithFrozenClock(t0), WithAllowedHosts("sandbox", "Tokenim.Internal"))
	status, _ = controlCall(t, wide, "GET", "/v1/status", "", "Host", "sandbox:8420")
	assert.Equal(t, http.StatusOK, status)
	status, _ = controlCall(t, wide, "GET", "/_sandbox/clock", "", "Host", "tokenim.internal")
	assert.Equal(t, http.StatusOK, status)
	status, _ = controlCall(t, wide, "GET", "/v1/status", "", "Host", "evil.example")
	assert.Equal(t, http.StatusForbidden, status)
}

// Reset restores each merchant's configured key as its only key, keeps
// in-process merchants and drops those created through the control API
// (docs/tokenim-api.md §7).
func TestControl_resetDropsControlCreatedMerchants(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	kept := srv.AddMerchant()
	_, body := controlCall(t, srv, "POST", "/_sandbox/merchants", `{}`)
	dropped := Merchant{ID: body["id"].(string), key: &credentials{apiKey: seal(body["api_key"].(string))}}
	require.Equal(t, 200, apiAs(t, srv, dropped, "GET", "/v1/orders", nil).status)
	require.NoError(t, srv.RestrictMerchant(kept.ID, true))

	status, _ := controlCall(t, srv, "POST", "/_sandbox/reset", "")
	require.Equal(t, 200, status)

	assert.Equal(t, 200, api(t, srv, "GET", "/v1/orders", nil).status, "the configured key works")
	assert.Equal(t, 200, apiAs(t, srv, kept, "POST", "/v1/orders", map[string]any{
		"merchant_order_id": "after-reset", "amount": 100, "currency": "CNY",
	}).status, "an in-process merchant keeps its key and is unrestricted")
	r := apiAs(t, srv, dropped, "GET", "/v1/orders", nil)
	assert.Equal(t, 401, r.status)
	assert.Equal(t, "invalid_api_key", r.str("code"), "the control-created merchant is gone")
	assert.ErrorContains(t, srv.RestrictMerchant(dropped.ID, true), "unknown merchant")
}

// docs/tokenim-api.md §1: restricted merchants may still cancel, delete
// endpoints and rotate secrets; creating and taking money is refused.
func TestSandbox_restrictedMerchantRefusedOnlyMoneyAndCreation(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	orderID := newOrder(t, srv, 5000)
	ep := api(t, srv, "POST", "/v1/webhook_endpoints", map[string]any{"url": "https://example.com/h", "events": []string{"*"}})
	require.Equal(t, 200, ep.status)
	require.NoError(t, srv.RestrictMerchant(srv.MerchantID, true))

	for _, c := range []struct{ method, path string }{
		{"POST", "/v1/orders"}, {"POST", "/v1/payments"}, {"POST", "/v1/payments/pay_x/confirm"},
		{"POST", "/v1/refunds"}, {"POST", "/v1/webhook_endpoints"},
	} {
		r := api(t, srv, c.method, c.path, `{}`)
		assert.Equal(t, 403, r.status, "%s %s", c.method, c.path)
		assert.Equal(t, "account_restricted", r.str("code"), "%s %s", c.method, c.path)
	}
	assert.Equal(t, 200, api(t, srv, "POST", "/v1/orders/"+orderID+"/cancel", nil).status)
	assert.Equal(t, 200, api(t, srv, "POST", "/v1/webhook_endpoints/"+ep.str("id")+"/rotate_secret", nil).status)
	assert.Equal(t, 200, api(t, srv, "DELETE", "/v1/webhook_endpoints/"+ep.str("id"), nil).status)
	assert.Equal(t, 200, api(t, srv, "GET", "/v1/orders", nil).status)
}
