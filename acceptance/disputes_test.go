package acceptance

// Disputes (docs/tokenim-api.md §8), one test per rule.

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertDisputeShape checks the fields every dispute carries.
func assertDisputeShape(t *testing.T, d map[string]any) {
	t.Helper()
	assert.True(t, strings.HasPrefix(str(d, "id"), "dp_"), "dispute id %q", str(d, "id"))
	assert.Equal(t, "dispute", str(d, "object"))
	for _, f := range []string{"payment_id", "order_id", "amount", "currency", "fee", "reason", "status",
		"evidence", "evidence_due_by", "submitted_at", "created_at", "closed_at"} {
		assert.Contains(t, d, f, "dispute field %s", f)
	}
	for _, f := range []string{"product_description", "customer_communication", "shipping_tracking_number",
		"refund_policy", "uncategorized_text"} {
		assert.Contains(t, obj(d, "evidence"), f, "evidence field %s", f)
	}
}

// openDispute opens a dispute through the control API.
func (e *env) openDispute(paymentID, reason string) map[string]any {
	e.t.Helper()
	return e.control("POST", "/_sandbox/disputes", map[string]any{"payment_id": paymentID, "reason": reason})
}

// disputedPayment pays an order of amount and opens a dispute on it.
func (e *env) disputedPayment(amount int64) (payment, dispute map[string]any) {
	e.t.Helper()
	_, p := e.paidOrder(amount)
	return p, e.openDispute(str(p, "id"), "fraudulent")
}

func (e *env) evidence(id string, evidence map[string]any, submit bool) *reply {
	e.t.Helper()
	return e.post("/v1/disputes/"+id+"/evidence", map[string]any{"evidence": evidence, "submit": submit})
}

func (e *env) getDispute(id string) map[string]any {
	e.t.Helper()
	return e.ok(e.get("/v1/disputes/" + id))
}

func TestDisputes_openedOnSucceededCardPayment(t *testing.T) {
	e := start(t)
	e.freeze()
	now := e.now()
	o, p := e.paidOrder(5000)
	d := e.openDispute(str(p, "id"), "product_not_received")
	assertDisputeShape(t, d)
	assert.Equal(t, str(p, "id"), str(d, "payment_id"))
	assert.Equal(t, str(o, "id"), str(d, "order_id"))
	assert.Equal(t, int64(5000), num(d, "amount"))
	assert.Equal(t, "CNY", str(d, "currency"))
	assert.Equal(t, int64(1500), num(d, "fee"), "the dispute fee is 1500 minor units")
	assert.Equal(t, "product_not_received", str(d, "reason"))
	assert.Equal(t, "needs_response", str(d, "status"))
	assert.Equal(t, fmtTime(now.Add(7*24*time.Hour)), str(d, "evidence_due_by"), "opened + 7 days")
	assertNull(t, d, "submitted_at", "closed_at")
	assertNull(t, obj(d, "evidence"), "product_description", "uncategorized_text")
	assert.Equal(t, d, e.getDispute(str(d, "id")))
	assert.True(t, e.getPayment(str(p, "id"))["disputed"].(bool), "payment.disputed turns true")
	ev := e.requireEvent("dispute.created", str(d, "id"))
	assert.Equal(t, d, obj(ev, "data.object"))
}

func TestDisputes_amountIsWhatIsLeftUnrefunded(t *testing.T) {
	e := start(t)
	e.freeze()
	_, p := e.paidOrder(5000)
	e.ok(e.refund(str(p, "id"), map[string]any{"amount": 1200}))
	e.ok(e.refund(str(p, "id"), map[string]any{"amount": 113})) // ends in 13: fails
	e.advance(6 * time.Minute)
	d := e.openDispute(str(p, "id"), "duplicate")
	assert.Equal(t, int64(3800), num(d, "amount"), "5000 minus the non-failed refund of 1200")
}

