package acceptance

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertReplay asserts that r replays first byte for byte.
func (e *env) assertReplay(first, r *reply) {
	e.t.Helper()
	assert.Equal(e.t, first.status, r.status, "replayed status")
	assert.Equal(e.t, "true", r.header.Get("Idempotent-Replayed"))
	assert.Equal(e.t, string(first.raw), string(r.raw), "replayed body is the original byte for byte")
	e.checkCommon(r)
	assert.NotEqual(e.t, first.header.Get("Request-Id"), r.header.Get("Request-Id"), "a replay has a fresh Request-Id")
}

func TestIdempotency_replay(t *testing.T) {
	e := start(t)
	k := unique("key")
	body := orderBody(1000, "CNY", nil)
	first := e.post("/v1/orders", body, key(k))
	o := e.ok(first)
	assert.Equal(t, "false", first.header.Get("Idempotent-Replayed"), "a keyed POST that executed says so")

	again := e.post("/v1/orders", body, key(k))
	e.assertReplay(first, again)

	data, _ := e.list("/v1/orders?merchant_order_id=" + str(body, "merchant_order_id"))
	assert.Equal(t, []string{str(o, "id")}, ids(data), "the replay created nothing")

	t.Run("quoted key is the same key", func(t *testing.T) {
		e := e.at(t)
		e.assertReplay(first, e.post("/v1/orders", body, key(`"`+k+`"`)))
	})
	t.Run("different body is 422", func(t *testing.T) {
		e := e.at(t)
		other := orderBody(2000, "CNY", nil)
		r := e.post("/v1/orders", other, key(k))
		e.fail(r, http.StatusUnprocessableEntity, "idempotency_key_reused")
		assert.Equal(t, "false", r.header.Get("Tokenim-Should-Retry"))
		e.assertNoOrder(str(other, "merchant_order_id"))
	})
	t.Run("same body, different path is 422", func(t *testing.T) {
		e := e.at(t)
		r := e.post("/v1/orders/"+str(o, "id")+"/cancel", body, key(k))
		e.fail(r, http.StatusUnprocessableEntity, "idempotency_key_reused")
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
	})
	t.Run("422 is not stored", func(t *testing.T) {
		e := e.at(t)
		// The 422 above did not replace the stored response.
		e.assertReplay(first, e.post("/v1/orders", body, key(k)))
	})
	t.Run("no key executes every time", func(t *testing.T) {
		e := e.at(t)
		b := orderBody(1000, "CNY", nil)
		r := e.post("/v1/orders", b)
		e.ok(r)
		assert.Empty(t, r.header.Get("Idempotent-Replayed"))
		e.fail(e.post("/v1/orders", b), 409, "duplicate_merchant_order_id")
	})
}

func TestIdempotency_validationErrorIsNotStored(t *testing.T) {
	e := start(t)
	k := unique("key")
	body := orderBody(1000, "CNY", nil)
	bad := orderBody(0, "CNY", map[string]any{"merchant_order_id": str(body, "merchant_order_id")})
	r := e.post("/v1/orders", bad, key(k))
	e.fail(r, 400, "amount_invalid")

	fixed := e.post("/v1/orders", body, key(k))
	o := e.ok(fixed)
	assert.Equal(t, "false", fixed.header.Get("Idempotent-Replayed"), "the fixed retry executed")
	assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))

	t.Run("same bad body again is validated afresh", func(t *testing.T) {
		e := e.at(t)
		k := unique("key")
		b := orderBody(1000, "XYZ", nil)
		e.fail(e.post("/v1/orders", b, key(k)), 400, "currency_unsupported")
		r := e.post("/v1/orders", b, key(k))
		e.fail(r, 400, "currency_unsupported")
		assert.NotEqual(t, "true", r.header.Get("Idempotent-Replayed"))
	})
}

func TestIdempotency_declineIsStoredAndReplayed(t *testing.T) {
	e := start(t)
	o := e.order(1000)
	k := unique("key")
	first := e.pay(str(o, "id"), card("4000000000000002"), key(k))
	b := e.fail(first, 402, "card_declined")
	pid := str(b, "payment_id")
	require.NotEmpty(t, pid)

	again := e.pay(str(o, "id"), card("4000000000000002"), key(k))
	e.assertReplay(first, again)

	pays, _ := e.list("/v1/payments?order_id=" + str(o, "id"))
	assert.Equal(t, []string{pid}, ids(pays), "one failed payment, not two")
	assert.Len(t, e.eventsFor("payment.failed", pid), 1, "one payment.failed event")
}

