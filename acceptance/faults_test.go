package acceptance

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plan is a fault plan of one rule that always fires.
func plan(rule map[string]any) map[string]any {
	rule["rate"] = 1.0
	return map[string]any{"seed": 7, "rules": []any{rule}}
}

func TestFaults_errorBeforeCommit(t *testing.T) {
	e := start(t)
	for _, c := range []struct {
		status int
		code   string
	}{
		{500, "internal_error"},
		{502, "internal_error"},
		{503, "service_unavailable"},
		{504, "internal_error"},
	} {
		t.Run(http.StatusText(c.status), func(t *testing.T) {
			e := e.at(t)
			e.setFaults(plan(map[string]any{"kind": "error_before_commit", "status": c.status, "method": "POST", "path": "/v1/orders"}))
			k := unique("key")
			body := orderBody(1000, "CNY", nil)
			r := e.post("/v1/orders", body, key(k))
			e.fail(r, c.status, c.code)
			if c.status == 503 {
				assert.Equal(t, "true", r.header.Get("Tokenim-Should-Retry"))
			}
			e.clearFaults()

			e.assertNoOrder(str(body, "merchant_order_id"))
			again := e.post("/v1/orders", body, key(k))
			o := e.ok(again)
			assert.Equal(t, "false", again.header.Get("Idempotent-Replayed"), "nothing was stored before commit")
			assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
		})
	}
}

func TestFaults_dropAfterCommit(t *testing.T) {
	e := start(t)
	o := e.order(1000)
	e.setFaults(plan(map[string]any{"kind": "drop_after_commit", "method": "POST", "path": "/v1/payments"}))
	k := unique("key")
	_, err := e.try("POST", "/v1/payments", map[string]any{"order_id": str(o, "id"), "method": card("4242424242424242")}, key(k))
	require.Error(t, err, "the connection is dropped without a response")

	e.clearFaults()
	order := e.getOrder(str(o, "id"))
	assert.Equal(t, "paid", str(order, "status"), "the payment was committed")
	pays, _ := e.list("/v1/payments?order_id=" + str(o, "id"))
	require.Len(t, pays, 1)
	pid := str(pays[0], "id")
	assert.Equal(t, pid, str(order, "payment_id"))

	r := e.pay(str(o, "id"), card("4242424242424242"), key(k))
	p := e.ok(r)
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"), "the retry replays the committed response")
	assert.Equal(t, pid, str(p, "id"))
	assert.Equal(t, "succeeded", str(p, "status"))
	pays, _ = e.list("/v1/payments?order_id=" + str(o, "id"))
	assert.Len(t, pays, 1, "the retry did not pay twice")
	assert.Len(t, e.eventsFor("payment.succeeded", pid), 1)
}

func TestFaults_dropBeforeCommit(t *testing.T) {
	e := start(t)
	e.setFaults(plan(map[string]any{"kind": "drop_before_commit", "method": "POST", "path": "/v1/orders"}))
	k := unique("key")
	body := orderBody(1000, "CNY", nil)
	_, err := e.try("POST", "/v1/orders", body, key(k))
	require.Error(t, err, "the connection is dropped without a response")

	e.clearFaults()
	e.assertNoOrder(str(body, "merchant_order_id"))
	r := e.post("/v1/orders", body, key(k))
	e.ok(r)
	assert.Equal(t, "false", r.header.Get("Idempotent-Replayed"), "the retry executes afresh")
	data, _ := e.list("/v1/orders?merchant_order_id=" + str(body, "merchant_order_id"))
	assert.Len(t, data, 1)
}

func TestFaults_rateLimit(t *testing.T) {
	e := start(t)
	e.setFaults(plan(map[string]any{"kind": "rate_limit", "retry_after": 3}))
	k := unique("key")
	body := orderBody(1000, "CNY", nil)
	r := e.post("/v1/orders", body, key(k))
	e.fail(r, 429, "rate_limited")
	assert.Equal(t, "3", r.header.Get("Retry-After"))
	assert.Equal(t, "true", r.header.Get("Tokenim-Should-Retry"))
	r = e.get("/v1/orders")
	e.fail(r, 429, "rate_limited")

	e.setFaults(plan(map[string]any{"kind": "rate_limit"}))
	r = e.get("/v1/orders")
	e.fail(r, 429, "rate_limited")
	assert.Equal(t, "1", r.header.Get("Retry-After"), "default retry_after is 1")

	e.clearFaults()
	e.assertNoOrder(str(body, "merchant_order_id"))
	again := e.post("/v1/orders", body, key(k))
	e.ok(again)
	assert.Equal(t, "false", again.header.Get("Idempotent-Replayed"))
}

