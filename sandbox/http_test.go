package sandbox

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestServeHTTP_rejectsBadRequestsClearly(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	big := `{"merchant_order_id":"` + strings.Repeat("a", 1<<20) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		code               string
		param              any
	}{
		{"oversize body", "POST", "/v1/orders", big, nil, 400, "invalid_request", nil},
		{"form body", "POST", "/v1/orders", `a=b`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 400, "invalid_request", nil},
		{"bad idempotency key", "POST", "/v1/orders", `{}`, []string{"Idempotency-Key", "has space"}, 400, "invalid_request", "Idempotency-Key"},
		{"unknown path", "GET", "/v1/nothing", nil, nil, 404, "resource_missing", nil},
		{"wrong method", "DELETE", "/v1/orders", nil, nil, 405, "invalid_request", nil},
		{"bad currency", "POST", "/v1/orders", map[string]any{"merchant_order_id": "x", "amount": 1, "currency": "cny"}, nil, 400, "currency_unsupported", "currency"},
		{"amount too big", "POST", "/v1/orders", map[string]any{"merchant_order_id": "x", "amount": 100_000_000_000, "currency": "CNY"}, nil, 400, "amount_invalid", "amount"},
		{"luhn", "POST", "/v1/payments", cardPayment("ord_x", "4242424242424241"), nil, 400, "invalid_card_number", "method.card.number"},
		{"bad status filter", "GET", "/v1/payments?status=bogus", nil, nil, 400, "invalid_request", "status"},
		{"bad event type", "GET", "/v1/events?type=order.eaten", nil, nil, 400, "invalid_request", "type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := api(t, srv, c.method, c.path, c.body, c.headers...)
			assert.Equal(t, c.status, r.status, "%s", r.raw)
			assert.Equal(t, c.code, r.str("code"))
			assert.Equal(t, c.param, r.body["param"])
			assert.Equal(t, "application/problem+json", r.header.Get("Content-Type"))
			assert.Regexp(t, `^req_[a-z0-9]{24}$`, r.header.Get("Request-Id"))
			assert.Equal(t, r.header.Get("Request-Id"), r.str("request_id"))
			assert.Equal(t, APIVersion, r.header.Get("Tokenim-Version"))
			if c.status == 405 {
				assert.Equal(t, "POST, GET", r.header.Get("Allow"))
			}
		})
	}
}
