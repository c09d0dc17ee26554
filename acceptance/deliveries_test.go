package acceptance

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Webhook deliveries, resend and catch-up (docs/tokenim-api.md §10).

// settle waits until no delivery attempt is in flight: advancing the clock
// by nothing runs what is due and waits for the attempts it started.
func (e *env) settle() { e.t.Helper(); e.advance(0) }

// deliveries lists an endpoint's deliveries with query q (may be empty).
func (e *env) deliveries(epID, q string) []map[string]any {
	e.t.Helper()
	path := "/v1/webhook_endpoints/" + epID + "/deliveries?limit=100"
	if q != "" {
		path += "&" + q
	}
	items, _ := e.list(path)
	return items
}

// endpointFor registers an endpoint at url for events.
func (e *env) endpointFor(url string, events ...string) map[string]any {
	e.t.Helper()
	return e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": url, "events": events}))
}

// assertDeliveryShape checks every field §10 lists.
func assertDeliveryShape(t *testing.T, d map[string]any) {
	t.Helper()
	for _, f := range []string{"id", "object", "event_id", "event_type", "webhook_endpoint_id", "status", "attempt_count",
		"last_attempt_at", "last_response_status", "last_error", "next_attempt_at", "created_at"} {
		assert.Contains(t, d, f, "delivery field %s", f)
	}
	assert.Regexp(t, `^whd_[0-9a-z]+$`, str(d, "id"))
	assert.Equal(t, "webhook_delivery", str(d, "object"))
	assertTime(t, d, "created_at")
	if str(d, "status") == "pending" {
		assertTime(t, d, "next_attempt_at")
	} else {
		assert.True(t, isNull(d, "next_attempt_at"), "next_attempt_at is null unless pending")
	}
	assert.False(t, !isNull(d, "last_response_status") && !isNull(d, "last_error"), "an answer and an error at once: %v", d)
}

func TestDeliveries_retriedUntilAnswered(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 2) // the two first attempts get 500
	we := e.endpointFor(rc.url, "*")
	weID := str(we, "id")
	o, p := e.paidOrder(1000)
	e.settle()

	ds := e.deliveries(weID, "")
	require.Len(t, ds, 2, "one delivery per event: payment.succeeded and order.paid")
	for _, d := range ds {
		assertDeliveryShape(t, d)
		assert.Equal(t, weID, str(d, "webhook_endpoint_id"))
		assert.Equal(t, "pending", str(d, "status"))
		assert.Equal(t, int64(1), num(d, "attempt_count"))
		assert.Equal(t, int64(500), num(d, "last_response_status"))
		assert.True(t, isNull(d, "last_error"), "the endpoint answered")
		last, next := assertTime(t, d, "last_attempt_at"), assertTime(t, d, "next_attempt_at")
		assert.Equal(t, 5*time.Second, next.Sub(last), "the first retry is 5 s later (§6)")
		ev := e.ok(e.get("/v1/events/" + str(d, "event_id")))
		assert.Equal(t, str(ev, "type"), str(d, "event_type"))
	}
	assert.Equal(t, []string{"order.paid", "payment.succeeded"}, []string{str(ds[0], "event_type"), str(ds[1], "event_type")},
		"newest first")
	assert.Equal(t, str(o, "id"), str(e.ok(e.get("/v1/events/"+str(ds[0], "event_id"))), "data.object.id"))
	assert.Equal(t, str(p, "id"), str(e.ok(e.get("/v1/events/"+str(ds[1], "event_id"))), "data.object.id"))

	// Filters and the single GET.
	byEvent := e.deliveries(weID, "event_id="+str(ds[1], "event_id"))
	require.Len(t, byEvent, 1)
	assert.Equal(t, str(ds[1], "id"), str(byEvent[0], "id"))
	assert.Len(t, e.deliveries(weID, "status=pending"), 2)
	assert.Empty(t, e.deliveries(weID, "status=succeeded"))
	one, more := e.list("/v1/webhook_endpoints/" + weID + "/deliveries?limit=1")
	require.Len(t, one, 1)
	assert.True(t, more)
	rest, more := e.list("/v1/webhook_endpoints/" + weID + "/deliveries?limit=1&starting_after=" + str(one[0], "id"))
	require.Len(t, rest, 1)
	assert.False(t, more)
	assert.Equal(t, str(ds[1], "id"), str(rest[0], "id"))
	got := e.ok(e.get("/v1/webhook_endpoints/" + weID + "/deliveries/" + str(ds[0], "id")))
	assert.Equal(t, ds[0], got)

	e.advance(5 * time.Second)
	for _, d := range e.deliveries(weID, "") {
		assertDeliveryShape(t, d)
		assert.Equal(t, "succeeded", str(d, "status"))
		assert.Equal(t, int64(2), num(d, "attempt_count"))
		assert.Equal(t, int64(204), num(d, "last_response_status"))
	}
	assert.Len(t, e.deliveries(weID, "status=succeeded"), 2)
}

