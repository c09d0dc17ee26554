package acceptance

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The API key rules of docs/tokenim-api.md §7.

// currentKey returns the id of e's one active key.
func (e *env) currentKey(opts ...opt) map[string]any {
	e.t.Helper()
	keys, _ := e.list("/v1/api_keys", opts...)
	var active []map[string]any
	for _, k := range keys {
		if str(k, "status") == "active" {
			active = append(active, k)
		}
	}
	require.Len(e.t, active, 1, "exactly one active key: %v", keys)
	return active[0]
}

// withKey is e calling with another key of its merchant.
func (e *env) withKey(secret string) *env {
	c := *e
	c.apiKey = secret
	return &c
}

// noSecret asserts that an event's object carries no secret member.
func noSecret(t *testing.T, ev map[string]any) {
	t.Helper()
	_, has := obj(ev, "data.object")["secret"]
	assert.False(t, has, "an event never carries secret: %v", ev)
}

// roll rolls key id with the given overlap (nil: the default) and returns
// the new key with its secret.
func (e *env) roll(id string, after any, opts ...opt) map[string]any {
	e.t.Helper()
	body := map[string]any{}
	if after != nil {
		body["expire_old_after_seconds"] = after
	}
	b := e.ok(e.post("/v1/api_keys/"+id+"/roll", body, opts...))
	require.True(e.t, strings.HasPrefix(str(b, "secret"), "sk_test_"), "a roll answers the new secret: %v", b)
	return b
}

func TestAPIKeys_merchantStartsWithItsConfiguredKey(t *testing.T) {
	e := start(t)
	keys, more := e.list("/v1/api_keys")
	require.Len(t, keys, 1)
	assert.False(t, more)
	k := keys[0]
	assert.Regexp(t, `^key_[a-z0-9]+$`, str(k, "id"))
	assert.Equal(t, "api_key", str(k, "object"))
	assert.Equal(t, "test", str(k, "mode"))
	assert.Equal(t, "active", str(k, "status"))
	assert.Equal(t, e.apiKey[len(e.apiKey)-4:], str(k, "last4"))
	assertTime(t, k, "created_at")
	assertTime(t, k, "last_used_at")
	assertNull(t, k, "expires_at")
	_, hasSecret := k["secret"]
	assert.False(t, hasSecret, "a listed key never carries secret")

	got := e.ok(e.get("/v1/api_keys/" + str(k, "id")))
	assert.Equal(t, str(k, "id"), str(got, "id"))
	_, hasSecret = got["secret"]
	assert.False(t, hasSecret, "a fetched key never carries secret")
	e.fail(e.get("/v1/api_keys/key_doesnotexist"), 404, "resource_missing")

	// Another merchant's key is 404 to this one.
	other := e.newMerchant()
	e.fail(e.get("/v1/api_keys/"+str(k, "id"), asMerchant(other)), 404, "resource_missing")
}

func TestAPIKeys_lastUsedAtFollowsTheSandboxClock(t *testing.T) {
	e := start(t)
	e.freeze()
	e.advance(time.Hour)
	k := e.currentKey()
	assert.Equal(t, e.now(), assertTime(t, k, "last_used_at"), "the list call itself used the key")
}

