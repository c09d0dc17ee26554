package acceptance

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertOrderShape checks the fields every order carries.
func assertOrderShape(t *testing.T, o map[string]any) {
	t.Helper()
	assert.True(t, strings.HasPrefix(str(o, "id"), "ord_"), "order id %q", str(o, "id"))
	assert.Equal(t, "order", str(o, "object"))
	for _, f := range []string{"merchant_order_id", "amount", "currency", "description", "status", "amount_paid",
		"amount_refunded", "payment_id", "expires_at", "created_at", "paid_at", "metadata"} {
		assert.Contains(t, o, f, "order field %s", f)
	}
	assert.NotNil(t, obj(o, "metadata"), "metadata is always an object")
	assertTime(t, o, "created_at")
	assertTime(t, o, "expires_at")
}

func TestOrders_create(t *testing.T) {
	e := start(t)
	e.freeze()
	body := orderBody(1999, "CNY", map[string]any{
		"description": "Two coffees",
		"metadata":    map[string]any{"table": "7", "note": "no sugar"},
	})
	r := e.post("/v1/orders", body)
	o := e.ok(r)
	assertOrderShape(t, o)
	assert.Equal(t, str(body, "merchant_order_id"), str(o, "merchant_order_id"))
	assert.Equal(t, int64(1999), num(o, "amount"))
	assert.Equal(t, "CNY", str(o, "currency"))
	assert.Equal(t, "Two coffees", str(o, "description"))
	assert.Equal(t, "open", str(o, "status"))
	assert.Equal(t, int64(0), num(o, "amount_paid"))
	assert.Equal(t, int64(0), num(o, "amount_refunded"))
	assertNull(t, o, "payment_id", "paid_at")
	assert.Equal(t, map[string]any{"table": "7", "note": "no sugar"}, obj(o, "metadata"))
	created := assertTime(t, o, "created_at")
	assert.Equal(t, 30*time.Minute, assertTime(t, o, "expires_at").Sub(created), "default expiry is 30 minutes")

	got := e.getOrder(str(o, "id"))
	assert.Equal(t, o, got, "GET returns what create returned")

	t.Run("optional fields default", func(t *testing.T) {
		e := e.at(t)
		o := e.order(500)
		assertNull(t, o, "description")
		assert.Equal(t, map[string]any{}, obj(o, "metadata"))
		assert.Equal(t, o, e.getOrder(str(o, "id")))
	})
	t.Run("custom expiry", func(t *testing.T) {
		e := e.at(t)
		exp := fmtTime(e.now().Add(2 * time.Hour))
		o := e.orderWith(500, map[string]any{"expires_at": exp})
		assert.Equal(t, exp, str(o, "expires_at"))
		assert.Equal(t, exp, str(e.getOrder(str(o, "id")), "expires_at"))
	})
}

func TestOrders_duplicateMerchantOrderID(t *testing.T) {
	e := start(t)
	body := orderBody(1000, "CNY", nil)
	first := e.ok(e.post("/v1/orders", body))
	dup := orderBody(2000, "USD", map[string]any{"merchant_order_id": str(body, "merchant_order_id")})
	r := e.post("/v1/orders", dup)
	b := e.fail(r, http.StatusConflict, "duplicate_merchant_order_id")
	assert.Equal(t, str(first, "id"), str(b, "existing_id"))
	assert.Equal(t, "false", r.header.Get("Tokenim-Should-Retry"))

	data, _ := e.list("/v1/orders?merchant_order_id=" + str(body, "merchant_order_id"))
	assert.Equal(t, []string{str(first, "id")}, ids(data))

	t.Run("also after cancel", func(t *testing.T) {
		e := e.at(t)
		e.ok(e.post("/v1/orders/"+str(first, "id")+"/cancel", nil))
		b := e.fail(e.post("/v1/orders", dup), 409, "duplicate_merchant_order_id")
		assert.Equal(t, str(first, "id"), str(b, "existing_id"))
	})
	t.Run("another merchant may reuse it", func(t *testing.T) {
		e := e.at(t)
		m := e.newMerchant()
		e.ok(e.post("/v1/orders", body, asMerchant(m)))
	})
}

