package acceptance

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertRefundShape checks the fields every refund carries.
func assertRefundShape(t *testing.T, r map[string]any) {
	t.Helper()
	assert.True(t, strings.HasPrefix(str(r, "id"), "re_"), "refund id %q", str(r, "id"))
	assert.Equal(t, "refund", str(r, "object"))
	for _, f := range []string{"payment_id", "order_id", "amount", "currency", "reason", "status",
		"failure_code", "created_at", "succeeded_at", "metadata"} {
		assert.Contains(t, r, f, "refund field %s", f)
	}
	assert.NotNil(t, obj(r, "metadata"), "metadata is always an object")
	assertTime(t, r, "created_at")
}

func TestRefunds_fullByDefault(t *testing.T) {
	e := start(t)
	e.freeze()
	o, p := e.paidOrder(2000)
	oid, pid := str(o, "id"), str(p, "id")
	rf := e.ok(e.refund(pid, map[string]any{"metadata": map[string]any{"ticket": "T-1"}}))
	assertRefundShape(t, rf)
	assert.Equal(t, pid, str(rf, "payment_id"))
	assert.Equal(t, oid, str(rf, "order_id"))
	assert.Equal(t, int64(2000), num(rf, "amount"), "default: everything that remains")
	assert.Equal(t, "CNY", str(rf, "currency"))
	assert.Equal(t, "pending", str(rf, "status"))
	assertNull(t, rf, "reason", "failure_code", "succeeded_at")
	assert.Equal(t, map[string]any{"ticket": "T-1"}, obj(rf, "metadata"))
	assert.Equal(t, rf, e.getRefund(str(rf, "id")))

	// Pending refunds are not yet refunded money.
	assert.Equal(t, "paid", str(e.getOrder(oid), "status"))
	assert.Equal(t, int64(0), num(e.getOrder(oid), "amount_refunded"))
	assert.Equal(t, int64(0), num(e.getPayment(pid), "amount_refunded"))

	e.advance(4 * time.Minute)
	assert.Equal(t, "pending", str(e.getRefund(str(rf, "id")), "status"))
	assert.Empty(t, e.eventsFor("refund.succeeded", str(rf, "id")))

	e.advance(61 * time.Second)
	got := e.getRefund(str(rf, "id"))
	assert.Equal(t, "succeeded", str(got, "status"))
	assertTime(t, got, "succeeded_at")
	assertNull(t, got, "failure_code")

	order := e.getOrder(oid)
	assert.Equal(t, "refunded", str(order, "status"))
	assert.Equal(t, int64(2000), num(order, "amount_refunded"))
	assert.Equal(t, int64(2000), num(order, "amount_paid"))
	pay := e.getPayment(pid)
	assert.Equal(t, int64(2000), num(pay, "amount_refunded"))
	assert.Equal(t, "succeeded", str(pay, "status"), "a refunded payment stays succeeded")
	assert.Equal(t, num(p, "fee"), num(pay, "fee"), "refunds do not return the fee")

	ev := e.requireEvent("refund.succeeded", str(rf, "id"))
	assert.Equal(t, "succeeded", str(ev, "data.object.status"))
	oev := e.requireEvent("order.refunded", oid)
	assert.Equal(t, "refunded", str(oev, "data.object.status"))
	assert.Equal(t, int64(2000), num(oev, "data.object.amount_refunded"))

	t.Run("nothing remains", func(t *testing.T) {
		e := e.at(t)
		b := e.fail(e.refund(pid, nil), 409, "refund_exceeds_remaining")
		assert.Equal(t, pid, str(b, "payment_id"))
		e.fail(e.refund(pid, map[string]any{"amount": 1}), 409, "refund_exceeds_remaining")
	})
}