func TestAPIKeys_rollKeepsTheOldKeyUntilItExpires(t *testing.T) {
	e := start(t)
	e.freeze()
	old := e.currentKey()
	t0 := e.now()
	fresh := e.roll(str(old, "id"), 3600)
	secret := str(fresh, "secret")
	assert.NotEqual(t, str(old, "id"), str(fresh, "id"))
	assert.Equal(t, "active", str(fresh, "status"))
	assert.Equal(t, secret[len(secret)-4:], str(fresh, "last4"))
	assertNull(t, fresh, "expires_at")

	o := e.ok(e.get("/v1/api_keys/" + str(old, "id")))
	assert.Equal(t, "expiring", str(o, "status"))
	assert.Equal(t, t0.Add(time.Hour), assertTime(t, o, "expires_at"))
	rolled := e.requireEvent("api_key.rolled", str(old, "id"))
	assert.Equal(t, "expiring", str(rolled, "data.object.status"))
	noSecret(t, rolled)

	// Both keys work during the overlap, the new one at once.
	newKey := as(secret, e.merchantID)
	e.ok(e.get("/v1/orders", newKey))
	e.advance(time.Hour - time.Second)
	e.ok(e.get("/v1/orders"))

	e.advance(time.Second)
	b := e.fail(e.get("/v1/orders"), 401, "api_key_expired")
	assert.Equal(t, str(old, "id"), str(b, "api_key_id"))
	e.fail(e.post("/v1/orders", orderBody(100, "CNY", nil)), 401, "api_key_expired")
	e.ok(e.get("/v1/orders", newKey))

	o = e.ok(e.get("/v1/api_keys/"+str(old, "id"), newKey))
	assert.Equal(t, "expired", str(o, "status"))
	ne := e.withKey(secret)
	expired := ne.requireEvent("api_key.expired", str(old, "id"))
	assert.Equal(t, t0.Add(time.Hour), assertTime(t, expired, "created_at"), "the event comes when the key expires")
	for _, ev := range ne.events("") {
		noSecret(t, ev)
	}
	keys, _ := e.list("/v1/api_keys", newKey)
	assert.Equal(t, []string{str(fresh, "id"), str(old, "id")}, ids(keys), "newest first")
}

func TestAPIKeys_rollExpiresTheOldKeyWithoutACall(t *testing.T) {
	e := start(t)
	e.freeze()
	old := e.currentKey()
	fresh := e.roll(str(old, "id"), nil) // default: 86400
	newKey := as(str(fresh, "secret"), e.merchantID)
	o := e.ok(e.get("/v1/api_keys/" + str(old, "id")))
	exp := assertTime(t, o, "expires_at")
	e.advance(24 * time.Hour)
	// Nothing called with the old key: the clock alone expired it.
	o = e.ok(e.get("/v1/api_keys/"+str(old, "id"), newKey))
	assert.Equal(t, "expired", str(o, "status"))
	ev := e.withKey(str(fresh, "secret")).requireEvent("api_key.expired", str(old, "id"))
	assert.Equal(t, exp, assertTime(t, ev, "created_at"))
}

func TestAPIKeys_rollValidatesTheOverlap(t *testing.T) {
	e := start(t)
	id := str(e.currentKey(), "id")
	for _, bad := range []any{-1, 604801, "60", 1.5} {
		e.failParam(e.post("/v1/api_keys/"+id+"/roll", map[string]any{"expire_old_after_seconds": bad}), 400, "", "expire_old_after_seconds")
	}
	e.failParam(e.post("/v1/api_keys/"+id+"/roll", map[string]any{"expires": 60}), 400, "parameter_unknown", "expires")
	// Rolling the calling key needs a minute, so a lost answer can be
	// replayed with it.
	for _, short := range []int{0, 59} {
		e.failParam(e.post("/v1/api_keys/"+id+"/roll", map[string]any{"expire_old_after_seconds": short}), 400, "invalid_request", "expire_old_after_seconds")
	}
	assert.Equal(t, id, str(e.currentKey(), "id"), "a refused roll changes nothing")
	e.roll(id, 60)
	e.fail(e.post("/v1/api_keys/key_doesnotexist/roll", map[string]any{}), 404, "resource_missing")
}