func TestOrders_list(t *testing.T) {
	e := start(t)
	e.freeze() // every order in the same second: order must still be by creation
	var created []string
	for i := 0; i < 7; i++ {
		created = append(created, str(e.order(int64(100+i)), "id"))
	}
	newestFirst := make([]string, len(created))
	for i, id := range created {
		newestFirst[len(created)-1-i] = id
	}

	t.Run("default", func(t *testing.T) {
		e := e.at(t)
		data, hasMore := e.list("/v1/orders")
		assert.Equal(t, newestFirst, ids(data))
		assert.False(t, hasMore)
		for _, o := range data {
			assertOrderShape(t, o)
		}
	})
	t.Run("pages", func(t *testing.T) {
		e := e.at(t)
		var got []string
		var mores []bool
		path := "/v1/orders?limit=3"
		for {
			data, hasMore := e.list(path)
			got = append(got, ids(data)...)
			mores = append(mores, hasMore)
			if !hasMore || len(mores) > 5 {
				break
			}
			path = "/v1/orders?limit=3&starting_after=" + str(data[len(data)-1], "id")
		}
		assert.Equal(t, newestFirst, got)
		assert.Equal(t, []bool{true, true, false}, mores)
	})
	t.Run("exact page has no more", func(t *testing.T) {
		e := e.at(t)
		data, hasMore := e.list("/v1/orders?limit=7")
		assert.Len(t, data, 7)
		assert.False(t, hasMore)
		data, hasMore = e.list("/v1/orders?limit=1&starting_after=" + created[0])
		assert.Empty(t, data)
		assert.False(t, hasMore)
	})
	t.Run("filters", func(t *testing.T) {
		e := e.at(t)
		e.ok(e.post("/v1/orders/"+created[2]+"/cancel", nil))
		e.ok(e.pay(created[4], wallet("alipay")))

		data, _ := e.list("/v1/orders?status=canceled")
		assert.Equal(t, []string{created[2]}, ids(data))
		data, _ = e.list("/v1/orders?status=paid")
		assert.Equal(t, []string{created[4]}, ids(data))
		data, _ = e.list("/v1/orders?status=open")
		assert.Len(t, data, 5)
		for _, o := range data {
			assert.Equal(t, "open", str(o, "status"))
		}
		mo := str(e.getOrder(created[3]), "merchant_order_id")
		data, _ = e.list("/v1/orders?merchant_order_id=" + mo)
		assert.Equal(t, []string{created[3]}, ids(data))
		data, hasMore := e.list("/v1/orders?status=open&limit=2")
		assert.Len(t, data, 2)
		assert.True(t, hasMore)
	})
}

func TestOrders_cancel(t *testing.T) {
	e := start(t)
	e.freeze()
	o := e.order(1000)
	id := str(o, "id")
	c := e.ok(e.post("/v1/orders/"+id+"/cancel", nil))
	assert.Equal(t, "canceled", str(c, "status"))
	got := e.getOrder(id)
	assert.Equal(t, "canceled", str(got, "status"))
	ev := e.requireEvent("order.canceled", id)
	assert.Equal(t, "canceled", str(ev, "data.object.status"))

	t.Run("twice", func(t *testing.T) {
		e := e.at(t)
		b := e.fail(e.post("/v1/orders/"+id+"/cancel", nil), 409, "order_not_cancelable")
		assert.Equal(t, id, str(b, "order_id"))
	})
	t.Run("paying a canceled order", func(t *testing.T) {
		e := e.at(t)
		b := e.fail(e.pay(id, card("4242424242424242")), 409, "order_not_payable")
		assert.Equal(t, id, str(b, "order_id"))
		pays, _ := e.list("/v1/payments?order_id=" + id)
		assert.Empty(t, pays, "a 409 creates no payment")
	})
	t.Run("paid", func(t *testing.T) {
		e := e.at(t)
		paid, _ := e.paidOrder(1000)
		e.fail(e.post("/v1/orders/"+str(paid, "id")+"/cancel", nil), 409, "order_not_cancelable")
		assert.Equal(t, "paid", str(e.getOrder(str(paid, "id")), "status"))
	})
	t.Run("payment in progress", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		p := e.ok(e.pay(str(o, "id"), bank()))
		b := e.fail(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil), 409, "payment_in_progress")
		assert.Equal(t, str(p, "id"), str(b, "payment_id"))
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
	})
	t.Run("unknown", func(t *testing.T) {
		e := e.at(t)
		e.fail(e.post("/v1/orders/ord_doesnotexist/cancel", nil), 404, "resource_missing")
	})
}