func TestDeliveries_rejections(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 0)
	we := e.endpointFor(rc.url, "order.canceled")
	weID := str(we, "id")
	other := e.endpointFor(rc.url, "*")
	o := e.order(100)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
	e.settle()
	ds := e.deliveries(weID, "")
	require.Len(t, ds, 1)

	e.failParam(e.get("/v1/webhook_endpoints/"+weID+"/deliveries?status=retrying"), 400, "invalid_request", "status")
	e.failParam(e.get("/v1/webhook_endpoints/"+weID+"/deliveries?event_id=ord_1"), 400, "invalid_request", "event_id")
	e.fail(e.get("/v1/webhook_endpoints/we_doesnotexist/deliveries"), 404, "resource_missing")
	e.fail(e.get("/v1/webhook_endpoints/"+weID+"/deliveries/whd_doesnotexist"), 404, "resource_missing")
	// Another endpoint's delivery is not this endpoint's, by GET or as a cursor.
	e.fail(e.get("/v1/webhook_endpoints/"+str(other, "id")+"/deliveries/"+str(ds[0], "id")), 404, "resource_missing")
	e.failParam(e.get("/v1/webhook_endpoints/"+str(other, "id")+"/deliveries?starting_after="+str(ds[0], "id")), 400, "invalid_request", "starting_after")
	e.ok(e.do("DELETE", "/v1/webhook_endpoints/"+weID, nil))
	e.fail(e.get("/v1/webhook_endpoints/"+weID+"/deliveries"), 404, "resource_missing")
}

func TestDeliveries_connectionRefused(t *testing.T) {
	e := start(t)
	e.freeze()
	gone := httptest.NewServer(http.NotFoundHandler())
	addr := gone.URL
	gone.Close() // nothing listens there any more
	we := e.endpointFor(addr+"/hook", "order.canceled")
	o := e.order(100)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
	e.settle()
	ds := e.deliveries(str(we, "id"), "")
	require.Len(t, ds, 1)
	assertDeliveryShape(t, ds[0])
	assert.Equal(t, "connection_refused", str(ds[0], "last_error"))
	assert.True(t, isNull(ds[0], "last_response_status"), "no answer")
	assert.Equal(t, "pending", str(ds[0], "status"))
}

func TestResend_newDeliveryWithTheSameWebhookID(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 8) // the first delivery's 8 attempts all fail (1 + 7 retries, §6)
	we := e.endpointFor(rc.url, "order.canceled")
	weID := str(we, "id")
	o := e.order(100)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
	e.settle()
	ev := e.requireEvent("order.canceled", str(o, "id"))
	evID := str(ev, "id")

	pending, _ := e.list("/v1/events?pending_for=" + weID)
	require.Len(t, pending, 1, "a pending delivery makes the event pending for the endpoint")
	assert.Equal(t, evID, str(pending[0], "id"))

	e.advance(28 * time.Hour) // through the whole retry schedule (27 h 35 min 5 s)
	ds := e.deliveries(weID, "")
	require.Len(t, ds, 1)
	assert.Equal(t, "failed", str(ds[0], "status"))
	assert.Equal(t, int64(8), num(ds[0], "attempt_count"))
	assertDeliveryShape(t, ds[0])
	pending, _ = e.list("/v1/events?pending_for=" + weID)
	assert.Len(t, pending, 1, "a failed delivery leaves the event pending")
	for range 8 {
		rc.next(t)
	}

	// The resend: a new delivery, 202, pending, its webhook-id the event id.
	r := e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": weID}, key("resend-"+evID))
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.raw)
	e.checkCommon(r)
	d := r.body
	assertDeliveryShape(t, d)
	assert.NotEqual(t, str(ds[0], "id"), str(d, "id"))
	assert.Equal(t, evID, str(d, "event_id"))
	assert.Equal(t, "pending", str(d, "status"))
	assert.Equal(t, int64(0), num(d, "attempt_count"))
	got := rc.next(t)
	assert.Equal(t, evID, got.header.Get("webhook-id"), "webhook-id stays the event id")
	e.assertDelivery(got, str(we, "secret"))
	e.settle()

	// The same idempotency key replays the answer and sends nothing more.
	again := e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": weID}, key("resend-"+evID))
	require.Equal(t, http.StatusAccepted, again.status)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, str(d, "id"), str(again.body, "id"))
	e.settle()
	ds = e.deliveries(weID, "")
	require.Len(t, ds, 2, "one new delivery")
	assert.Equal(t, "succeeded", str(ds[0], "status"))
	assert.Equal(t, int64(1), num(ds[0], "attempt_count"))
	assert.Equal(t, "failed", str(ds[1], "status"), "the first delivery stays as it ended")
	pending, _ = e.list("/v1/events?pending_for=" + weID)
	assert.Empty(t, pending, "delivered by the resend")
	assert.Equal(t, int32(9), rc.seen.Load())
}

