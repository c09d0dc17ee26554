package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSandbox_merchantsAreIsolated(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	other := srv.AddMerchant()
	orderID := newOrder(t, srv, 100)

	r := apiAs(t, srv, other, "GET", "/v1/orders/"+orderID, nil)
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "resource_missing", r.str("code"))
	r = apiAs(t, srv, other, "POST", "/v1/payments", cardPayment(orderID, "4242424242424242"))
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "order_id", r.str("param"))
	assert.Empty(t, apiAs(t, srv, other, "GET", "/v1/orders", nil).body["data"])
	assert.Empty(t, srv.Events(other.ID))

	mismatch := apiAs(t, srv, Merchant{ID: other.ID, key: &credentials{apiKey: seal(srv.APIKey())}}, "GET", "/v1/orders", nil)
	assert.Equal(t, 403, mismatch.status)
	assert.Equal(t, "merchant_mismatch", mismatch.str("code"))

	require.NoError(t, srv.RestrictMerchant(other.ID, true))
	w := apiAs(t, srv, other, "POST", "/v1/orders", map[string]any{"merchant_order_id": "x", "amount": 1, "currency": "CNY"})
	assert.Equal(t, 403, w.status)
	assert.Equal(t, "account_restricted", w.str("code"))
	assert.Equal(t, 200, apiAs(t, srv, other, "GET", "/v1/orders", nil).status, "reads still work")
	assert.Error(t, srv.RestrictMerchant("mch_nope", true))
}

func TestPayments_declineRecordsFailedPaymentAndMovesNoMoney(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	orderID := newOrder(t, srv, 1999)
	r := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4000000000009995"))
	require.Equal(t, 402, r.status)
	assert.Equal(t, "card_declined", r.str("code"))
	assert.Equal(t, "insufficient_funds", r.str("decline_code"))
	p := api(t, srv, "GET", "/v1/payments/"+r.str("payment_id"), nil)
	assert.Equal(t, "failed", p.str("status"))
	assert.Equal(t, "insufficient_funds", p.str("failure_code"))
	assert.EqualValues(t, 0, p.body["fee"])
	assert.Equal(t, "open", api(t, srv, "GET", "/v1/orders/"+orderID, nil).str("status"))

	ok := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "5555555555554444"))
	require.Equal(t, 200, ok.status)
	assert.EqualValues(t, 88, ok.body["fee"], "2.9%% of 1999 = 57.971 → 58, + 30")
	assert.EqualValues(t, 1911, ok.body["net"])
	again := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4242424242424242"))
	assert.Equal(t, 409, again.status)
	assert.Equal(t, "order_already_paid", again.str("code"))
	assert.Equal(t, ok.str("id"), again.str("payment_id"))
}

func TestPayments_otpThreeTries(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	orderID := newOrder(t, srv, 500)
	r := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4000002760003184"))
	require.Equal(t, 200, r.status)
	assert.Equal(t, "requires_action", r.str("status"))
	pid := r.str("id")
	second := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4242424242424242"))
	assert.Equal(t, "payment_in_progress", second.str("code"))
	for i := 1; i <= 3; i++ {
		c := api(t, srv, "POST", "/v1/payments/"+pid+"/confirm", map[string]any{"otp": "123456"})
		assert.Equal(t, 402, c.status)
		assert.Equal(t, "authentication_failed", c.str("code"))
	}
	p := api(t, srv, "GET", "/v1/payments/"+pid, nil)
	assert.Equal(t, "failed", p.str("status"))
	assert.Equal(t, "authentication_failed", p.str("failure_code"))
	late := api(t, srv, "POST", "/v1/payments/"+pid+"/confirm", map[string]any{"otp": "000000"})
	assert.Equal(t, 409, late.status)
	assert.Equal(t, "payment_unexpected_state", late.str("code"))
}

func TestRefunds_pendingThenSettledByTheClock(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	orderID := newOrder(t, srv, 10000)
	pid := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4242424242424242")).str("id")
	r1 := api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": pid, "amount": 3000})
	require.Equal(t, 200, r1.status, "%s", r1.raw)
	assert.Equal(t, "pending", r1.str("status"))
	r2 := api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": pid, "amount": 7013})
	assert.Equal(t, "refund_exceeds_remaining", r2.str("code"), "pending refunds count against the remainder")
	assert.Equal(t, "At most 7000 (CNY minor units) remains to refund on this payment.", r2.str("detail"), "the detail names the currency")
	r3 := api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": pid, "amount": 2013, "reason": "duplicate"})
	require.Equal(t, 200, r3.status)

	srv.Advance(5 * time.Minute)
	assert.Equal(t, "succeeded", api(t, srv, "GET", "/v1/refunds/"+r1.str("id"), nil).str("status"))
	failed := api(t, srv, "GET", "/v1/refunds/"+r3.str("id"), nil)
	assert.Equal(t, "failed", failed.str("status"))
	assert.Equal(t, "refund_declined", failed.str("failure_code"))
	ord := api(t, srv, "GET", "/v1/orders/"+orderID, nil)
	assert.Equal(t, "partially_refunded", ord.str("status"))
	assert.EqualValues(t, 3000, ord.body["amount_refunded"])

	rest := api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": pid})
	require.Equal(t, 200, rest.status)
	assert.EqualValues(t, 7000, rest.body["amount"], "default: all that remains (failed refunds free their amount)")
	srv.Advance(5 * time.Minute)
	assert.Equal(t, "refunded", api(t, srv, "GET", "/v1/orders/"+orderID, nil).str("status"))

	o2 := newOrder(t, srv, 100)
	p2 := api(t, srv, "POST", "/v1/payments", cardPayment(o2, "4242424242424242")).str("id")
	srv.Advance(180*24*time.Hour + time.Second)
	late := api(t, srv, "POST", "/v1/refunds", map[string]any{"payment_id": p2})
	assert.Equal(t, "refund_window_expired", late.str("code"))
}