func TestOrders_expiry(t *testing.T) {
	e := start(t)
	e.freeze()
	o := e.order(1000)
	id := str(o, "id")
	custom := e.orderWith(1000, map[string]any{"expires_at": fmtTime(e.now().Add(2 * time.Hour))})

	e.advance(29 * time.Minute)
	assert.Equal(t, "open", str(e.getOrder(id), "status"))
	assert.Empty(t, e.eventsFor("order.expired", id))

	e.advance(2 * time.Minute)
	assert.Equal(t, "expired", str(e.getOrder(id), "status"))
	ev := e.requireEvent("order.expired", id)
	assert.Equal(t, "expired", str(ev, "data.object.status"))
	assert.Equal(t, "open", str(e.getOrder(str(custom, "id")), "status"), "a later expires_at is honoured")

	t.Run("paying it", func(t *testing.T) {
		e := e.at(t)
		b := e.fail(e.pay(id, card("4242424242424242")), 409, "order_expired")
		assert.Equal(t, id, str(b, "order_id"))
		pays, _ := e.list("/v1/payments?order_id=" + id)
		assert.Empty(t, pays)
	})
	t.Run("canceling it", func(t *testing.T) {
		e := e.at(t)
		e.fail(e.post("/v1/orders/"+id+"/cancel", nil), 409, "order_not_cancelable")
		assert.Equal(t, "expired", str(e.getOrder(id), "status"))
	})
	t.Run("listed as expired", func(t *testing.T) {
		e := e.at(t)
		data, _ := e.list("/v1/orders?status=expired")
		assert.Equal(t, []string{id}, ids(data))
	})
	t.Run("custom expiry", func(t *testing.T) {
		e := e.at(t)
		e.advance(90 * time.Minute)
		assert.Equal(t, "expired", str(e.getOrder(str(custom, "id")), "status"))
	})
}

func TestOrders_expiryExpiredEventWithoutRead(t *testing.T) {
	e := start(t)
	e.freeze()
	o := e.order(1000)
	e.advance(31 * time.Minute)
	// The event is there for reconciliation even if nobody read the order.
	evs := e.eventsFor("order.expired", str(o, "id"))
	assert.Len(t, evs, 1)
}

func TestOrders_paymentInProgressHoldsExpiry(t *testing.T) {
	e := start(t)
	e.freeze()
	t.Run("settles", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		e.ok(e.pay(str(o, "id"), bank()))
		e.advance(45 * time.Minute)
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"), "no expiry while a transfer is processing")
		e.advance(16 * time.Minute)
		got := e.getOrder(str(o, "id"))
		assert.Equal(t, "paid", str(got, "status"))
		assert.Empty(t, e.eventsFor("order.expired", str(o, "id")))
	})
	t.Run("returned", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1013)
		p := e.ok(e.pay(str(o, "id"), bank()))
		e.advance(45 * time.Minute)
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
		e.advance(16 * time.Minute)
		assert.Equal(t, "failed", str(e.getPayment(str(p, "id")), "status"))
		assert.Equal(t, "expired", str(e.getOrder(str(o, "id")), "status"), "a failed payment after expires_at expires the order")
		e.requireEvent("order.expired", str(o, "id"))
	})
	t.Run("canceled", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		p := e.ok(e.pay(str(o, "id"), card("4000002760003184")))
		require.Equal(t, "requires_action", str(p, "status"))
		e.advance(31 * time.Minute)
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
		e.ok(e.post("/v1/payments/"+str(p, "id")+"/cancel", nil))
		assert.Equal(t, "expired", str(e.getOrder(str(o, "id")), "status"))
	})
}

func TestOrders_expiryBoundaries(t *testing.T) {
	e := start(t)
	e.freeze()
	now := e.now()
	o := e.orderWith(1000, map[string]any{"expires_at": fmtTime(now.Add(time.Hour))})
	exp := assertTime(t, o, "expires_at")
	e.advance(exp.Sub(now) - time.Second)
	assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
	e.advance(time.Second)
	assert.Equal(t, "expired", str(e.getOrder(str(o, "id")), "status"), "expired once expires_at <= now")
}

func TestOrders_defaultPageSize(t *testing.T) {
	e := start(t)
	for i := 0; i < 12; i++ {
		e.order(100)
	}
	data, hasMore := e.list("/v1/orders")
	assert.Len(t, data, 10, "default limit is 10")
	assert.True(t, hasMore)
	data, hasMore = e.list("/v1/orders?limit=100")
	assert.Len(t, data, 12)
	assert.False(t, hasMore)
	_, p := e.paidOrder(100)
	e.failParam(e.get("/v1/orders?starting_after="+str(p, "id")), 400, "invalid_request", "starting_after")
}

func TestOrders_requestIDsAreUnique(t *testing.T) {
	e := start(t)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		r := e.get("/v1/orders")
		id := r.header.Get("Request-Id")
		assert.False(t, seen[id], "Request-Id %s repeated", id)
		seen[id] = true
	}
}
