package acceptance

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request log rules of docs/tokenim-api.md §7.

// logOf returns the request log of the call that answered r.
func (e *env) logOf(r *reply, opts ...opt) map[string]any {
	e.t.Helper()
	return e.ok(e.get("/v1/request_logs/"+r.header.Get("Request-Id"), opts...))
}

// notLogged asserts that the call that answered r left no request log.
func (e *env) notLogged(r *reply, opts ...opt) {
	e.t.Helper()
	e.fail(e.get("/v1/request_logs/"+r.header.Get("Request-Id"), opts...), 404, "resource_missing")
}

func TestRequestLogs_recordEveryCallWithoutBodyOrKey(t *testing.T) {
	e := start(t)
	e.freeze()
	body := orderBody(1999, "CNY", map[string]any{"description": "secret-ish description"})
	r := e.post("/v1/orders", body, key("log-1"))
	e.ok(r)
	l := e.logOf(r)
	assert.Equal(t, r.header.Get("Request-Id"), str(l, "id"), "id is the call's Request-Id")
	assert.Equal(t, "request_log", str(l, "object"))
	assert.Equal(t, "POST", str(l, "method"))
	assert.Equal(t, "/v1/orders", str(l, "path"))
	assert.Equal(t, int64(200), num(l, "status"))
	assertNull(t, l, "error_code")
	assert.Equal(t, "log-1", str(l, "idempotency_key"))
	assert.Equal(t, false, l["replayed"])
	assert.Equal(t, e.apiKey[len(e.apiKey)-4:], str(l, "api_key_last4"))
	assert.GreaterOrEqual(t, num(l, "duration_ms"), int64(0))
	assert.Equal(t, e.now(), assertTime(t, l, "created_at"))

	replay := e.post("/v1/orders", body, key("log-1"))
	assert.Equal(t, true, e.logOf(replay)["replayed"])

	// No body, no key, no query string in any log.
	missing := e.get("/v1/orders/ord_doesnotexist?expand=x")
	l = e.logOf(missing)
	assert.Equal(t, "/v1/orders/ord_doesnotexist", str(l, "path"), "path never includes the query string")
	assert.Equal(t, int64(404), num(l, "status"))
	assert.Equal(t, "resource_missing", str(l, "error_code"))
	raw := e.get("/v1/request_logs?limit=100").raw
	assert.NotContains(t, string(raw), e.apiKey)
	assert.NotContains(t, string(raw), "secret-ish")
}

func TestRequestLogs_callsToTheLogAreNotLogged(t *testing.T) {
	e := start(t)
	r := e.get("/v1/request_logs")
	e.ok(r)
	e.notLogged(r)
	e.notLogged(e.get("/v1/request_logs/req_doesnotexist00000000000"))
	data, _ := e.list("/v1/request_logs?limit=100")
	for _, l := range data {
		assert.NotContains(t, str(l, "path"), "/v1/request_logs")
	}
}

func TestRequestLogs_apiKeyCallsShowNoIdempotencyKey(t *testing.T) {
	e := start(t)
	k := e.currentKey()
	r := e.post("/v1/api_keys/"+str(k, "id")+"/roll", map[string]any{"expire_old_after_seconds": 600}, key("roll-log"))
	fresh := e.ok(r)
	l := e.logOf(r, as(str(fresh, "secret"), e.merchantID))
	assertNull(t, l, "idempotency_key")
	assert.Equal(t, k["last4"], l["api_key_last4"], "the roll was made with the old key")
	raw := e.get("/v1/request_logs?limit=100", as(str(fresh, "secret"), e.merchantID)).raw
	assert.NotContains(t, string(raw), str(fresh, "secret"), "a log never carries a secret")
}

func TestRequestLogs_whoseLog(t *testing.T) {
	e := start(t)
	other := e.newMerchant()
	last4 := e.apiKey[len(e.apiKey)-4:]

	// A recognised key naming another merchant: the key's merchant's log.
	r := e.get("/v1/orders", withHeader("Tokenim-Merchant-Id", other.id))
	e.fail(r, 403, "merchant_mismatch")
	l := e.logOf(r)
	assert.Equal(t, last4, str(l, "api_key_last4"))
	assert.Equal(t, "merchant_mismatch", str(l, "error_code"))
	e.notLogged(r, asMerchant(other))

	// No recognised key: the named merchant's log, without last4.
	for _, auth := range []string{"Bearer sk_test_unknown000000000000", "Basic xyz", ""} {
		r = e.get("/v1/orders", withHeader("Authorization", auth), withHeader("Tokenim-Merchant-Id", other.id))
		require.Equal(t, 401, r.status)
		l = e.logOf(r, asMerchant(other))
		assertNull(t, l, "api_key_last4")
		e.notLogged(r)
	}

	// An expired key is still recognised: its merchant's log, its last4.
	e.freeze()
	k := e.currentKey()
	fresh := e.roll(str(k, "id"), 60)
	e.advance(time.Minute)
	r = e.get("/v1/orders")
	e.fail(r, 401, "api_key_expired")
	l = e.logOf(r, as(str(fresh, "secret"), e.merchantID))
	assert.Equal(t, last4, str(l, "api_key_last4"))
	assert.Equal(t, "api_key_expired", str(l, "error_code"))
}