func TestRefunds_partial(t *testing.T) {
	e := start(t)
	e.freeze()
	o, p := e.paidOrder(1000)
	oid, pid := str(o, "id"), str(p, "id")
	r1 := e.ok(e.refund(pid, map[string]any{"amount": 400, "reason": "requested_by_customer"}))
	assert.Equal(t, int64(400), num(r1, "amount"))
	assert.Equal(t, "requested_by_customer", str(r1, "reason"))

	t.Run("pending counts against the remainder", func(t *testing.T) {
		e := e.at(t)
		b := e.fail(e.refund(pid, map[string]any{"amount": 601}), 409, "refund_exceeds_remaining")
		assert.Equal(t, pid, str(b, "payment_id"))
	})
	e.advance(6 * time.Minute)
	order := e.getOrder(oid)
	assert.Equal(t, "partially_refunded", str(order, "status"))
	assert.Equal(t, int64(400), num(order, "amount_refunded"))
	assert.Equal(t, int64(400), num(e.getPayment(pid), "amount_refunded"))
	oev := e.requireEvent("order.refunded", oid)
	assert.Equal(t, "partially_refunded", str(oev, "data.object.status"))

	t.Run("over the remainder", func(t *testing.T) {
		e := e.at(t)
		e.fail(e.refund(pid, map[string]any{"amount": 601}), 409, "refund_exceeds_remaining")
		refunds, _ := e.list("/v1/refunds?payment_id=" + pid)
		assert.Len(t, refunds, 1, "a 409 creates no refund")
	})
	r2 := e.ok(e.refund(pid, nil))
	assert.Equal(t, int64(600), num(r2, "amount"), "the default is what remains")
	e.advance(6 * time.Minute)
	order = e.getOrder(oid)
	assert.Equal(t, "refunded", str(order, "status"))
	assert.Equal(t, int64(1000), num(order, "amount_refunded"))
	assert.Len(t, e.eventsFor("order.refunded", oid), 2)
	e.fail(e.refund(pid, map[string]any{"amount": 1}), 409, "refund_exceeds_remaining")

	refunds, _ := e.list("/v1/refunds?payment_id=" + pid)
	assert.Equal(t, []string{str(r2, "id"), str(r1, "id")}, ids(refunds))
}

func TestRefunds_declinedFreesTheRemainder(t *testing.T) {
	e := start(t)
	e.freeze()
	t.Run("partial amount ending 13", func(t *testing.T) {
		e := e.at(t)
		o, p := e.paidOrder(1000)
		pid := str(p, "id")
		rf := e.ok(e.refund(pid, map[string]any{"amount": 513}))
		assert.Equal(t, "pending", str(rf, "status"))
		e.advance(6 * time.Minute)
		got := e.getRefund(str(rf, "id"))
		assert.Equal(t, "failed", str(got, "status"))
		assert.Equal(t, "refund_declined", str(got, "failure_code"))
		assertNull(t, got, "succeeded_at")
		ev := e.requireEvent("refund.failed", str(rf, "id"))
		assert.Equal(t, "failed", str(ev, "data.object.status"))
		assert.Empty(t, e.eventsFor("order.refunded", str(o, "id")))
		order := e.getOrder(str(o, "id"))
		assert.Equal(t, "paid", str(order, "status"))
		assert.Equal(t, int64(0), num(order, "amount_refunded"))
		assert.Equal(t, int64(0), num(e.getPayment(pid), "amount_refunded"))

		full := e.ok(e.refund(pid, nil))
		assert.Equal(t, int64(1000), num(full, "amount"), "a failed refund gives its amount back to the remainder")
	})
	t.Run("full amount ending 13", func(t *testing.T) {
		e := e.at(t)
		o, p := e.paidOrder(2013)
		rf := e.ok(e.refund(str(p, "id"), nil))
		assert.Equal(t, int64(2013), num(rf, "amount"))
		e.advance(6 * time.Minute)
		assert.Equal(t, "failed", str(e.getRefund(str(rf, "id")), "status"))
		assert.Equal(t, "paid", str(e.getOrder(str(o, "id")), "status"))
		again := e.ok(e.refund(str(p, "id"), map[string]any{"amount": 2000}))
		e.advance(6 * time.Minute)
		assert.Equal(t, "succeeded", str(e.getRefund(str(again, "id")), "status"))
		assert.Equal(t, "partially_refunded", str(e.getOrder(str(o, "id")), "status"))
	})
}

