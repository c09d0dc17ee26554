package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func faultSequence(t *testing.T, seed int64, n int) []string {
	t.Helper()
	sb := New()
	t.Cleanup(sb.Close)
	require.NoError(t, sb.SetFaults(FaultPlan{Seed: seed, Rules: []FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: FaultDropAfterCommit, Rate: 0.3},
		{Kind: FaultErrorBeforeCommit, Status: 503, Rate: 0.1},
		{Kind: FaultRateLimit, RetryAfter: 1, Rate: 0.05},
		{Kind: FaultLatency, MS: 20, Rate: 0.5},
	}}))
	paths := []string{"/v1/payments", "/v1/orders", "/v1/refunds"}
	out := make([]string, n)
	for i := range out {
		d := sb.faults.decide("POST", paths[i%len(paths)])
		if d.rule != nil {
			out[i] = string(d.rule.Kind)
		}
		out[i] += "/" + d.latency.String()
	}
	return out
}

func TestFaults_sameSeedSameSequence(t *testing.T) {
	t.Parallel()
	a := faultSequence(t, 7, 300)
	assert.Equal(t, a, faultSequence(t, 7, 300))
	assert.NotEqual(t, a, faultSequence(t, 8, 300), "another seed gives other faults")
	kinds := map[string]bool{}
	for _, k := range a {
		kinds[k] = true
	}
	assert.Greater(t, len(kinds), 3, "several outcomes occur: %v", kinds)
}

func TestFaults_filtersByMethodAndPathPrefix(t *testing.T) {
	t.Parallel()
	sb := New()
	t.Cleanup(sb.Close)
	require.NoError(t, sb.SetFaults(FaultPlan{Rules: []FaultRule{{Method: "post", Path: "/v1/pay", Kind: FaultRateLimit, Rate: 1}}}))
	assert.NotNil(t, sb.faults.decide("POST", "/v1/payments/pay_1/confirm").rule)
	assert.Nil(t, sb.faults.decide("GET", "/v1/payments").rule)
	assert.Nil(t, sb.faults.decide("POST", "/v1/orders").rule)
	sb.ClearFaults()
	assert.Nil(t, sb.faults.decide("POST", "/v1/payments").rule)
}

func TestFaults_planValidation(t *testing.T) {
	t.Parallel()
	sb := New()
	t.Cleanup(sb.Close)
	for name, r := range map[string]FaultRule{
		"rate":   {Kind: FaultLatency, Rate: 1.5},
		"status": {Kind: FaultErrorBeforeCommit, Status: 418, Rate: 1},
		"kind":   {Kind: "explode", Rate: 1},
		"path":   {Kind: FaultRateLimit, Path: "v1", Rate: 1},
		"ms":     {Kind: FaultLatency, MS: -1, Rate: 1},
	} {
		err := sb.SetFaults(FaultPlan{Rules: []FaultRule{r}})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "rules.0."+name)
	}
}

