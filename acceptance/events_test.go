package acceptance

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventTypes lists the types in a list of events, newest first.
func eventTypes(evs []map[string]any) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, str(ev, "type"))
	}
	return out
}

func TestEvents_flows(t *testing.T) {
	cases := []struct {
		name string
		run  func(e *env)
		want []string // oldest first
	}{
		{"card success", func(e *env) { e.paidOrder(1000) }, []string{"payment.succeeded", "order.paid"}},
		{"card decline", func(e *env) {
			e.fail(e.pay(str(e.order(1000), "id"), card("4000000000000002")), 402, "card_declined")
		}, []string{"payment.failed"}},
		{"otp", func(e *env) {
			p := e.ok(e.pay(str(e.order(1000), "id"), card("4000002760003184")))
			e.ok(e.post("/v1/payments/"+str(p, "id")+"/confirm", map[string]any{"otp": "000000"}))
		}, []string{"payment.requires_action", "payment.succeeded", "order.paid"}},
		{"otp canceled", func(e *env) {
			p := e.ok(e.pay(str(e.orderWith(1000, map[string]any{"expires_at": fmtTime(e.now().Add(time.Hour))}), "id"), card("4000002760003184")))
			e.ok(e.post("/v1/payments/"+str(p, "id")+"/cancel", nil))
		}, []string{"payment.requires_action", "payment.canceled"}},
		{"order canceled", func(e *env) {
			e.ok(e.post("/v1/orders/"+str(e.order(1000), "id")+"/cancel", nil))
		}, []string{"order.canceled"}},
		{"order expired", func(e *env) {
			e.order(1000)
			e.advance(31 * time.Minute)
		}, []string{"order.expired"}},
		{"bank transfer", func(e *env) {
			e.ok(e.pay(str(e.orderWith(1000, map[string]any{"expires_at": fmtTime(e.now().Add(2 * time.Hour))}), "id"), bank()))
			e.advance(61 * time.Minute)
		}, []string{"payment.succeeded", "order.paid"}},
		{"refund", func(e *env) {
			_, p := e.paidOrder(1000)
			e.ok(e.refund(str(p, "id"), nil))
			e.advance(6 * time.Minute)
		}, []string{"payment.succeeded", "order.paid", "refund.succeeded", "order.refunded"}},
		{"refund declined", func(e *env) {
			_, p := e.paidOrder(1013)
			e.ok(e.refund(str(p, "id"), nil))
			e.advance(6 * time.Minute)
		}, []string{"payment.succeeded", "order.paid", "refund.failed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := start(t)
			e.freeze()
			c.run(e)
			evs := e.events("")
			got := eventTypes(evs)
			want := make([]string, len(c.want))
			for i, ty := range c.want {
				want[len(c.want)-1-i] = ty
			}
			assert.Equal(t, want, got, "events newest first")
			for _, ev := range evs {
				assert.Equal(t, apiVersion, str(ev, "api_version"))
				assert.Equal(t, "event", str(ev, "object"))
				assert.NotNil(t, obj(ev, "data.object"), "data.object")
			}
		})
	}
}

func TestEvents_snapshotAndLookup(t *testing.T) {
	e := start(t)
	e.freeze()
	o := e.order(1000)
	p := e.ok(e.pay(str(o, "id"), card("4000002760003184")))
	e.ok(e.post("/v1/payments/"+str(p, "id")+"/confirm", map[string]any{"otp": "000000"}))

	ra := e.requireEvent("payment.requires_action", str(p, "id"))
	assert.Equal(t, "requires_action", str(ra, "data.object.status"), "the snapshot is as of the event, not now")
	assert.Equal(t, "payment", str(ra, "data.object.object"))
	assert.Equal(t, "otp", str(ra, "data.object.next_action.type"))
	ps := e.requireEvent("payment.succeeded", str(p, "id"))
	assert.Equal(t, "succeeded", str(ps, "data.object.status"))
	assert.Equal(t, normalise(e.getPayment(str(p, "id"))), normalise(obj(ps, "data.object")),
		"the snapshot is the resource as GET shows it")
	op := e.requireEvent("order.paid", str(o, "id"))
	assert.Equal(t, "order", str(op, "data.object.object"))
	assert.Equal(t, str(p, "id"), str(op, "data.object.payment_id"))

	t.Run("get by id", func(t *testing.T) {
		e := e.at(t)
		for _, ev := range []map[string]any{ra, ps, op} {
			got := e.ok(e.get("/v1/events/" + str(ev, "id")))
			assert.Equal(t, ev, got)
		}
		e.fail(e.get("/v1/events/evt_doesnotexist"), 404, "resource_missing")
	})
	t.Run("filter by type", func(t *testing.T) {
		e := e.at(t)
		for _, ty := range []string{"payment.requires_action", "payment.succeeded", "order.paid"} {
			evs := e.events(ty)
			require.Len(t, evs, 1, ty)
			assert.Equal(t, ty, str(evs[0], "type"))
		}
		assert.Empty(t, e.events("refund.failed"))
	})
	t.Run("pagination", func(t *testing.T) {
		e := e.at(t)
		all := e.events("")
		require.Len(t, all, 3)
		var got []string
		path := "/v1/events?limit=1"
		for i := 0; i < 5; i++ {
			data, more := e.list(path)
			got = append(got, ids(data)...)
			if !more {
				break
			}
			path = "/v1/events?limit=1&starting_after=" + str(data[0], "id")
		}
		assert.Equal(t, ids(all), got)
		data, more := e.list("/v1/events?type=order.paid&limit=1")
		assert.Len(t, data, 1)
		assert.False(t, more)
	})
	t.Run("newest first by sequence", func(t *testing.T) {
		e := e.at(t)
		assert.Equal(t, []string{"order.paid", "payment.succeeded", "payment.requires_action"}, eventTypes(e.events("")))
	})
}