func TestRequestLogs_answersBeforeHandlingAreNotLogged(t *testing.T) {
	e := start(t)
	e.maintenance(true)
	r := e.get("/v1/orders")
	e.fail(r, 503, "service_unavailable")
	e.maintenance(false)
	e.notLogged(r)

	for _, rule := range []map[string]any{
		{"kind": "error_before_commit", "status": 500, "path": "/v1/orders"},
		{"kind": "rate_limit", "retry_after": 1, "path": "/v1/orders"},
	} {
		e.setFaults(plan(rule))
		r = e.get("/v1/orders")
		require.GreaterOrEqual(t, r.status, 429, "%v", rule)
		e.clearFaults()
		e.notLogged(r)
	}

	// Dropped before commit: no answer, and no log of the call.
	before, _ := e.list("/v1/request_logs?limit=100&path=/v1/orders")
	e.setFaults(plan(map[string]any{"kind": "drop_before_commit", "method": "POST", "path": "/v1/orders"}))
	_, err := e.try("POST", "/v1/orders", orderBody(100, "CNY", nil))
	require.Error(t, err)
	e.clearFaults()
	after, _ := e.list("/v1/request_logs?limit=100&path=/v1/orders")
	assert.Equal(t, ids(before), ids(after))

	// Dropped after commit: the call happened, so it is in the log.
	e.setFaults(plan(map[string]any{"kind": "drop_after_commit", "method": "POST", "path": "/v1/orders"}))
	_, err = e.try("POST", "/v1/orders", orderBody(100, "CNY", nil), key("dropped-after"))
	require.Error(t, err)
	e.clearFaults()
	data, _ := e.list("/v1/request_logs?idempotency_key=dropped-after")
	require.Len(t, data, 1)
	assert.Equal(t, int64(200), num(data[0], "status"))
}

func TestRequestLogs_filtersAndPages(t *testing.T) {
	e := start(t)
	e.freeze()
	t0 := e.now()
	created := e.post("/v1/orders", orderBody(100, "CNY", nil), key("f-1"))
	e.ok(created)
	e.advance(time.Minute)
	missing := e.get("/v1/payments/pay_doesnotexist")
	e.advance(time.Minute)
	listed := e.get("/v1/orders")
	bad := e.post("/v1/orders", map[string]any{"amount": 1})
	e.fail(bad, 400, "")
	id := func(r *reply) string { return r.header.Get("Request-Id") }

	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{id(bad), id(listed), id(missing), id(created)}},
		{"method=POST", []string{id(bad), id(created)}},
		{"status=200", []string{id(listed), id(created)}},
		{"status=2xx", []string{id(listed), id(created)}},
		{"status=4xx", []string{id(bad), id(missing)}},
		{"status=404", []string{id(missing)}},
		{"status=5xx", []string{}},
		{"path=/v1/orders", []string{id(bad), id(listed), id(created)}},
		{"path=/v1/pay", []string{id(missing)}},
		{"idempotency_key=f-1", []string{id(created)}},
		{"created_gte=" + url.QueryEscape(fmtTime(t0.Add(time.Minute))), []string{id(bad), id(listed), id(missing)}},
		{"created_lt=" + url.QueryEscape(fmtTime(t0.Add(time.Minute))), []string{id(created)}},
		{"method=GET&status=4xx", []string{id(missing)}},
	} {
		data, _ := e.list("/v1/request_logs?limit=100&" + c.query)
		assert.Equal(t, c.want, ids(data), "filter %q", c.query)
	}

	page, more := e.list("/v1/request_logs?limit=2")
	assert.True(t, more)
	assert.Equal(t, []string{id(bad), id(listed)}, ids(page))
	page, more = e.list("/v1/request_logs?limit=2&starting_after=" + id(listed))
	assert.False(t, more)
	assert.Equal(t, []string{id(missing), id(created)}, ids(page))

	for _, bad := range []struct{ query, param string }{
		{"status=200x", "status"}, {"status=3xx", "status"}, {"status=99", "status"},
		{"method=get", "method"}, {"path=v1/orders", "path"},
		{"created_gte=yesterday", "created_gte"}, {"created_lt=2026-11-21", "created_lt"},
		{"limit=0", "limit"}, {"limit=101", "limit"}, {"starting_after=req_doesnotexist0000000000", "starting_after"},
	} {
		e.failParam(e.get("/v1/request_logs?"+bad.query), 400, "invalid_request", bad.param)
	}
}

func TestRequestLogs_keptThirtyDays(t *testing.T) {
	e := start(t)
	e.freeze()
	old := e.get("/v1/orders")
	e.advance(24 * time.Hour)
	newer := e.get("/v1/orders")
	e.advance(29 * 24 * time.Hour)
	e.notLogged(old)
	e.ok(e.get("/v1/request_logs/" + newer.header.Get("Request-Id")))
	data, _ := e.list("/v1/request_logs?limit=100")
	assert.Equal(t, []string{newer.header.Get("Request-Id")}, ids(data))
	e.advance(24 * time.Hour)
	e.notLogged(newer)
}

func TestRequestLogs_merchantsSeeOnlyTheirOwn(t *testing.T) {
	e := start(t)
	other := e.newMerchant()
	r := e.get("/v1/orders")
	e.notLogged(r, asMerchant(other))
	e.fail(e.get("/v1/request_logs?limit=100&starting_after="+r.header.Get("Request-Id"), asMerchant(other)), 400, "invalid_request")
}