func TestDisputes_feeIs1500MinorUnitsInEveryCurrency(t *testing.T) {
	e := start(t)
	for _, cur := range []string{"JPY", "KWD", "USD"} {
		o := e.ok(e.post("/v1/orders", orderBody(100000, cur, nil)))
		p := e.ok(e.pay(str(o, "id"), card("4242424242424242")))
		d := e.openDispute(str(p, "id"), "other")
		assert.Equal(t, int64(1500), num(d, "fee"), cur)
		assert.Equal(t, cur, str(d, "currency"))
	}
}

func TestDisputes_notDisputable(t *testing.T) {
	e := start(t)
	e.freeze()
	wal := e.order(1000)
	wp := e.ok(e.pay(str(wal, "id"), wallet("alipay")))
	bt := e.order(1000)
	bp := e.ok(e.pay(str(bt, "id"), bank()))
	_, full := e.paidOrder(1000)
	e.ok(e.refund(str(full, "id"), nil))
	_, twice := e.paidOrder(1000)
	e.openDispute(str(twice, "id"), "fraudulent")
	declined := e.order(1000)
	dp := e.fail(e.pay(str(declined, "id"), card("4000000000000002")), 402, "card_declined")

	for name, pid := range map[string]string{
		"wallet": str(wp, "id"), "processing bank transfer": str(bp, "id"), "refunded in full": str(full, "id"),
		"already disputed": str(twice, "id"), "failed": str(dp, "payment_id"),
	} {
		r := e.do("POST", "/_sandbox/disputes", map[string]any{"payment_id": pid, "reason": "fraudulent"}, noAuth())
		b := e.fail(r, http.StatusConflict, "payment_not_disputable")
		assert.Equal(t, pid, str(b, "payment_id"), name)
	}
	disputes, _ := e.list("/v1/disputes?payment_id=" + str(twice, "id"))
	assert.Len(t, disputes, 1, "a payment gets one dispute")
	e.fail(e.do("POST", "/_sandbox/disputes", map[string]any{"payment_id": "pay_nope"}, noAuth()), 404, "resource_missing")
	e.failParam(e.do("POST", "/_sandbox/disputes", map[string]any{"payment_id": str(full, "id"), "reason": "angry"}, noAuth()),
		400, "invalid_request", "reason")
}

func TestDisputes_testCardsOpenAnHourLater(t *testing.T) {
	e := start(t)
	e.freeze()
	for number, reason := range map[string]string{"4000000000000259": "fraudulent", "4000000000002685": "product_not_received"} {
		o := e.order(2500)
		p := e.ok(e.pay(str(o, "id"), card(number)))
		require.Equal(t, "succeeded", str(p, "status"), "a dispute card succeeds")
		e.advance(59 * time.Minute)
		none, _ := e.list("/v1/disputes?payment_id=" + str(p, "id"))
		assert.Empty(t, none, "no dispute before an hour")
		e.advance(time.Minute)
		ds, _ := e.list("/v1/disputes?payment_id=" + str(p, "id"))
		require.Len(t, ds, 1)
		assert.Equal(t, reason, str(ds[0], "reason"))
		assert.Equal(t, int64(2500), num(ds[0], "amount"))
		e.requireEvent("dispute.created", str(ds[0], "id"))
	}
}

func TestDisputes_testCardNotDisputableAfterFullRefund(t *testing.T) {
	e := start(t)
	e.freeze()
	o := e.order(2500)
	p := e.ok(e.pay(str(o, "id"), card("4000000000000259")))
	e.ok(e.refund(str(p, "id"), nil))
	e.advance(2 * time.Hour)
	ds, _ := e.list("/v1/disputes?payment_id=" + str(p, "id"))
	assert.Empty(t, ds, "a payment refunded in full before the hour is not disputed")
	assert.False(t, e.getPayment(str(p, "id"))["disputed"].(bool))
}

