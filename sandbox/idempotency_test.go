package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdemStore_fingerprintDecidesReplayOrMismatch(t *testing.T) {
	t.Parallel()
	st := newIdemStore(10)
	fp := newFingerprint("POST", "/v1/orders", []byte(`{"a":1}`))
	res, e := st.begin("k", fp, t0)
	require.Equal(t, idemExecute, res)

	res, _ = st.begin("k", fp, t0)
	assert.Equal(t, idemInUse, res, "same request while the first runs")

	st.finish(e, response{status: 200, body: []byte(`{"id":"ord_1"}`)}, t0)
	res, got := st.begin("k", fp, t0.Add(time.Hour))
	require.Equal(t, idemReplay, res)
	assert.Equal(t, `{"id":"ord_1"}`, string(got.resp.body))

	for name, other := range map[string]fingerprint{
		"body":   newFingerprint("POST", "/v1/orders", []byte(`{"a":2}`)),
		"path":   newFingerprint("POST", "/v1/payments", []byte(`{"a":1}`)),
		"method": newFingerprint("DELETE", "/v1/orders", []byte(`{"a":1}`)),
	} {
		res, _ := st.begin("k", other, t0)
		assert.Equal(t, idemMismatch, res, "different %s", name)
	}
}

func TestIdemStore_storesOnlyCommittedOutcomes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status int
		code   string
		stored bool
	}{
		{200, "", true}, {402, "card_declined", true}, {404, "resource_missing", true},
		{409, "order_already_paid", true}, {409, "idempotency_key_in_use", false},
		{400, "invalid_request", false}, {401, "authentication_required", false}, {403, "account_restricted", false},
		{422, "idempotency_key_reused", false}, {429, "rate_limited", false}, {500, "internal_error", false},
		{503, "service_unavailable", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d_%s", c.status, c.code), func(t *testing.T) {
			t.Parallel()
			st := newIdemStore(10)
			fp := newFingerprint("POST", "/v1/orders", nil)
			_, e := st.begin("k", fp, t0)
			st.finish(e, response{status: c.status, code: c.code}, t0)
			res, _ := st.begin("k", fp, t0)
			if c.stored {
				assert.Equal(t, idemReplay, res)
			} else {
				assert.Equal(t, idemExecute, res, "a retry executes afresh")
			}
		})
	}
}

func TestIdemStore_expiresAfter24hOnTheClock(t *testing.T) {
	t.Parallel()
	st := newIdemStore(10)
	fp := newFingerprint("POST", "/v1/orders", []byte("x"))
	_, e := st.begin("k", fp, t0)
	st.finish(e, response{status: 200}, t0)

	res, _ := st.begin("k", newFingerprint("POST", "/v1/orders", []byte("y")), t0.Add(24*time.Hour-time.Second))
	assert.Equal(t, idemMismatch, res, "still kept just before 24 h")
	res, _ = st.begin("k", newFingerprint("POST", "/v1/orders", []byte("y")), t0.Add(24*time.Hour))
	assert.Equal(t, idemExecute, res, "expired at 24 h: the key is free again")
}

func TestIdemStore_neverForgetsALiveKeyAtCapacity(t *testing.T) {
	t.Parallel()
	st := newIdemStore(3)
	fp := newFingerprint("POST", "/v1/refunds", nil)
	for i := range 3 {
		_, e := st.begin(fmt.Sprint("k", i), fp, t0.Add(time.Duration(i)*time.Minute))
		st.finish(e, response{status: 200}, t0.Add(time.Duration(i)*time.Minute))
	}
	res, _ := st.begin("new", fp, t0.Add(time.Hour))
	assert.Equal(t, idemFull, res, "a new key at capacity is refused, not stored")
	assert.Equal(t, 23*3600, st.retryAfter(t0.Add(time.Hour)), "retry when the oldest key expires")
	for i := range 3 {
		res, _ := st.begin(fmt.Sprint("k", i), fp, t0.Add(time.Hour))
		assert.Equal(t, idemReplay, res, "live key k%d is still replayed", i)
	}
	res, _ = st.begin("new", fp, t0.Add(24*time.Hour))
	assert.Equal(t, idemExecute, res, "the oldest key expired and freed a place")
}