func TestFaults_latency(t *testing.T) {
	e := start(t)
	e.setFaults(map[string]any{"seed": 1, "rules": []any{
		map[string]any{"kind": "latency", "ms": 50, "rate": 1.0},
		map[string]any{"kind": "error_before_commit", "status": 503, "rate": 1.0, "path": "/v1/refunds"},
	}})
	// Latency lets evaluation go on: the request still succeeds, or meets
	// the next rule that fires.
	o := e.order(1000)
	assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
	e.fail(e.get("/v1/refunds"), 503, "service_unavailable")
}

func TestFaults_filters(t *testing.T) {
	e := start(t)
	o := e.order(1000)
	e.setFaults(plan(map[string]any{"kind": "error_before_commit", "status": 503, "method": "POST", "path": "/v1/orders"}))

	e.fail(e.post("/v1/orders", orderBody(1000, "CNY", nil)), 503, "service_unavailable")
	e.fail(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil), 503, "service_unavailable") // path is a prefix
	e.ok(e.get("/v1/orders"))
	e.ok(e.get("/v1/orders/" + str(o, "id")))
	p := e.ok(e.pay(str(o, "id"), wallet("alipay")))
	assert.Equal(t, "succeeded", str(p, "status"))
	assert.Equal(t, "paid", str(e.getOrder(str(o, "id")), "status"), "the faulted cancel executed nothing")

	t.Run("first rule that fires applies", func(t *testing.T) {
		e := e.at(t)
		e.setFaults(map[string]any{"seed": 3, "rules": []any{
			map[string]any{"kind": "rate_limit", "rate": 1.0, "method": "GET"},
			map[string]any{"kind": "error_before_commit", "status": 502, "rate": 1.0},
		}})
		e.fail(e.get("/v1/orders"), 429, "rate_limited")
		e.fail(e.post("/v1/orders", orderBody(1000, "CNY", nil)), 502, "internal_error")
	})
	t.Run("rate 0 never fires", func(t *testing.T) {
		e := e.at(t)
		e.setFaults(map[string]any{"seed": 3, "rules": []any{
			map[string]any{"kind": "error_before_commit", "status": 500, "rate": 0.0},
		}})
		for i := 0; i < 10; i++ {
			e.ok(e.get("/v1/orders"))
		}
	})
	t.Run("control API is never faulted", func(t *testing.T) {
		e := e.at(t)
		e.setFaults(map[string]any{"seed": 3, "rules": []any{
			map[string]any{"kind": "drop_before_commit", "rate": 1.0},
		}})
		e.control("GET", "/_sandbox/clock", nil)
		e.control("POST", "/_sandbox/clock/advance", map[string]any{"seconds": 1})
		e.control("POST", "/_sandbox/maintenance", map[string]any{"enabled": false})
		e.clearFaults()
		e.ok(e.get("/v1/orders"))
	})
	t.Run("faults come before authentication", func(t *testing.T) {
		e := e.at(t)
		e.setFaults(plan(map[string]any{"kind": "error_before_commit", "status": 503}))
		e.fail(e.get("/v1/orders", noAuth()), 503, "service_unavailable")
		e.clearFaults()
		e.fail(e.get("/v1/orders", noAuth()), 401, "authentication_required")
	})
}

func TestFaults_invalidPlan(t *testing.T) {
	e := start(t)
	for _, bad := range []map[string]any{
		{"seed": 1, "rules": []any{map[string]any{"kind": "explode", "rate": 1.0}}},
		{"seed": 1, "rules": []any{map[string]any{"kind": "error_before_commit", "status": 418, "rate": 1.0}}},
		{"seed": 1, "rules": []any{map[string]any{"kind": "latency", "ms": 10, "rate": 1.5}}},
	} {
		r := e.do("POST", "/_sandbox/faults", bad, noAuth())
		assert.Equal(t, 400, r.status, "invalid plan %v: %s", bad, r.raw)
	}
	for i := 0; i < 3; i++ {
		e.ok(e.get("/v1/orders"))
	}
}

func TestFaults_sameSeedSameSequence(t *testing.T) {
	e := start(t)
	p := map[string]any{"seed": 42, "rules": []any{
		map[string]any{"kind": "error_before_commit", "status": 503, "rate": 0.5},
	}}
	run := func() []int {
		e.setFaults(p)
		var seq []int
		for i := 0; i < 24; i++ {
			seq = append(seq, e.get("/v1/orders").status)
		}
		e.clearFaults()
		return seq
	}
	first := run()
	second := run()
	assert.Equal(t, first, second, "the same seed and requests give the same faults")
	assert.Contains(t, first, 200)
	assert.Contains(t, first, 503)

	p["seed"] = 43
	third := run()
	p["seed"] = 42
	assert.Equal(t, first, run(), "installing the plan again restarts the sequence")
	t.Logf("seed 42: %v; seed 43: %v", first, third)
}