func TestResend_hasItsOwnRetrySchedule(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 3)
	we := e.endpointFor(rc.url, "order.canceled")
	weID := str(we, "id")
	o := e.order(100)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
	e.settle()
	evID := str(e.requireEvent("order.canceled", str(o, "id")), "id")
	e.advance(time.Second)
	resent := e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": weID})
	require.Equal(t, http.StatusAccepted, resent.status)
	e.settle()
	// First delivery failed at t, the resend at t+1 s: each retries 5 s after its own attempt.
	e.advance(4 * time.Second)
	first := e.ok(e.get("/v1/webhook_endpoints/" + weID + "/deliveries/" + str(e.deliveries(weID, "")[1], "id")))
	assert.Equal(t, int64(2), num(first, "attempt_count"), "the first delivery's retry ran at t+5 s")
	assert.Equal(t, "pending", str(first, "status"))
	own := e.ok(e.get("/v1/webhook_endpoints/" + weID + "/deliveries/" + str(resent.body, "id")))
	assert.Equal(t, int64(1), num(own, "attempt_count"), "the resend's retry is not due before t+6 s")
	e.advance(time.Second)
	own = e.ok(e.get("/v1/webhook_endpoints/" + weID + "/deliveries/" + str(resent.body, "id")))
	assert.Equal(t, int64(2), num(own, "attempt_count"))
	assert.Equal(t, "succeeded", str(own, "status"), "its second attempt is the receiver's fourth request")
}