// A repeated refund must never execute twice, however many other keyed
// POSTs came in between (keys used to be evicted at 10 000).
func TestSandbox_repeatedRefundNeverExecutesTwiceAtCapacity(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0), WithIdempotencyCapacity(50))
	orderID := newOrder(t, srv, 5000)
	pay := api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4242424242424242"))
	require.Equal(t, 200, pay.status, "%s", pay.raw)
	refund := map[string]any{"payment_id": pay.str("id"), "amount": 100}
	first := api(t, srv, "POST", "/v1/refunds", refund, "Idempotency-Key", "refund-1")
	require.Equal(t, 200, first.status, "%s", first.raw)

	var full result
	for i := range 60 {
		full = api(t, srv, "POST", "/v1/orders", map[string]any{
			"merchant_order_id": fmt.Sprint("fill-", i), "amount": 100, "currency": "CNY",
		}, "Idempotency-Key", fmt.Sprint("fill-", i))
		if full.status != 200 {
			break
		}
	}
	assert.Equal(t, 503, full.status, "past capacity a new key is refused")
	assert.Equal(t, "service_unavailable", full.str("code"))
	assert.NotEmpty(t, full.header.Get("Retry-After"))

	again := api(t, srv, "POST", "/v1/refunds", refund, "Idempotency-Key", "refund-1")
	require.Equal(t, 200, again.status, "%s", again.raw)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, first.str("id"), again.str("id"), "the same refund, not a second one")
	list := api(t, srv, "GET", "/v1/refunds", nil)
	assert.Len(t, list.body["data"], 1, "exactly one refund executed")
}

func TestParseIdempotencyKey(t *testing.T) {
	t.Parallel()
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	cases := map[string]struct {
		in, want string
		ok       bool
	}{
		"bare":          {"abc-123", "abc-123", true},
		"quoted":        {`"abc-123"`, "abc-123", true},
		"quoted escape": {`"a\"b"`, `a"b`, true},
		"empty":         {"", "", false},
		"space":         {"a b", "", false},
		"non-ascii":     {"ключ", "", false},
		"too long":      {string(long), "", false},
		"max length":    {string(long[:255]), string(long[:255]), true},
		"empty quoted":  {`""`, `""`, true}, // quotes nothing, so it is the two-character bare key
		"quoted space":  {`"a b"`, "", false},
	}
	for name, c := range cases {
		got, ok := parseIdempotencyKey(c.in)
		assert.Equal(t, c.ok, ok, name)
		assert.Equal(t, c.want, got, name)
	}
}

func TestIdempotency_sameKeyFromManyGoroutinesExecutesOnce(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	orderID := newOrder(t, srv, 1999)
	body := cardPayment(orderID, "4242424242424242")

	const n = 64
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = api(t, srv, "POST", "/v1/payments", body, "Idempotency-Key", "same-key")
		}()
	}
	close(start)
	wg.Wait()

	var firstBody string
	executed := 0
	for _, r := range results {
		switch r.status {
		case 200:
			if r.header.Get("Idempotent-Replayed") == "false" {
				executed++
			}
			if firstBody == "" {
				firstBody = string(r.raw)
			}
			assert.Equal(t, firstBody, string(r.raw), "every 200 is the one payment")
		case 409:
			assert.Equal(t, "idempotency_key_in_use", r.str("code"))
			assert.Equal(t, "1", r.header.Get("Retry-After"))
		default:
			t.Errorf("unexpected status %d: %s", r.status, r.raw)
		}
	}
	assert.Equal(t, 1, executed, "exactly one request executed")
	list := api(t, srv, "GET", "/v1/payments?order_id="+orderID, nil)
	assert.Len(t, list.body["data"], 1, "exactly one payment exists")
}

