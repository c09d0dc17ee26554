package acceptance

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuth_rejectsBadCredentials(t *testing.T) {
	e := start(t)
	other := e.newMerchant()
	cases := []struct {
		name   string
		opts   []opt
		status int
		code   string
		param  string
	}{
		{"missing Authorization", []opt{withHeader("Authorization", "")}, 401, "authentication_required", ""},
		{"Basic scheme", []opt{withHeader("Authorization", "Basic "+e.apiKey)}, 401, "authentication_required", ""},
		{"Bearer without token", []opt{withHeader("Authorization", "Bearer")}, 401, "authentication_required", ""},
		{"token not an API key", []opt{withHeader("Authorization", "Bearer hello")}, 401, "authentication_required", ""},
		{"unknown test key", []opt{withHeader("Authorization", "Bearer sk_test_doesnotexist0000000000")}, 401, "invalid_api_key", ""},
		{"live key", []opt{withHeader("Authorization", "Bearer sk_live_0123456789abcdef01234567")}, 401, "invalid_api_key", ""},
		{"missing merchant header", []opt{withHeader("Tokenim-Merchant-Id", "")}, 401, "authentication_required", "Tokenim-Merchant-Id"},
		{"merchant of another key", []opt{withHeader("Tokenim-Merchant-Id", other.id)}, 403, "merchant_mismatch", ""},
		{"unknown merchant", []opt{withHeader("Tokenim-Merchant-Id", "mch_doesnotexist")}, 403, "merchant_mismatch", ""},
	}
	for _, c := range cases {
		for _, call := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/orders", nil},
			{"POST", "/v1/orders", orderBody(1000, "CNY", nil)},
		} {
			t.Run(c.name+"/"+call.method, func(t *testing.T) {
				e := e.at(t)
				r := e.do(call.method, call.path, call.body, c.opts...)
				b := e.fail(r, c.status, c.code)
				if c.param != "" {
					assert.Equal(t, c.param, str(b, "param"))
				}
				assert.NotContains(t, string(r.raw), e.apiKey, "the API key never appears in a response")
				if call.method == "POST" {
					data, _ := e.list("/v1/orders?merchant_order_id=" + str(call.body.(map[string]any), "merchant_order_id"))
					assert.Empty(t, data, "a rejected create creates nothing")
				}
			})
		}
	}
}

func TestAuth_statusNeedsNoAuth(t *testing.T) {
	e := start(t)
	b := e.ok(e.get("/v1/status", noAuth()))
	assert.Equal(t, "status", str(b, "object"))
	assert.Equal(t, "operational", str(b, "status"))
}

// docs/tokenim-api.md §1: a restricted merchant gets 403 account_restricted
// on every call that takes money or creates something; reading, cancelling,
// deleting endpoints and rotating secrets stay allowed so that it can still
// secure its account.
func TestAuth_restrictedMerchantMayReadAndSecureButNotTakeMoney(t *testing.T) {
	e := start(t)
	m := e.newMerchant()
	me := e.at(t)
	// Create objects while unrestricted, then restrict.
	order := me.ok(me.post("/v1/orders", orderBody(1000, "CNY", nil), asMerchant(m)))
	paid := me.ok(me.post("/v1/orders", orderBody(2000, "CNY", nil), asMerchant(m)))
	pay := me.ok(me.pay(str(paid, "id"), card("4242424242424242"), asMerchant(m)))
	we := me.ok(me.post("/v1/webhook_endpoints", map[string]any{"url": "https://example.com/hook", "events": []string{"*"}}, asMerchant(m)))
	otpOrder := me.ok(me.post("/v1/orders", orderBody(3000, "CNY", nil), asMerchant(m)))
	otp := me.ok(me.pay(str(otpOrder, "id"), card("4000002760003184"), asMerchant(m)))
	e.restrict(m.id, true)

	t.Run("reads", func(t *testing.T) {
		e := e.at(t)
		for _, path := range []string{
			"/v1/orders", "/v1/orders/" + str(order, "id"), "/v1/payments", "/v1/payments/" + str(pay, "id"),
			"/v1/payments/" + str(pay, "id") + "/receipt", "/v1/refunds", "/v1/events", "/v1/webhook_endpoints",
		} {
			e.ok(e.get(path, asMerchant(m)))
		}
	})
	t.Run("money and creation refused", func(t *testing.T) {
		e := e.at(t)
		for _, w := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/v1/orders", orderBody(1000, "CNY", nil)},
			{"POST", "/v1/payments", map[string]any{"order_id": str(order, "id"), "method": card("4242424242424242")}},
			{"POST", "/v1/refunds", map[string]any{"payment_id": str(pay, "id")}},
			{"POST", "/v1/payments/" + str(otp, "id") + "/confirm", map[string]any{"otp": "000000"}},
			{"POST", "/v1/webhook_endpoints", map[string]any{"url": "https://example.com/h", "events": []string{"*"}}},
		} {
			r := e.do(w.method, w.path, w.body, asMerchant(m))
			e.fail(r, http.StatusForbidden, "account_restricted")
		}
		// Nothing changed.
		assert.Equal(t, "open", str(e.ok(e.get("/v1/orders/"+str(order, "id"), asMerchant(m))), "status"))
		assert.Equal(t, "requires_action", str(e.ok(e.get("/v1/payments/"+str(otp, "id"), asMerchant(m))), "status"))
		refunds, _ := e.list("/v1/refunds", asMerchant(m))
		assert.Empty(t, refunds)
		eps, _ := e.list("/v1/webhook_endpoints", asMerchant(m))
		assert.Len(t, eps, 1)
	})
	t.Run("securing allowed", func(t *testing.T) {
		e := e.at(t)
		assert.Equal(t, "canceled", str(e.ok(e.post("/v1/orders/"+str(order, "id")+"/cancel", nil, asMerchant(m))), "status"))
		assert.Equal(t, "canceled", str(e.ok(e.post("/v1/payments/"+str(otp, "id")+"/cancel", nil, asMerchant(m))), "status"))
		assert.NotEmpty(t, str(e.ok(e.post("/v1/webhook_endpoints/"+str(we, "id")+"/rotate_secret", nil, asMerchant(m))), "secret"))
		e.ok(e.do("DELETE", "/v1/webhook_endpoints/"+str(we, "id"), nil, asMerchant(m)))
	})
	t.Run("lifted", func(t *testing.T) {
		e := e.at(t)
		e.restrict(m.id, false)
		e.ok(e.post("/v1/orders", orderBody(1000, "CNY", nil), asMerchant(m)))
	})
}