func TestAPIKeys_onlyTheActiveKeyRollsOrRevokes(t *testing.T) {
	e := start(t)
	old := e.currentKey()
	fresh := e.roll(str(old, "id"), 3600)
	newKey := as(str(fresh, "secret"), e.merchantID)

	// The expiring key may still call, but not roll or revoke anything.
	b := e.fail(e.post("/v1/api_keys/"+str(fresh, "id")+"/roll", map[string]any{"expire_old_after_seconds": 3600}), 409, "api_key_not_active")
	assert.Equal(t, str(old, "id"), str(b, "api_key_id"))
	e.fail(e.post("/v1/api_keys/"+str(old, "id")+"/roll", map[string]any{"expire_old_after_seconds": 3600}), 409, "api_key_not_active")
	e.fail(e.post("/v1/api_keys/"+str(fresh, "id")+"/revoke", nil), 409, "api_key_not_active")
	// Rolling a key that is not active, with the active one.
	b = e.fail(e.post("/v1/api_keys/"+str(old, "id")+"/roll", map[string]any{"expire_old_after_seconds": 3600}, newKey), 409, "api_key_not_active")
	assert.Equal(t, str(old, "id"), str(b, "api_key_id"))
	assert.Equal(t, str(fresh, "id"), str(e.currentKey(newKey), "id"))
}

func TestAPIKeys_revokeEndsAnExpiringKey(t *testing.T) {
	e := start(t)
	old := e.currentKey()
	fresh := e.roll(str(old, "id"), 3600)
	newKey := as(str(fresh, "secret"), e.merchantID)

	b := e.fail(e.post("/v1/api_keys/"+str(fresh, "id")+"/revoke", nil, newKey), 409, "cannot_revoke_current_key")
	assert.Equal(t, str(fresh, "id"), str(b, "api_key_id"))

	r := e.ok(e.post("/v1/api_keys/"+str(old, "id")+"/revoke", nil, newKey))
	assert.Equal(t, "revoked", str(r, "status"))
	assertNull(t, r, "expires_at")
	_, hasSecret := r["secret"]
	assert.False(t, hasSecret)
	e.fail(e.get("/v1/orders"), 401, "invalid_api_key")
	e.fail(e.post("/v1/api_keys/"+str(old, "id")+"/revoke", nil, newKey), 409, "api_key_not_active")
	e.fail(e.post("/v1/api_keys/key_doesnotexist/revoke", nil, newKey), 404, "resource_missing")
	e.ok(e.get("/v1/orders", newKey))
}

func TestAPIKeys_rollIsIdempotentForTheCallingKeyOnly(t *testing.T) {
	e := start(t)
	old := e.currentKey()
	body := map[string]any{"expire_old_after_seconds": 600}
	first := e.post("/v1/api_keys/"+str(old, "id")+"/roll", body, key("roll-1"))
	fresh := e.ok(first)
	// The answer was lost; the retry with the old (now expiring) key
	// replays it: the same new key and secret, nothing rolled twice.
	again := e.post("/v1/api_keys/"+str(old, "id")+"/roll", body, key("roll-1"))
	replay := e.ok(again)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, str(fresh, "id"), str(replay, "id"))
	assert.Equal(t, str(fresh, "secret"), str(replay, "secret"))
	// Another key sending the same idempotency key is another request.
	newKey := as(str(fresh, "secret"), e.merchantID)
	e.fail(e.post("/v1/api_keys/"+str(old, "id")+"/roll", body, key("roll-1"), newKey), 422, "idempotency_key_reused")
	keys, _ := e.list("/v1/api_keys", newKey)
	assert.Len(t, keys, 2)
}

func TestAPIKeys_restrictedMerchantMayStillRotate(t *testing.T) {
	e := start(t)
	m := e.newMerchant()
	e.restrict(m.id, true)
	old := e.currentKey(asMerchant(m))
	fresh := e.roll(str(old, "id"), 3600, asMerchant(m))
	r := e.ok(e.post("/v1/api_keys/"+str(old, "id")+"/revoke", nil, as(str(fresh, "secret"), m.id)))
	assert.Equal(t, "revoked", str(r, "status"))
}

