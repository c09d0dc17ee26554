package acceptance

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestControl_clock(t *testing.T) {
	e := start(t)
	e.freeze()
	before := e.now()
	assert.Equal(t, before, e.now(), "a frozen clock stands still")
	b := e.control("POST", "/_sandbox/clock/advance", map[string]any{"seconds": 90})
	assert.Equal(t, true, b["ok"])
	after, err := time.Parse(time.RFC3339Nano, str(b, "now"))
	require.NoError(t, err, "advance answers the new now: %v", b)
	assert.Equal(t, before.Add(90*time.Second), after)
	assert.Equal(t, after, e.now())

	o := e.order(1000)
	assert.Equal(t, fmtTime(after), str(o, "created_at"), "objects are stamped with the sandbox clock")

	r := e.do("POST", "/_sandbox/clock/advance", map[string]any{"seconds": -1}, noAuth())
	assert.Equal(t, 400, r.status, "the clock never goes back: %s", r.raw)
	assert.Equal(t, after, e.now())
	e.control("POST", "/_sandbox/clock/resume", nil)
	assert.False(t, e.now().Before(after), "resuming never moves the clock back")
}

func TestControl_reset(t *testing.T) {
	e := start(t)
	o := e.order(1000)
	e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": "https://example.com/h", "events": []string{"*"}}))
	e.setFaults(plan(map[string]any{"kind": "error_before_commit", "status": 500, "path": "/v1/refunds"}))
	e.maintenance(true)
	e.control("POST", "/_sandbox/reset", nil)

	e.fail(e.get("/v1/orders/"+str(o, "id")), 404, "resource_missing")
	for _, path := range []string{"/v1/orders", "/v1/payments", "/v1/refunds", "/v1/events", "/v1/webhook_endpoints"} {
		data, _ := e.list(path)
		assert.Empty(t, data, path)
	}
	e.list("/v1/refunds") // neither maintenance nor the fault survived
	assert.Equal(t, "operational", str(e.ok(e.get("/v1/status", noAuth())), "status"))
	// The default merchant and its key survive a reset.
	e.order(1000)
}

func TestControl_merchants(t *testing.T) {
	e := start(t)
	a, b := e.newMerchant(), e.newMerchant()
	assert.NotEqual(t, a.id, b.id)
	assert.NotEqual(t, a.apiKey, b.apiKey)
	assert.NotEqual(t, e.merchantID, a.id)
	oa := e.ok(e.post("/v1/orders", orderBody(1000, "CNY", nil), asMerchant(a)))
	e.fail(e.get("/v1/orders/"+str(oa, "id"), asMerchant(b)), 404, "resource_missing")
	e.fail(e.get("/v1/orders", as(a.apiKey, b.id)), 403, "merchant_mismatch")

	r := e.do("POST", "/_sandbox/merchants/mch_doesnotexist/restrict", map[string]any{"restricted": true}, noAuth())
	assert.Equal(t, 404, r.status, "%s", r.raw)
}

func TestControl_receiptNumbersPerMerchant(t *testing.T) {
	e := start(t)
	e.freeze()
	m := e.newMerchant()
	_, p1 := e.paidOrder(1000)
	_, p2 := e.paidOrder(1000)
	o := e.ok(e.post("/v1/orders", orderBody(1000, "CNY", nil), asMerchant(m)))
	pm := e.ok(e.pay(str(o, "id"), card("4242424242424242"), asMerchant(m)))
	seq := func(p map[string]any) string {
		n := str(p, "receipt_number")
		return n[strings.LastIndex(n, "-")+1:]
	}
	assert.Equal(t, seq(p1), seq(pm), "each merchant's receipts count from the same start")
	assert.NotEqual(t, seq(p1), seq(p2))
}