func TestDisputes_evidenceIsStagedFieldByField(t *testing.T) {
	e := start(t)
	e.freeze()
	_, d := e.disputedPayment(3000)
	id := str(d, "id")
	a := e.ok(e.evidence(id, map[string]any{"product_description": "Blue mug", "refund_policy": "30 days"}, false))
	assert.Equal(t, "needs_response", str(a, "status"), "staging does not submit")
	b := e.ok(e.evidence(id, map[string]any{"refund_policy": "60 days", "shipping_tracking_number": "SF123"}, false))
	ev := obj(b, "evidence")
	assert.Equal(t, "Blue mug", str(ev, "product_description"), "fields not given stay")
	assert.Equal(t, "60 days", str(ev, "refund_policy"), "a given field replaces its staged value")
	assert.Equal(t, "SF123", str(ev, "shipping_tracking_number"))
	assertNull(t, ev, "customer_communication", "uncategorized_text")
	assertNull(t, b, "submitted_at")
	assert.Equal(t, b, e.getDispute(id))
	assert.Len(t, e.eventsFor("dispute.updated", id), 2, "every successful evidence call emits one dispute.updated")
}

func TestDisputes_evidenceFieldLength(t *testing.T) {
	e := start(t)
	_, d := e.disputedPayment(3000)
	id := str(d, "id")
	e.ok(e.evidence(id, map[string]any{"customer_communication": strings.Repeat("字", 20000)}, false))
	e.failParam(e.evidence(id, map[string]any{"refund_policy": strings.Repeat("a", 20001)}, true),
		400, "invalid_request", "evidence.refund_policy")
	got := e.getDispute(id)
	assert.Equal(t, "needs_response", str(got, "status"), "a rejected call submits nothing")
	assertNull(t, obj(got, "evidence"), "refund_policy")
	e.failParam(e.post("/v1/disputes/"+id+"/evidence", map[string]any{"evidence": map[string]any{"color": "red"}}),
		400, "parameter_unknown", "evidence.color")
}

func TestDisputes_submitWinsADayLater(t *testing.T) {
	e := start(t)
	e.freeze()
	p, d := e.disputedPayment(3000)
	id := str(d, "id")
	now := e.now()
	s := e.ok(e.evidence(id, map[string]any{"uncategorized_text": "Delivered, signed by the customer."}, true))
	assert.Equal(t, "under_review", str(s, "status"))
	assert.Equal(t, fmtTime(now), str(s, "submitted_at"))
	e.fail(e.evidence(id, map[string]any{"refund_policy": "late"}, false), 409, "dispute_not_open")
	e.advance(23 * time.Hour)
	assert.Equal(t, "under_review", str(e.getDispute(id), "status"))
	e.advance(time.Hour)
	won := e.getDispute(id)
	assert.Equal(t, "won", str(won, "status"))
	assert.Equal(t, fmtTime(now.Add(24*time.Hour)), str(won, "closed_at"))
	assert.Equal(t, int64(1500), num(won, "fee"), "the fee is kept when won")
	closed := e.requireEvent("dispute.closed", id)
	assert.Equal(t, "won", str(closed, "data.object.status"))
	assert.True(t, e.getPayment(str(p, "id"))["disputed"].(bool), "disputed stays true")
	// After a won dispute the rest may be refunded.
	rf := e.ok(e.refund(str(p, "id"), map[string]any{"amount": 1000}))
	assert.Equal(t, "pending", str(rf, "status"))
}

func TestDisputes_losingEvidenceLoses(t *testing.T) {
	e := start(t)
	e.freeze()
	p, d := e.disputedPayment(3000)
	id := str(d, "id")
	e.ok(e.evidence(id, map[string]any{"uncategorized_text": "this is losing_evidence, sadly"}, false))
	e.ok(e.evidence(id, map[string]any{"product_description": "Mug"}, true))
	e.advance(24 * time.Hour)
	lost := e.getDispute(id)
	assert.Equal(t, "lost", str(lost, "status"), "staged uncategorized_text counts at submission")
	assert.Equal(t, "lost", str(e.requireEvent("dispute.closed", id), "data.object.status"))
	b := e.fail(e.refund(str(p, "id"), map[string]any{"amount": 100}), 409, "payment_disputed")
	assert.Equal(t, id, str(b, "dispute_id"))
	assert.Equal(t, str(p, "id"), str(b, "payment_id"))
}