func TestSandbox_listsNewestFirstWithPagination(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	var ids []string
	for range 5 {
		ids = append(ids, newOrder(t, srv, 100))
	}
	page := api(t, srv, "GET", "/v1/orders?limit=2", nil)
	require.Equal(t, 200, page.status)
	got := page.body["data"].([]any)
	require.Len(t, got, 2)
	assert.Equal(t, ids[4], got[0].(map[string]any)["id"], "same second: newest by creation order")
	assert.Equal(t, true, page.body["has_more"])
	rest := api(t, srv, "GET", "/v1/orders?limit=10&starting_after="+ids[3], nil)
	assert.Len(t, rest.body["data"], 3)
	assert.Equal(t, false, rest.body["has_more"])
	assert.Equal(t, "limit", api(t, srv, "GET", "/v1/orders?limit=101", nil).str("param"))
	assert.Equal(t, "starting_after", api(t, srv, "GET", "/v1/orders?starting_after=ord_nope", nil).str("param"))
}

func TestSandbox_rateLimitAndReset(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0), WithRateLimit(1))
	// The bucket refills on real time (a frozen clock must not starve it), so
	// look for the 429 over a few immediate requests rather than exactly the
	// second: a stalled test machine may let a token back in between.
	assert.Equal(t, 200, api(t, srv, "GET", "/v1/orders", nil).status)
	var r result
	for range 5 {
		if r = api(t, srv, "GET", "/v1/orders", nil); r.status != 200 {
			break
		}
	}
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "rate_limited", r.str("code"))
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	srv.SetRateLimit(0)
	newOrder(t, srv, 100)
	require.NotEmpty(t, srv.Requests())

	srv.Reset()
	assert.Empty(t, srv.Requests())
	assert.Empty(t, srv.Events(srv.MerchantID))
	assert.Empty(t, api(t, srv, "GET", "/v1/orders", nil).body["data"], "objects are gone, credentials still work")
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	ctl := func(method, path, body string) map[string]any {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		out["_status"] = resp.StatusCode
		return out
	}
	adv := ctl("POST", "/_sandbox/clock/advance", `{"seconds":3600}`)
	assert.Equal(t, true, adv["ok"])
	assert.Equal(t, "2026-11-21T10:30:00Z", adv["now"])
	assert.Equal(t, "2026-11-21T10:30:00Z", ctl("GET", "/_sandbox/clock", "")["now"])
	assert.Equal(t, "parameter_unknown", ctl("POST", "/_sandbox/clock/advance", `{"secs":1}`)["code"])

	m := ctl("POST", "/_sandbox/merchants", `{}`)
	require.Equal(t, 200, m["_status"])
	mer := Merchant{ID: m["id"].(string), key: &credentials{apiKey: seal(m["api_key"].(string))}}
	assert.Equal(t, 200, apiAs(t, srv, mer, "GET", "/v1/orders", nil).status)
	assert.Equal(t, true, ctl("POST", "/_sandbox/merchants/"+mer.ID+"/restrict", `{"restricted":true}`)["ok"])
	assert.Equal(t, "account_restricted", apiAs(t, srv, mer, "POST", "/v1/orders", `{}`).str("code"))

	assert.Equal(t, true, ctl("POST", "/_sandbox/faults", `{"seed":1,"rules":[{"kind":"rate_limit","rate":1}]}`)["ok"])
	assert.Equal(t, 429, api(t, srv, "GET", "/v1/orders", nil).status)
	assert.Equal(t, "rules.0.rate", ctl("POST", "/_sandbox/faults", `{"rules":[{"kind":"latency"}]}`)["param"])
	assert.Equal(t, true, ctl("DELETE", "/_sandbox/faults", "")["ok"])
	assert.Equal(t, true, ctl("POST", "/_sandbox/maintenance", `{"enabled":true}`)["ok"])
	assert.Equal(t, 503, api(t, srv, "GET", "/v1/orders", nil).status)
	assert.Equal(t, true, ctl("POST", "/_sandbox/reset", "")["ok"])
	assert.Equal(t, 200, api(t, srv, "GET", "/v1/orders", nil).status)
	reqs := ctl("GET", "/_sandbox/requests", "")["data"].([]any)
	assert.Len(t, reqs, 1, "reset cleared the log; only the last call is there")
}

// A bare `curl -d '{"seconds":60}'` sends a form content type; the control API
// takes it, while /v1/ keeps requiring JSON.
func TestControlAPI_acceptsAnyContentType(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	resp, err := srv.Client().Post(srv.URL+"/_sandbox/clock/advance", "application/x-www-form-urlencoded", strings.NewReader(`{"seconds":60}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, t0.Add(time.Minute), srv.Clock().Now())

	r := api(t, srv, "POST", "/v1/orders", `{}`, "Content-Type", "application/x-www-form-urlencoded")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "invalid_request", r.str("code"))
}