func TestResend_rejections(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 0)
	cancels := e.endpointFor(rc.url, "order.canceled")
	o := e.order(100)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
	e.settle()
	evID := str(e.requireEvent("order.canceled", str(o, "id")), "id")
	refunds := e.endpointFor(rc.url, "refund.succeeded")

	e.failParam(e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": str(refunds, "id")}),
		409, "endpoint_not_subscribed", "webhook_endpoint")
	e.failParam(e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": "we_doesnotexist"}),
		404, "resource_missing", "webhook_endpoint")
	e.fail(e.post("/v1/events/evt_doesnotexist/resend", map[string]any{"webhook_endpoint": str(cancels, "id")}), 404, "resource_missing")
	e.failParam(e.post("/v1/events/"+evID+"/resend", map[string]any{}), 400, "invalid_request", "webhook_endpoint")
	e.failParam(e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": "ord_1"}), 400, "invalid_request", "webhook_endpoint")
	e.fail(e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": str(cancels, "id"), "extra": 1}), 400, "parameter_unknown")
	e.ok(e.do("DELETE", "/v1/webhook_endpoints/"+str(cancels, "id"), nil))
	e.failParam(e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": str(cancels, "id")}),
		404, "resource_missing", "webhook_endpoint")

	m := e.newMerchant()
	e.fail(e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": str(refunds, "id")}, asMerchant(m)),
		404, "resource_missing")

	// A resend creates a delivery: a restricted merchant cannot (§1), and
	// may still read its deliveries and events.
	all := e.endpointFor(rc.url, "*")
	e.restrict(e.merchantID, true)
	e.fail(e.post("/v1/events/"+evID+"/resend", map[string]any{"webhook_endpoint": str(all, "id")}), 403, "account_restricted")
	e.ok(e.get("/v1/events?pending_for=" + str(all, "id")))
	e.ok(e.get("/v1/webhook_endpoints/" + str(all, "id") + "/deliveries"))
}

func TestEvents_keptThirtyDays(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 0)
	we := e.endpointFor(rc.url, "*")
	weID := str(we, "id")
	old := e.order(100)
	e.ok(e.post("/v1/orders/"+str(old, "id")+"/cancel", nil))
	e.settle()
	oldEv := str(e.requireEvent("order.canceled", str(old, "id")), "id")
	require.Len(t, e.deliveries(weID, ""), 1)

	e.advance(30 * 24 * time.Hour)
	e.ok(e.get("/v1/events/" + oldEv))
	fresh := e.order(100)
	e.ok(e.post("/v1/orders/"+str(fresh, "id")+"/cancel", nil))
	e.settle()
	freshEv := str(e.requireEvent("order.canceled", str(fresh, "id")), "id")
	r := e.post("/v1/events/"+oldEv+"/resend", map[string]any{"webhook_endpoint": weID})
	assert.Equal(t, http.StatusAccepted, r.status, "an event exactly 30 days old is still kept and can be resent: %s", r.raw)
	e.settle()

	e.advance(time.Second)
	e.fail(e.get("/v1/events/"+oldEv), 404, "resource_missing")
	for _, ev := range e.allEvents() {
		assert.NotEqual(t, oldEv, str(ev, "id"), "an event older than 30 days is not listed")
	}
	e.fail(e.post("/v1/events/"+oldEv+"/resend", map[string]any{"webhook_endpoint": weID}), 409, "event_too_old")
	for _, d := range e.deliveries(weID, "") {
		assert.Equal(t, freshEv, str(d, "event_id"), "the old event's deliveries went with it")
	}
	e.ok(e.get("/v1/events/" + freshEv))
}

func TestEvents_catchUpFilters(t *testing.T) {
	e := start(t)
	e.freeze()
	down := newReceiver(t, 1000)
	we := e.endpointFor(down.url, "order.canceled")
	weID := str(we, "id")
	cancel := func() string {
		o := e.order(100)
		e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
		return str(e.requireEvent("order.canceled", str(o, "id")), "id")
	}
	t0 := e.now().Truncate(time.Second)
	first := cancel()
	e.advance(time.Hour)
	second := cancel()
	e.advance(time.Hour)
	third := cancel()
	e.settle()
	idsOf := func(q url.Values) []string {
		items, _ := e.list("/v1/events?" + q.Encode())
		return ids(items)
	}
	at := func(d time.Duration) string { return fmtTime(t0.Add(d)) }
	assert.Equal(t, []string{third, second, first}, idsOf(url.Values{"pending_for": {weID}}))
	assert.Equal(t, []string{second}, idsOf(url.Values{"created_gte": {at(time.Hour)}, "created_lt": {at(2 * time.Hour)}}),
		"created_gte is inclusive, created_lt exclusive")
	assert.Equal(t, []string{third, second}, idsOf(url.Values{"created_gte": {at(time.Hour)}}))
	assert.Equal(t, []string{first}, idsOf(url.Values{"created_lt": {at(time.Hour)}}))
	assert.Equal(t, []string{second}, idsOf(url.Values{"created_gte": {t0.Add(time.Hour).In(time.FixedZone("", 8*3600)).Format(time.RFC3339)},
		"created_lt": {at(time.Hour + time.Second)}, "pending_for": {weID}}), "any offset")

	// An endpoint made after the events has no delivery of them: nothing is pending for it.
	late := e.endpointFor(down.url, "*")
	assert.Empty(t, idsOf(url.Values{"pending_for": {str(late, "id")}}))

	e.failParam(e.get("/v1/events?created_gte=yesterday"), 400, "invalid_request", "created_gte")
	e.failParam(e.get("/v1/events?created_lt=2026-13-01T00:00:00Z"), 400, "invalid_request", "created_lt")
	e.failParam(e.get("/v1/events?pending_for=evt_1"), 400, "invalid_request", "pending_for")
	e.failParam(e.get("/v1/events?pending_for=we_doesnotexist"), 404, "resource_missing", "pending_for")
}