func TestIdempotency_notFoundAndConflictAreStored(t *testing.T) {
	e := start(t)
	t.Run("404", func(t *testing.T) {
		e := e.at(t)
		k := unique("key")
		first := e.pay("ord_doesnotexist", card("4242424242424242"), key(k))
		e.fail(first, 404, "resource_missing")
		e.assertReplay(first, e.pay("ord_doesnotexist", card("4242424242424242"), key(k)))
	})
	t.Run("409", func(t *testing.T) {
		e := e.at(t)
		o, p := e.paidOrder(1000)
		k := unique("key")
		first := e.pay(str(o, "id"), wallet("alipay"), key(k))
		b := e.fail(first, 409, "order_already_paid")
		assert.Equal(t, str(p, "id"), str(b, "payment_id"))
		assert.Equal(t, "false", first.header.Get("Tokenim-Should-Retry"))
		e.assertReplay(first, e.pay(str(o, "id"), wallet("alipay"), key(k)))
	})
}

func TestIdempotency_keyExpiresAfter24Hours(t *testing.T) {
	e := start(t)
	e.freeze()
	k := unique("key")
	body := orderBody(1000, "CNY", nil)
	first := e.post("/v1/orders", body, key(k))
	o := e.ok(first)

	e.advance(23*time.Hour + 59*time.Minute)
	e.assertReplay(first, e.post("/v1/orders", body, key(k)))

	e.advance(2 * time.Minute)
	// The key is forgotten: the same request executes afresh and meets the
	// merchant's own guard against a second order with the same reference.
	r := e.post("/v1/orders", body, key(k))
	b := e.fail(r, 409, "duplicate_merchant_order_id")
	assert.Equal(t, str(o, "id"), str(b, "existing_id"))
	assert.Equal(t, "false", r.header.Get("Idempotent-Replayed"))

	// And a different body with the old key is no longer 422.
	k2 := unique("key")
	first2 := e.post("/v1/orders", orderBody(1000, "CNY", nil), key(k2))
	e.ok(first2)
	e.advance(24*time.Hour + time.Second)
	other := e.post("/v1/orders", orderBody(2000, "CNY", nil), key(k2))
	e.ok(other)
	assert.Equal(t, "false", other.header.Get("Idempotent-Replayed"))
}

func TestIdempotency_scopedPerMerchant(t *testing.T) {
	e := start(t)
	m := e.newMerchant()
	k := unique("key")
	body := orderBody(1000, "CNY", nil)
	mine := e.ok(e.post("/v1/orders", body, key(k)))

	r := e.post("/v1/orders", body, key(k), asMerchant(m))
	theirs := e.ok(r)
	assert.Equal(t, "false", r.header.Get("Idempotent-Replayed"), "another merchant's key is not ours")
	assert.NotEqual(t, str(mine, "id"), str(theirs, "id"))

	r = e.post("/v1/orders", orderBody(5000, "CNY", nil), key(k), asMerchant(m))
	e.fail(r, 422, "idempotency_key_reused")

	e.ok(e.get("/v1/orders/"+str(theirs, "id"), asMerchant(m)))
	e.fail(e.get("/v1/orders/"+str(theirs, "id")), 404, "resource_missing")
}