func TestAuth_otherMerchantsObjectsAreMissing(t *testing.T) {
	e := start(t)
	e.freeze()
	order := e.order(1000)
	_, paid := e.paidOrder(2000)
	ref := e.ok(e.refund(str(paid, "id"), map[string]any{"amount": 100}))
	otp := e.ok(e.pay(str(e.order(3000), "id"), card("4000002760003184")))
	we := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": "https://example.com/hook", "events": []string{"*"}}))
	evs := e.events("")
	require.NotEmpty(t, evs)
	m := e.newMerchant()

	cases := []struct {
		name, method, path string
		body               any
		param              string
	}{
		{"get order", "GET", "/v1/orders/" + str(order, "id"), nil, ""},
		{"cancel order", "POST", "/v1/orders/" + str(order, "id") + "/cancel", nil, ""},
		{"pay order", "POST", "/v1/payments", map[string]any{"order_id": str(order, "id"), "method": card("4242424242424242")}, "order_id"},
		{"get payment", "GET", "/v1/payments/" + str(paid, "id"), nil, ""},
		{"receipt", "GET", "/v1/payments/" + str(paid, "id") + "/receipt", nil, ""},
		{"confirm payment", "POST", "/v1/payments/" + str(otp, "id") + "/confirm", map[string]any{"otp": "000000"}, ""},
		{"cancel payment", "POST", "/v1/payments/" + str(otp, "id") + "/cancel", nil, ""},
		{"refund payment", "POST", "/v1/refunds", map[string]any{"payment_id": str(paid, "id")}, "payment_id"},
		{"get refund", "GET", "/v1/refunds/" + str(ref, "id"), nil, ""},
		{"get event", "GET", "/v1/events/" + str(evs[0], "id"), nil, ""},
		{"rotate endpoint", "POST", "/v1/webhook_endpoints/" + str(we, "id") + "/rotate_secret", nil, ""},
		{"delete endpoint", "DELETE", "/v1/webhook_endpoints/" + str(we, "id"), nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			r := e.do(c.method, c.path, c.body, asMerchant(m))
			b := e.fail(r, http.StatusNotFound, "resource_missing")
			if c.param != "" {
				assert.Equal(t, c.param, str(b, "param"))
			}
		})
	}
	t.Run("lists are empty", func(t *testing.T) {
		e := e.at(t)
		for _, path := range []string{"/v1/orders", "/v1/payments", "/v1/refunds", "/v1/events", "/v1/webhook_endpoints"} {
			data, hasMore := e.list(path, asMerchant(m))
			assert.Empty(t, data, path)
			assert.False(t, hasMore, path)
		}
	})
	t.Run("owner's state unchanged", func(t *testing.T) {
		e := e.at(t)
		assert.Equal(t, "open", str(e.getOrder(str(order, "id")), "status"))
		assert.Equal(t, "requires_action", str(e.getPayment(str(otp, "id")), "status"))
		eps, _ := e.list("/v1/webhook_endpoints")
		assert.Len(t, eps, 1)
		refunds, _ := e.list("/v1/refunds")
		assert.Len(t, refunds, 1)
	})
	t.Run("starting_after of another merchant", func(t *testing.T) {
		e := e.at(t)
		r := e.get("/v1/orders?starting_after="+str(order, "id"), asMerchant(m))
		e.failParam(r, http.StatusBadRequest, "invalid_request", "starting_after")
	})
}

func TestAuth_keyNeverInErrors(t *testing.T) {
	e := start(t)
	m := e.newMerchant()
	r := e.get("/v1/orders", withHeader("Tokenim-Merchant-Id", m.id))
	e.fail(r, http.StatusForbidden, "merchant_mismatch")
	assert.NotContains(t, string(r.raw), e.apiKey)
	assert.NotContains(t, string(r.raw), strings.TrimPrefix(e.apiKey, "sk_test_"))
	for k, vs := range r.header {
		for _, v := range vs {
			assert.NotContains(t, v, e.apiKey, "header %s", k)
		}
	}
}