func TestIdempotency_replayOverHTTP(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	body := map[string]any{"merchant_order_id": "m1", "amount": 100, "currency": "CNY"}
	first := api(t, srv, "POST", "/v1/orders", body, "Idempotency-Key", "k1")
	require.Equal(t, 200, first.status)
	again := api(t, srv, "POST", "/v1/orders", body, "Idempotency-Key", `"k1"`)
	assert.Equal(t, 200, again.status)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, string(first.raw), string(again.raw), "byte for byte")
	assert.NotEqual(t, first.header.Get("Request-Id"), again.header.Get("Request-Id"))

	other := api(t, srv, "POST", "/v1/orders", map[string]any{"merchant_order_id": "m2", "amount": 100, "currency": "CNY"},
		"Idempotency-Key", "k1")
	assert.Equal(t, http.StatusUnprocessableEntity, other.status)
	assert.Equal(t, "idempotency_key_reused", other.str("code"))

	// Another merchant's identical key is its own.
	m := srv.AddMerchant()
	mine := apiAs(t, srv, m, "POST", "/v1/orders", body, "Idempotency-Key", "k1")
	assert.Equal(t, 200, mine.status)
	assert.Equal(t, "false", mine.header.Get("Idempotent-Replayed"))

	srv.Advance(24 * time.Hour)
	fresh := api(t, srv, "POST", "/v1/orders", map[string]any{"merchant_order_id": "m3", "amount": 100, "currency": "CNY"},
		"Idempotency-Key", "k1")
	assert.Equal(t, 200, fresh.status, "after 24 h sandbox time the key is free")
}

func TestIdempotency_advanceFreesExpiredKeys(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	for i := range 3 {
		api(t, srv, "POST", "/v1/orders", map[string]any{"merchant_order_id": fmt.Sprint("m", i), "amount": 100, "currency": "CNY"},
			"Idempotency-Key", fmt.Sprint("k", i))
	}
	srv.mu.Lock()
	m := srv.merchants[srv.MerchantID]
	before := m.idem.len()
	srv.mu.Unlock()
	require.Equal(t, 3, before)
	srv.Advance(24 * time.Hour)
	srv.mu.Lock()
	after := m.idem.len()
	srv.mu.Unlock()
	assert.Equal(t, 0, after, "expired keys are released from memory by Advance")
}

// A handler that panics commits nothing; its key must not stay "in flight"
// (every retry would get 409 idempotency_key_in_use forever).
func TestIdempotent_panickingHandlerFreesTheKey(t *testing.T) {
	t.Parallel()
	sb := New(WithFrozenClock(t0))
	defer sb.Close()
	m := sb.merchants[sb.DefaultMerchant().ID]
	c := &call{s: sb, m: m, r: httptest.NewRequest("POST", "/v1/orders", nil), body: []byte(`{}`)}

	assert.Panics(t, func() {
		sb.idempotent(c, &route{h: func(*call) response { panic("boom") }}, "k-panic")
	})
	resp, replayed := sb.idempotent(c, &route{h: func(*call) response { return response{status: 200} }}, "k-panic")
	assert.Equal(t, 200, resp.status, "the retry executes")
	assert.False(t, replayed)
}