// oneShot is a client that never reuses a connection, so the transport
// cannot silently resend a dropped keyed POST.
func oneShot() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func rawPost(t *testing.T, srv *Server, path, key string, body any) (*http.Response, error) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest("POST", srv.URL+path, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", srv.MerchantID)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := oneShot().Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

func TestFaults_dropAfterCommitCommitsThenReplays(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	orderID := newOrder(t, srv, 1999)
	require.NoError(t, srv.SetFaults(FaultPlan{Rules: []FaultRule{{Method: "POST", Path: "/v1/payments", Kind: FaultDropAfterCommit, Rate: 1}}}))

	_, err := rawPost(t, srv, "/v1/payments", "pay-once", cardPayment(orderID, "4242424242424242"))
	require.Error(t, err, "the connection is closed without a response")

	srv.ClearFaults()
	ord := api(t, srv, "GET", "/v1/orders/"+orderID, nil)
	assert.Equal(t, "paid", ord.str("status"), "the payment committed")

	again := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4242424242424242"), "Idempotency-Key", "pay-once")
	assert.Equal(t, 200, again.status)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"), "the retry replays the committed payment")
	assert.Equal(t, ord.str("payment_id"), again.str("id"))

	reqs := srv.Requests()
	var dropped []RequestRecord
	for _, r := range reqs {
		if r.Fault != "" {
			dropped = append(dropped, r)
		}
	}
	require.Len(t, dropped, 1)
	assert.Equal(t, string(FaultDropAfterCommit), dropped[0].Fault)
	assert.Equal(t, 200, dropped[0].Status, "the log shows what executed")
	assert.Equal(t, "pay-once", dropped[0].IdempotencyKey)
}

func TestFaults_beforeCommitExecutesNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rule   FaultRule
		status int
		code   string
		retry  string
	}{
		{FaultRule{Kind: FaultDropBeforeCommit, Rate: 1}, 0, "", ""},
		{FaultRule{Kind: FaultErrorBeforeCommit, Status: 503, Rate: 1}, 503, "service_unavailable", "1"},
		{FaultRule{Kind: FaultErrorBeforeCommit, Status: 502, Rate: 1}, 502, "internal_error", ""},
		{FaultRule{Kind: FaultRateLimit, RetryAfter: 3, Rate: 1}, 429, "rate_limited", "3"},
	}
	for _, c := range cases {
		t.Run(string(c.rule.Kind)+"_"+http.StatusText(c.status), func(t *testing.T) {
			t.Parallel()
			srv := Start(t, WithFrozenClock(t0))
			c.rule.Path = "/v1/orders"
			c.rule.Method = "POST"
			require.NoError(t, srv.SetFaults(FaultPlan{Rules: []FaultRule{c.rule}}))
			body := map[string]any{"merchant_order_id": "f1", "amount": 100, "currency": "CNY"}
			resp, err := rawPost(t, srv, "/v1/orders", "k", body)
			if c.status == 0 {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
				assert.Equal(t, c.status, resp.StatusCode)
				var pb map[string]any
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&pb))
				assert.Equal(t, c.code, pb["code"])
				assert.Equal(t, c.retry, resp.Header.Get("Retry-After"))
			}
			reqs := srv.Requests()
			require.NotEmpty(t, reqs)
			assert.Equal(t, "k", reqs[0].IdempotencyKey, "the log names the key of a faulted request")
			assert.Equal(t, string(c.rule.Kind), reqs[0].Fault)
			srv.ClearFaults()
			list := api(t, srv, "GET", "/v1/orders", nil)
			assert.Empty(t, list.body["data"], "nothing executed")
			again := api(t, srv, "POST", "/v1/orders", body, "Idempotency-Key", "k")
			assert.Equal(t, 200, again.status)
			assert.Equal(t, "false", again.header.Get("Idempotent-Replayed"), "the retry executes afresh")
		})
	}
}

func TestFaults_latencyLetsEvaluationGoOn(t *testing.T) {
	t.Parallel()
	sb := New()
	t.Cleanup(sb.Close)
	require.NoError(t, sb.SetFaults(FaultPlan{Rules: []FaultRule{
		{Kind: FaultLatency, MS: 5, Rate: 1},
		{Kind: FaultLatency, MS: 7, Rate: 1},
		{Kind: FaultRateLimit, Rate: 1},
	}}))
	d := sb.faults.decide("GET", "/v1/orders")
	require.NotNil(t, d.rule)
	assert.Equal(t, FaultRateLimit, d.rule.Kind)
	assert.Equal(t, "12ms", d.latency.String())
}

func TestFaults_andMaintenanceNeverTouchControlRoutes(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	require.NoError(t, srv.SetFaults(FaultPlan{Rules: []FaultRule{{Kind: FaultErrorBeforeCommit, Status: 500, Rate: 1}}}))
	srv.SetMaintenance(true)
	resp, err := srv.Client().Get(srv.URL + "/_sandbox/clock")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)

	srv.ClearFaults()
	r := api(t, srv, "GET", "/v1/orders", nil)
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "service_unavailable", r.str("code"))
	assert.Equal(t, "30", r.header.Get("Retry-After"))
	st := api(t, srv, "GET", "/v1/status", nil)
	assert.Equal(t, "maintenance", st.str("status"), "status is never blocked")
}