func TestIdempotency_invalidKeys(t *testing.T) {
	e := start(t)
	for _, c := range []struct {
		name, key string
	}{
		{"256 characters", strings.Repeat("k", 256)},
		{"space inside", "abc def"},
		{"tab inside", "abc\tdef"},
		{"non-ASCII", "clé-à-molette"},
		{"quoted with space", `"abc def"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			body := orderBody(1000, "CNY", nil)
			e.failParam(e.post("/v1/orders", body, rawHeader("Idempotency-Key", c.key)), 400, "invalid_request", "Idempotency-Key")
			e.assertNoOrder(str(body, "merchant_order_id"))
		})
	}
	t.Run("255 characters", func(t *testing.T) {
		e := e.at(t)
		k := (unique("key") + strings.Repeat("k", 255))[:255]
		body := orderBody(1000, "CNY", nil)
		first := e.post("/v1/orders", body, key(k))
		e.ok(first)
		e.assertReplay(first, e.post("/v1/orders", body, key(k)))
	})
	t.Run("every visible ASCII character", func(t *testing.T) {
		e := e.at(t)
		var sb strings.Builder
		for c := byte(0x21); c <= 0x7e; c++ {
			if c != '"' { // a leading quote would make it a quoted string
				sb.WriteByte(c)
			}
		}
		k := unique("k") + sb.String()
		body := orderBody(1000, "CNY", nil)
		first := e.post("/v1/orders", body, key(k))
		e.ok(first)
		e.assertReplay(first, e.post("/v1/orders", body, key(k)))
	})
}

func TestIdempotency_concurrentSameKeyExecutesOnce(t *testing.T) {
	e := start(t)
	const n = 32
	k := unique("key")
	body, err := json.Marshal(orderBody(1000, "CNY", nil))
	require.NoError(t, err)
	var mo struct {
		MerchantOrderID string `json:"merchant_order_id"`
	}
	require.NoError(t, json.Unmarshal(body, &mo))

	replies := make([]*reply, n)
	errs := make([]error, n)
	reqs := make([]*http.Request, n)
	for i := range reqs {
		reqs[i] = e.newRequest("POST", "/v1/orders", body, key(k))
	}
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			replies[i], errs[i] = e.send(e.hc, reqs[i])
		}(i)
	}
	close(gate)
	wg.Wait()

	executed, replayed, inUse := 0, 0, 0
	var orderID string
	for i, r := range replies {
		require.NoError(t, errs[i])
		switch {
		case r.status == 200 && r.header.Get("Idempotent-Replayed") == "true":
			replayed++
			assert.Equal(t, "order", str(r.body, "object"))
			if orderID != "" {
				assert.Equal(t, orderID, str(r.body, "id"))
			}
			orderID = str(r.body, "id")
		case r.status == 200:
			executed++
			if orderID != "" {
				assert.Equal(t, orderID, str(r.body, "id"))
			}
			orderID = str(r.body, "id")
		case r.status == 409:
			inUse++
			e.fail(r, 409, "idempotency_key_in_use")
			assert.Equal(t, "1", r.header.Get("Retry-After"))
			assert.Equal(t, "true", r.header.Get("Tokenim-Should-Retry"))
		default:
			t.Errorf("unexpected answer %d: %s", r.status, r.raw)
		}
	}
	t.Logf("executed %d, replayed %d, in use %d", executed, replayed, inUse)
	assert.Equal(t, 1, executed, "exactly one request executed")
	assert.Equal(t, n, executed+replayed+inUse)

	data, _ := e.list("/v1/orders?merchant_order_id=" + mo.MerchantOrderID)
	require.Len(t, data, 1, "one order exists")
	assert.Equal(t, orderID, str(data[0], "id"))

	// A retry of an in-use answer now replays the committed response.
	r := e.post("/v1/orders", body, key(k))
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	assert.Equal(t, orderID, str(r.body, "id"))
}

func TestIdempotency_concurrentPaymentsExecuteOnce(t *testing.T) {
	e := start(t)
	const n = 32
	o := e.order(1000)
	body, err := json.Marshal(map[string]any{"order_id": str(o, "id"), "method": card("4242424242424242")})
	require.NoError(t, err)
	k := unique("key")
	var wg sync.WaitGroup
	gate := make(chan struct{})
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		req := e.newRequest("POST", "/v1/payments", body, key(k))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			r, err := e.send(e.hc, req)
			if assert.NoError(t, err) {
				statuses[i] = r.status
			}
		}(i)
	}
	close(gate)
	wg.Wait()
	for _, s := range statuses {
		assert.Contains(t, []int{200, 409}, s)
	}
	pays, _ := e.list("/v1/payments?order_id=" + str(o, "id"))
	require.Len(t, pays, 1, "one payment, whatever the interleaving")
	assert.Equal(t, "succeeded", str(pays[0], "status"))
	assert.Len(t, e.eventsFor("payment.succeeded", str(pays[0], "id")), 1)
	assert.Len(t, e.eventsFor("order.paid", str(o, "id")), 1)
}

// TestIdempotency_inFlight provokes the in-flight case by racing many
// requests with the same key, round after round, until one arrives while the
// first is still executing. A black-box client cannot hold a request inside
// the server (latency faults apply before the key is reserved), so the body
// carries half a MiB of JSON whitespace to lengthen the execution; when no
// round collides the test skips rather than guess at timing.
func TestIdempotency_inFlight(t *testing.T) {
	e := start(t)
	const rounds, n = 40, 16
	for round := 0; round < rounds; round++ {
		k := unique("key")
		b, err := json.Marshal(orderBody(1000, "CNY", nil))
		require.NoError(t, err)
		body := append([]byte("{"+strings.Repeat(" ", 512<<10)), b[1:]...)
		reqs := make([]*http.Request, n)
		for i := range reqs {
			reqs[i] = e.newRequest("POST", "/v1/orders", body, key(k))
		}
		replies := make([]*reply, n)
		var wg sync.WaitGroup
		gate := make(chan struct{})
		for i := range reqs {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-gate
				r, err := e.send(e.hc, reqs[i])
				if assert.NoError(t, err) {
					replies[i] = r
				}
			}(i)
		}
		close(gate)
		wg.Wait()
		var inUse *reply
		executed := 0
		for _, r := range replies {
			require.NotNil(t, r)
			switch {
			case r.status == 409:
				inUse = r
			case r.status == 200 && r.header.Get("Idempotent-Replayed") == "false":
				executed++
			}
		}
		require.Equal(t, 1, executed, "round %d: exactly one request executed", round)
		if inUse == nil {
			continue
		}
		t.Logf("collision in round %d", round)
		e.fail(inUse, 409, "idempotency_key_in_use")
		assert.Equal(t, "1", inUse.header.Get("Retry-After"))
		assert.Equal(t, "true", inUse.header.Get("Tokenim-Should-Retry"))
		// The in-use answer was not stored: the retry replays the original.
		r := e.do("POST", "/v1/orders", body, key(k))
		assert.Equal(t, 200, r.status)
		assert.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
		return
	}
	t.Skipf("no in-flight collision in %d rounds of %d concurrent requests", rounds, n)
}

func TestIdempotency_replayIsTheOriginalEvenAfterChanges(t *testing.T) {
	e := start(t)
	k := unique("key")
	body := orderBody(1000, "CNY", nil)
	first := e.post("/v1/orders", body, key(k))
	o := e.ok(first)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
	again := e.post("/v1/orders", body, key(k))
	e.assertReplay(first, again)
	assert.Equal(t, "open", str(again.body, "status"), "the replay is the stored response, not the current state")
	assert.Equal(t, "canceled", str(e.getOrder(str(o, "id")), "status"))
}

func TestIdempotency_everyAnswerToAKeyedPostSaysWhetherReplayed(t *testing.T) {
	e := start(t)
	m := e.newMerchant()
	e.restrict(m.id, true)
	o := e.order(1000)
	for _, c := range []struct {
		name   string
		status int
		setup  func(e *env)
		opts   []opt
		body   any
	}{
		{"200", 200, nil, nil, orderBody(1000, "CNY", nil)},
		{"400 validation", 400, nil, nil, orderBody(0, "CNY", nil)},
		{"401", 401, nil, []opt{withHeader("Authorization", "")}, orderBody(1000, "CNY", nil)},
		{"403 mismatch", 403, nil, []opt{withHeader("Tokenim-Merchant-Id", m.id)}, orderBody(1000, "CNY", nil)},
		{"403 restricted", 403, nil, []opt{asMerchant(m)}, orderBody(1000, "CNY", nil)},
		{"409", 409, nil, nil, orderBody(1000, "CNY", map[string]any{"merchant_order_id": str(o, "merchant_order_id")})},
		{"503 maintenance", 503, func(e *env) { e.maintenance(true) }, nil, orderBody(1000, "CNY", nil)},
		{"503 fault", 503, func(e *env) {
			e.setFaults(plan(map[string]any{"kind": "error_before_commit", "status": 503}))
		}, nil, orderBody(1000, "CNY", nil)},
		{"429 fault", 429, func(e *env) { e.setFaults(plan(map[string]any{"kind": "rate_limit"})) }, nil, orderBody(1000, "CNY", nil)},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			if c.setup != nil {
				c.setup(e)
				defer e.maintenance(false)
				defer e.clearFaults()
			}
			r := e.post("/v1/orders", c.body, append([]opt{key(unique("key"))}, c.opts...)...)
			require.Equal(t, c.status, r.status, "%s", r.raw)
			assert.Equal(t, "false", r.header.Get("Idempotent-Replayed"),
				"a non-replayed answer to a keyed POST carries Idempotent-Replayed: false")
		})
	}
}

func TestIdempotency_fingerprintIsTheRawBody(t *testing.T) {
	e := start(t)
	k := unique("key")
	b, err := json.Marshal(orderBody(1000, "CNY", nil))
	require.NoError(t, err)
	e.ok(e.post("/v1/orders", b, key(k)))
	spaced := append([]byte("{ "), b[1:]...)
	r := e.post("/v1/orders", spaced, key(k))
	e.fail(r, 422, "idempotency_key_reused")
	assert.Equal(t, "false", r.header.Get("Tokenim-Should-Retry"))
}