// Two Idempotency-Key headers are not one key "a,b": the request is refused.
func TestIdempotency_severalKeyHeadersAreRefused(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	req, err := http.NewRequest("POST", srv.URL+"/v1/orders", strings.NewReader(`{"merchant_order_id":"two-keys","amount":100,"currency":"CNY"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", srv.MerchantID)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("Idempotency-Key", "a")
	req.Header.Add("Idempotency-Key", "b")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var pb map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&pb))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Idempotency-Key", pb["param"])
	assert.Empty(t, api(t, srv, "GET", "/v1/orders", nil).body["data"], "nothing executed")
}

// A replay is the original answer byte for byte, even after the object it
// created changed (docs/tokenim-api.md §2): the store keeps a coded copy of
// the body, not a reference it would render again.
func TestIdempotency_replayIsTheOriginalAfterTheObjectChanged(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	body := map[string]any{"merchant_order_id": "replay-exact", "amount": 5000, "currency": "CNY", "metadata": map[string]any{"note": "茶 <tea> & \"quotes\""}}
	first := api(t, srv, "POST", "/v1/orders", body, "Idempotency-Key", "exact-1")
	require.Equal(t, 200, first.status, "%s", first.raw)
	pay := api(t, srv, "POST", "/v1/payments", cardPayment(first.str("id"), "4242424242424242"))
	require.Equal(t, 200, pay.status, "%s", pay.raw)
	require.Equal(t, "paid", api(t, srv, "GET", "/v1/orders/"+first.str("id"), nil).str("status"))

	again := api(t, srv, "POST", "/v1/orders", body, "Idempotency-Key", "exact-1")
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, first.raw, again.raw, "the original body, order still open")
	assert.Equal(t, first.header.Get("Content-Type"), again.header.Get("Content-Type"))

	miss := api(t, srv, "POST", "/v1/orders/ord_missing/cancel", map[string]any{}, "Idempotency-Key", "exact-404")
	require.Equal(t, 404, miss.status)
	missAgain := api(t, srv, "POST", "/v1/orders/ord_missing/cancel", map[string]any{}, "Idempotency-Key", "exact-404")
	assert.Equal(t, miss.raw, missAgain.raw, "a stored error keeps its original request_id")
	assert.Equal(t, miss.header.Get("Tokenim-Should-Retry"), missAgain.header.Get("Tokenim-Should-Retry"))
}

// Expiry frees what the keys used: records, map slots and the arena's chunks.
func TestIdemStore_expiryReleasesTheArena(t *testing.T) {
	t.Parallel()
	st := newIdemStore(1 << 20)
	body := []byte(strings.Repeat(`{"id":"ord_x","object":"order"}`, 40))
	for i := range 3 * idemBlock {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		_, e := st.begin(fmt.Sprint("k", i), newFingerprint("POST", "/v1/orders", []byte(fmt.Sprint(i))), at)
		st.finish(e, response{status: 200, body: body, contentType: "application/json"}, at)
	}
	require.Equal(t, 3*idemBlock, st.len())
	require.Greater(t, len(st.arena.chunks), 1)
	res, got := st.begin("k5", newFingerprint("POST", "/v1/orders", []byte("5")), t0.Add(time.Hour))
	require.Equal(t, idemReplay, res)
	assert.Equal(t, body, got.resp.body)

	st.sweep(t0.Add(idemTTL + time.Duration(idemBlock-1)*time.Millisecond))
	assert.Equal(t, 2*idemBlock, st.len(), "the first block's keys expired")
	st.sweep(t0.Add(2 * idemTTL))
	assert.Zero(t, st.len())
	assert.Empty(t, st.arena.chunks, "no chunk outlives its keys")
	assert.Empty(t, st.blocks, "no block of the ring outlives its keys")
	assert.Empty(t, st.live)
}

// The body coding is lossless for any bytes.
func FuzzSnapshotRoundTrip(f *testing.F) {
	f.Add([]byte(`{"id":"ord_1","object":"order","status":"open","metadata":{}}`))
	f.Add([]byte(`aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		coded := snapshots.encode(nil, b)
		got, ok := snapshots.decode(coded)
		require.True(t, ok)
		require.Equal(t, string(b), string(got))
	})
}

// The store used to refuse every new key past 100 000 live ones (503 for a
// day of sandbox time); it now takes far more, and a key costs little.
func TestIdemStore_takesMoreThanAHundredThousandLiveKeys(t *testing.T) {
	t.Parallel()
	require.GreaterOrEqual(t, DefaultIdempotencyCapacity, 10_000_000)
	st := newIdemStore(DefaultIdempotencyCapacity)
	fp := newFingerprint("POST", "/v1/orders", []byte(`{"merchant_order_id":"m","amount":1,"currency":"CNY"}`))
	body := []byte(`{"id":"ord_hl67wipjpumwkwluj5j2gla7","object":"order","merchant_order_id":"m","amount":1}`)
	for i := range 100_001 {
		res, e := st.begin("k"+strconv.Itoa(i), fp, t0)
		require.Equal(t, idemExecute, res, "key %d", i)
		st.finish(e, response{status: 200, body: body, contentType: "application/json"}, t0)
	}
	res, got := st.begin("k0", fp, t0)
	require.Equal(t, idemReplay, res, "the first key is still live")
	assert.Equal(t, body, got.resp.body)
	assert.Equal(t, 56, int(unsafe.Sizeof(idemRecord{})), "a completed key's record")
}