func TestRefunds_notRefundable(t *testing.T) {
	e := start(t)
	e.freeze()
	t.Run("failed payment", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		b := e.fail(e.pay(str(o, "id"), card("4000000000009995")), 402, "card_declined")
		pid := str(b, "payment_id")
		r := e.refund(pid, nil)
		rb := e.fail(r, 409, "payment_not_refundable")
		assert.Equal(t, pid, str(rb, "payment_id"))
		refunds, _ := e.list("/v1/refunds?payment_id=" + pid)
		assert.Empty(t, refunds)
	})
	t.Run("processing payment", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		p := e.ok(e.pay(str(o, "id"), bank()))
		e.fail(e.refund(str(p, "id"), nil), 409, "payment_not_refundable")
	})
	t.Run("requires_action payment", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		p := e.ok(e.pay(str(o, "id"), card("4000002760003184")))
		e.fail(e.refund(str(p, "id"), nil), 409, "payment_not_refundable")
	})
}

func TestRefunds_window(t *testing.T) {
	e := start(t)
	e.freeze()
	_, early := e.paidOrder(1000)
	_, late := e.paidOrder(1000)
	e.advance(179 * 24 * time.Hour)
	rf := e.ok(e.refund(str(early, "id"), map[string]any{"amount": 100}))
	assert.Equal(t, "pending", str(rf, "status"))

	e.advance(2 * 24 * time.Hour)
	b := e.fail(e.refund(str(late, "id"), nil), 409, "refund_window_expired")
	assert.Equal(t, str(late, "id"), str(b, "payment_id"))
	e.fail(e.refund(str(early, "id"), map[string]any{"amount": 100}), 409, "refund_window_expired")
	refunds, _ := e.list("/v1/refunds?payment_id=" + str(late, "id"))
	assert.Empty(t, refunds)
	assert.Equal(t, "succeeded", str(e.getRefund(str(rf, "id")), "status"), "a refund made in time still settles")
}

func TestRefunds_list(t *testing.T) {
	e := start(t)
	e.freeze()
	_, p1 := e.paidOrder(1000)
	_, p2 := e.paidOrder(1000)
	a := e.ok(e.refund(str(p1, "id"), map[string]any{"amount": 100}))
	b := e.ok(e.refund(str(p2, "id"), map[string]any{"amount": 200}))
	c := e.ok(e.refund(str(p1, "id"), map[string]any{"amount": 300}))

	all, hasMore := e.list("/v1/refunds")
	assert.Equal(t, []string{str(c, "id"), str(b, "id"), str(a, "id")}, ids(all))
	assert.False(t, hasMore)
	for _, r := range all {
		assertRefundShape(t, r)
	}
	byPayment, _ := e.list("/v1/refunds?payment_id=" + str(p1, "id"))
	assert.Equal(t, []string{str(c, "id"), str(a, "id")}, ids(byPayment))
	page, more := e.list("/v1/refunds?limit=1&starting_after=" + str(c, "id"))
	assert.Equal(t, []string{str(b, "id")}, ids(page))
	assert.True(t, more)
	e.fail(e.get("/v1/refunds/re_doesnotexist"), 404, "resource_missing")
	require.NotEmpty(t, all)
}

func TestRefunds_windowBoundary(t *testing.T) {
	e := start(t)
	e.freeze()
	_, p := e.paidOrder(1000)
	e.advance(180 * 24 * time.Hour)
	e.ok(e.refund(str(p, "id"), map[string]any{"amount": 100}))
	e.advance(time.Second)
	e.fail(e.refund(str(p, "id"), map[string]any{"amount": 100}), 409, "refund_window_expired")
}

func TestRefunds_concurrentNeverExceedThePayment(t *testing.T) {
	e := start(t)
	const n = 12
	_, p := e.paidOrder(1000)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	statuses := make([]int, n)
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = e.newRequest("POST", "/v1/refunds", map[string]any{"payment_id": str(p, "id"), "amount": 200}, key(unique("key")))
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			r, err := e.send(e.hc, reqs[i])
			if assert.NoError(t, err) {
				statuses[i] = r.status
				if r.status != 200 {
					assert.Equal(t, "refund_exceeds_remaining", str(r.body, "code"))
				}
			}
		}(i)
	}
	close(gate)
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		}
	}
	assert.Equal(t, 5, ok, "five refunds of 200 fit in 1000")
	refunds, _ := e.list("/v1/refunds?payment_id=" + str(p, "id"))
	var sum int64
	for _, r := range refunds {
		sum += num(r, "amount")
	}
	assert.Equal(t, int64(1000), sum)
}