func TestAPIKeys_resetRestoresTheConfiguredKey(t *testing.T) {
	e := start(t)
	old := e.currentKey()
	fresh := e.roll(str(old, "id"), 3600)
	e.ok(e.post("/v1/api_keys/"+str(old, "id")+"/revoke", nil, as(str(fresh, "secret"), e.merchantID)))
	e.control("POST", "/_sandbox/reset", nil)

	keys, _ := e.list("/v1/api_keys")
	require.Len(t, keys, 1, "the configured key is the only key again")
	assert.Equal(t, str(old, "id"), str(keys[0], "id"), "with the same id")
	assert.Equal(t, "active", str(keys[0], "status"))
	e.fail(e.get("/v1/orders", as(str(fresh, "secret"), e.merchantID)), 401, "invalid_api_key")
}

// TestAPIKeys_rotationUnderLoad rolls the key while 8 workers call without
// pause, each taking its key from a source consulted per call (what
// tokenim.WithAPIKeyFunc does). Once the source hands out the new key no
// call fails, the old key expires on the sandbox clock under load, and the
// request log shows the switch: the old key's last4, then the new one's.
func TestAPIKeys_rotationUnderLoad(t *testing.T) {
	e := start(t)
	e.freeze()
	old := e.currentKey()
	var source atomic.Pointer[string]
	oldSecret := e.apiKey
	source.Store(&oldSecret)

	stop := make(chan struct{})
	progress := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstFailure atomic.Value
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := *source.Load()
				r, err := e.send(e.hc, e.newRequest("GET", "/v1/orders?limit=1", nil, as(k, e.merchantID)))
				if k != oldSecret && (err != nil || r.status != http.StatusOK) {
					failed.Add(1)
					if err != nil {
						firstFailure.CompareAndSwap(nil, err.Error())
					} else {
						firstFailure.CompareAndSwap(nil, string(r.raw))
					}
				}
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	// waitCalls waits until the workers have made at least n more calls.
	waitCalls := func(n int) {
		for i := 0; i < n; i++ {
			<-progress
		}
	}
	waitCalls(50)
	fresh := e.roll(str(old, "id"), 300)
	waitCalls(50) // the old key goes on working during the overlap
	secret := str(fresh, "secret")
	source.Store(&secret) // "deploy": the fleet's source now hands out the new key
	waitCalls(100)
	e.advance(5 * time.Minute) // the old key expires while the workers call
	waitCalls(100)
	close(stop)
	wg.Wait()
	assert.Zero(t, failed.Load(), "calls with the new key failed: %v", firstFailure.Load())

	newKey := as(secret, e.merchantID)
	o := e.ok(e.get("/v1/api_keys/"+str(old, "id"), newKey))
	assert.Equal(t, "expired", str(o, "status"))

	// The log, oldest to newest, shows the old key's last4 and then only the
	// new key's.
	var seq []string
	path := "/v1/request_logs?limit=100&path=/v1/orders"
	for {
		data, more := e.list(path, newKey)
		for _, l := range data {
			seq = append(seq, str(l, "api_key_last4"))
		}
		if !more {
			break
		}
		path = "/v1/request_logs?limit=100&path=/v1/orders&starting_after=" + str(data[len(data)-1], "id")
	}
	require.NotEmpty(t, seq)
	oldLast4, newLast4 := oldSecret[len(oldSecret)-4:], secret[len(secret)-4:]
	// seq is newest first: the new key's calls end it, the old key's began it.
	assert.Equal(t, newLast4, seq[0])
	assert.Equal(t, oldLast4, seq[len(seq)-1])
	assert.Subset(t, []string{oldLast4, newLast4}, seq)
	// Any call that failed was made with the old key.
	failures, _ := e.list("/v1/request_logs?limit=100&status=4xx", newKey)
	for _, l := range failures {
		assert.Equal(t, oldLast4, str(l, "api_key_last4"), "a failed call: %v", l)
	}
	assert.Equal(t, http.StatusOK, e.get("/v1/orders", newKey).status)
}
