package acceptance

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStatus_operational(t *testing.T) {
	e := start(t)
	for _, opts := range [][]opt{nil, {noAuth()}, {withHeader("Authorization", "Bearer sk_live_nope")}} {
		b := e.ok(e.get("/v1/status", opts...))
		assert.Equal(t, "status", str(b, "object"))
		assert.Equal(t, "operational", str(b, "status"))
		assert.Contains(t, b, "message")
		assertTime(t, b, "updated_at")
	}
}

func TestStatus_maintenance(t *testing.T) {
	e := start(t)
	o := e.order(1000)
	e.maintenance(true)

	st := e.ok(e.get("/v1/status", noAuth()))
	assert.Equal(t, "maintenance", str(st, "status"))
	assertTime(t, st, "updated_at")

	for _, c := range []struct {
		name, method, path string
		body               any
		opts               []opt
	}{
		{"list", "GET", "/v1/orders", nil, nil},
		{"get", "GET", "/v1/orders/" + str(o, "id"), nil, nil},
		{"create", "POST", "/v1/orders", orderBody(1000, "CNY", nil), []opt{key(unique("key"))}},
		{"cancel", "POST", "/v1/orders/" + str(o, "id") + "/cancel", nil, nil},
		{"unauthenticated", "GET", "/v1/orders", nil, []opt{noAuth()}},
		{"delete", "DELETE", "/v1/webhook_endpoints/we_x", nil, nil},
		{"events", "GET", "/v1/events", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			r := e.do(c.method, c.path, c.body, c.opts...)
			e.fail(r, 503, "service_unavailable")
			assert.Equal(t, "30", r.header.Get("Retry-After"))
			assert.Equal(t, "true", r.header.Get("Tokenim-Should-Retry"))
		})
	}
	t.Run("control API unaffected", func(t *testing.T) {
		e := e.at(t)
		e.control("GET", "/_sandbox/clock", nil)
		e.control("POST", "/_sandbox/clock/freeze", nil)
		e.control("POST", "/_sandbox/clock/resume", nil)
	})
	t.Run("nothing executed", func(t *testing.T) {
		e := e.at(t)
		e.maintenance(false)
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
		data, _ := e.list("/v1/orders")
		assert.Len(t, data, 1)
		st := e.ok(e.get("/v1/status", noAuth()))
		assert.Equal(t, "operational", str(st, "status"))
	})
	t.Run("keyed POST during maintenance is not stored", func(t *testing.T) {
		e := e.at(t)
		k := unique("key")
		body := orderBody(1000, "CNY", nil)
		e.maintenance(true)
		e.fail(e.post("/v1/orders", body, key(k)), 503, "service_unavailable")
		e.maintenance(false)
		r := e.post("/v1/orders", body, key(k))
		e.ok(r)
		assert.Equal(t, "false", r.header.Get("Idempotent-Replayed"))
	})
}

// untilLimited sends POST /v1/orders, each with a fresh key and body, until
// one answers 429; it returns that answer with its key and body, and how many
// executed before it.
func (e *env) untilLimited() (limited *reply, k string, body map[string]any, executed int) {
	e.t.Helper()
	for i := 0; i < 20; i++ {
		k, body = unique("key"), orderBody(1000, "CNY", nil)
		r := e.post("/v1/orders", body, key(k))
		switch r.status {
		case 429:
			return r, k, body, executed
		case 200:
			executed++
		default:
			e.t.Fatalf("unexpected %d: %s", r.status, r.raw)
		}
	}
	e.t.Fatal("a 1/s limit answers 429 within 20 immediate requests")
	return nil, "", nil, executed
}

func TestRateLimit(t *testing.T) {
	e := start(t)
	e.freeze()
	e.control("POST", "/_sandbox/rate_limit", map[string]any{"per_second": 1})
	limited, k, body, executed := e.untilLimited()
	e.fail(limited, 429, "rate_limited")
	ra, err := strconv.Atoi(limited.header.Get("Retry-After"))
	if assert.NoError(t, err, "Retry-After is whole seconds") {
		assert.GreaterOrEqual(t, ra, 1)
	}
	assert.Equal(t, "true", limited.header.Get("Tokenim-Should-Retry"))
	assert.NotEqual(t, "true", limited.header.Get("Idempotent-Replayed"))

	t.Run("other merchants have their own bucket", func(t *testing.T) {
		e := e.at(t)
		m := e.newMerchant()
		e.ok(e.get("/v1/orders", asMerchant(m)))
	})
	t.Run("status and control API are not limited", func(t *testing.T) {
		e := e.at(t)
		for i := 0; i < 5; i++ {
			e.ok(e.get("/v1/status", noAuth()))
			e.control("GET", "/_sandbox/clock", nil)
		}
	})
	t.Run("off again", func(t *testing.T) {
		e := e.at(t)
		e.control("POST", "/_sandbox/rate_limit", map[string]any{"per_second": 0})
		for i := 0; i < 5; i++ {
			e.ok(e.get("/v1/orders"))
		}
		data, _ := e.list("/v1/orders")
		assert.Len(t, data, executed, "the 429 executed nothing")
	})
	t.Run("429 is not stored", func(t *testing.T) {
		e := e.at(t)
		r := e.post("/v1/orders", body, key(k))
		e.ok(r)
		assert.Equal(t, "false", r.header.Get("Idempotent-Replayed"), "the retry after a 429 executes")
	})
}