func TestDisputes_refundsRefusedWhileOpen(t *testing.T) {
	e := start(t)
	e.freeze()
	p, d := e.disputedPayment(3000)
	b := e.fail(e.refund(str(p, "id"), nil), 409, "payment_disputed")
	assert.Equal(t, str(d, "id"), str(b, "dispute_id"))
	e.ok(e.evidence(str(d, "id"), map[string]any{"product_description": "Mug"}, true))
	e.fail(e.refund(str(p, "id"), map[string]any{"amount": 10}), 409, "payment_disputed")
}

func TestDisputes_accept(t *testing.T) {
	e := start(t)
	e.freeze()
	_, d := e.disputedPayment(3000)
	id := str(d, "id")
	a := e.ok(e.post("/v1/disputes/"+id+"/accept", nil))
	assert.Equal(t, "lost", str(a, "status"))
	assertTime(t, a, "closed_at")
	assert.Equal(t, "lost", str(e.requireEvent("dispute.closed", id), "data.object.status"))
	b := e.fail(e.post("/v1/disputes/"+id+"/accept", nil), 409, "dispute_not_open")
	assert.Equal(t, id, str(b, "dispute_id"))
	e.fail(e.evidence(id, map[string]any{"product_description": "x"}, true), 409, "dispute_not_open")

	_, d2 := e.disputedPayment(3000)
	e.ok(e.evidence(str(d2, "id"), map[string]any{"product_description": "x"}, true))
	e.fail(e.post("/v1/disputes/"+str(d2, "id")+"/accept", nil), 409, "dispute_not_open")
}

func TestDisputes_lostWhenDeadlinePasses(t *testing.T) {
	e := start(t)
	e.freeze()
	_, d := e.disputedPayment(3000)
	id := str(d, "id")
	e.advance(5 * 24 * time.Hour)
	soon := e.requireEvent("dispute.evidence_due_soon", id)
	assert.Equal(t, "needs_response", str(soon, "data.object.status"))
	e.ok(e.evidence(id, map[string]any{"product_description": "Mug"}, false))
	e.advance(2*24*time.Hour - time.Second)
	assert.Equal(t, "needs_response", str(e.getDispute(id), "status"))
	e.advance(time.Second)
	lost := e.getDispute(id)
	assert.Equal(t, "lost", str(lost, "status"), "unanswered at evidence_due_by: lost")
	assert.Equal(t, str(lost, "evidence_due_by"), str(lost, "closed_at"))
	e.requireEvent("dispute.closed", id)
	// Staged, then the deadline passed: submitting is too late.
	b := e.fail(e.evidence(id, map[string]any{"uncategorized_text": "too late"}, true), 409, "dispute_not_open")
	assert.Equal(t, id, str(b, "dispute_id"))
}

func TestDisputes_noDueSoonOnceAnswered(t *testing.T) {
	e := start(t)
	e.freeze()
	_, d := e.disputedPayment(3000)
	e.ok(e.evidence(str(d, "id"), map[string]any{"product_description": "Mug"}, true))
	e.advance(6 * 24 * time.Hour)
	assert.Empty(t, e.eventsFor("dispute.evidence_due_soon", str(d, "id")), "due_soon only while needs_response")
}

func TestDisputes_concurrentSubmissionsMoveItOnce(t *testing.T) {
	e := start(t)
	_, d := e.disputedPayment(3000)
	id := str(d, "id")
	const n = 64
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = e.newRequest("POST", "/v1/disputes/"+id+"/evidence",
			map[string]any{"evidence": map[string]any{"uncategorized_text": "attempt"}, "submit": true}, key(unique("key")))
	}
	statuses := make([]int, n)
	codes := make([]string, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			r, err := e.send(e.hc, reqs[i])
			if assert.NoError(t, err) {
				statuses[i], codes[i] = r.status, str(r.body, "code")
			}
		}()
	}
	close(gate)
	wg.Wait()
	ok := 0
	for i := range n {
		if statuses[i] == 200 {
			ok++
			continue
		}
		assert.Equal(t, 409, statuses[i])
		assert.Equal(t, "dispute_not_open", codes[i])
	}
	assert.Equal(t, 1, ok, "exactly one submission moves the dispute")
	assert.Len(t, e.eventsFor("dispute.updated", id), 1)
	assert.Equal(t, "under_review", str(e.getDispute(id), "status"))
}

func TestDisputes_listAndFilters(t *testing.T) {
	e := start(t)
	_, d1 := e.disputedPayment(1000)
	p2, d2 := e.disputedPayment(2000)
	e.ok(e.post("/v1/disputes/"+str(d1, "id")+"/accept", nil))
	all, _ := e.list("/v1/disputes")
	assert.Equal(t, []string{str(d2, "id"), str(d1, "id")}, ids(all), "newest first")
	lost, _ := e.list("/v1/disputes?status=lost")
	assert.Equal(t, []string{str(d1, "id")}, ids(lost))
	byPay, _ := e.list("/v1/disputes?payment_id=" + str(p2, "id"))
	assert.Equal(t, []string{str(d2, "id")}, ids(byPay))
	page, more := e.list("/v1/disputes?limit=1&starting_after=" + str(d2, "id"))
	assert.Equal(t, []string{str(d1, "id")}, ids(page))
	assert.False(t, more)
	e.failParam(e.get("/v1/disputes?status=open"), 400, "invalid_request", "status")
	e.fail(e.get("/v1/disputes/dp_missing"), 404, "resource_missing")
}

func TestDisputes_otherMerchantsCannotSeeThem(t *testing.T) {
	e := start(t)
	_, d := e.disputedPayment(1000)
	other := asMerchant(e.newMerchant())
	e.fail(e.get("/v1/disputes/"+str(d, "id"), other), 404, "resource_missing")
	e.fail(e.post("/v1/disputes/"+str(d, "id")+"/accept", nil, other), 404, "resource_missing")
	list, _ := e.list("/v1/disputes", other)
	assert.Empty(t, list)
}

func TestDisputes_restrictedMerchantMayAnswer(t *testing.T) {
	e := start(t)
	_, d := e.disputedPayment(1000)
	_, d2 := e.disputedPayment(1000)
	e.restrict(e.merchantID, true)
	e.ok(e.evidence(str(d, "id"), map[string]any{"product_description": "Mug"}, true))
	e.ok(e.post("/v1/disputes/"+str(d2, "id")+"/accept", nil))
}

func TestDisputes_eventsDeliveredSigned(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 0)
	we := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": rc.url,
		"events": []string{"dispute.created", "dispute.updated", "dispute.evidence_due_soon", "dispute.closed"}}))
	_, d := e.disputedPayment(1000)
	id := str(d, "id")
	ev := e.assertDelivery(rc.next(t), str(we, "secret"))
	assert.Equal(t, "dispute.created", str(ev, "type"))
	e.ok(e.evidence(id, map[string]any{"product_description": "Mug"}, false))
	assert.Equal(t, "dispute.updated", str(e.assertDelivery(rc.next(t), str(we, "secret")), "type"))
	e.advance(5 * 24 * time.Hour)
	assert.Equal(t, "dispute.evidence_due_soon", str(e.assertDelivery(rc.next(t), str(we, "secret")), "type"))
	e.ok(e.post("/v1/disputes/"+id+"/accept", nil))
	closed := e.assertDelivery(rc.next(t), str(we, "secret"))
	assert.Equal(t, "dispute.closed", str(closed, "type"))
	assert.Equal(t, "lost", str(closed, "data.object.status"))
}

func TestDisputes_submitReplayedWithItsKey(t *testing.T) {
	e := start(t)
	_, d := e.disputedPayment(3000)
	path := "/v1/disputes/" + str(d, "id") + "/evidence"
	body := map[string]any{"evidence": map[string]any{"product_description": "Mug"}, "submit": true}
	k := unique("key")
	first := e.ok(e.post(path, body, key(k)))
	again := e.post(path, body, key(k))
	assert.Equal(t, first, e.ok(again), "a lost answer is recovered with the same key")
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	e.fail(e.post(path, body, key(unique("key"))), 409, "dispute_not_open")
	assert.Len(t, e.eventsFor("dispute.updated", str(d, "id")), 1, "the replay executed nothing")
}
