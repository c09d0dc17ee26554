package sandbox

// API keys (docs/tokenim-api.md §7): every merchant starts with its
// configured key as its one active key; roll makes a new active key and lets
// the old one expire on the sandbox clock; revoke ends an expiring key.
// authenticate (http.go) looks keys up here.

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Key states of docs/tokenim-api.md §7.
const (
	keyActive   = "active"
	keyExpiring = "expiring"
	keyExpired  = "expired"
	keyRevoked  = "revoked"
)

// apiKeyStatuses are the states an API key can be in.
var apiKeyStatuses = map[string]bool{"active": true, "expiring": true, "expired": true, "revoked": true}

// apiKey is one key of a merchant. The secret itself is never kept: the
// sandbox finds keys by digest (state.byKey), so no printing of its state,
// no list and no log can show one.
type apiKey struct {
	ID         string     `json:"id"`
	Object     string     `json:"object"`
	Mode       string     `json:"mode"`
	Last4      string     `json:"last4"`
	Status     string     `json:"status"`
	CreatedAt  timestamp  `json:"created_at"`
	ExpiresAt  *timestamp `json:"expires_at"`
	LastUsedAt *timestamp `json:"last_used_at"`
	versioned

	m         *merchant
	expiresAt time.Time // while expiring
}

// apiKeyWithSecret is the answer of a roll: the one time a secret is shown.
type apiKeyWithSecret struct {
	*apiKey
	Secret string `json:"secret"`
}

// keyIDFor derives a key's id from its secret, so that a configured key has
// the same key_ id after every Reset and every restart (§7).
func keyIDFor(secret string) string {
	d := sha256.Sum256([]byte("tokenim sandbox key id\x00" + secret))
	return "key_" + hex.EncodeToString(d[:12])
}

// addKeyLocked gives m a new active key for secret. The caller holds s.mu.
func (s *Sandbox) addKeyLocked(m *merchant, id, secret string) *apiKey {
	k := &apiKey{
		ID: id, Object: "api_key", Mode: "test", Last4: secret[len(secret)-4:], Status: keyActive,
		CreatedAt: timestamp(s.clock.Now()), m: m,
	}
	m.keys[k.ID] = k
	m.pos[k.ID] = len(m.keyList)
	m.keyList = append(m.keyList, k)
	s.byKey[keyDigest(secret)] = k
	return k
}

// expireKeyLocked ends an expiring key whose time has come, once: the
// scheduled job and a call with the key at the very moment may both get
// here. The caller holds s.mu.
func (s *Sandbox) expireKeyLocked(m *merchant, k *apiKey, now time.Time) {
	if k.Status != keyExpiring || now.Before(k.expiresAt) {
		return
	}
	k.Status, k.ExpiresAt = keyExpired, nil
	s.emit(m, "api_key.expired", k)
}

func getAPIKey(c *call) response {
	return getOne(c, "API key", func(id string) *apiKey { return c.m.keys[id] })
}

func listAPIKeys(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.keyList, "key_", func(k *apiKey) string { return k.ID }, func(*apiKey) bool { return true })
}

// rollAPIKey is POST /v1/api_keys/{id}/roll. Its idempotency fingerprint
// includes the calling key (route.callerInFingerprint), so a lost answer can
// be replayed to the old key and to no other.
func rollAPIKey(c *call) response {
	after, e := expireOldAfter(c.body)
	if e != nil {
		return e.response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	k := c.m.keys[c.args[0]]
	if k == nil {
		return errMissing("API key", c.args[0], "").response(c.reqID)
	}
	if e := errNotActive(c.key, k); e != nil {
		return e.response(c.reqID)
	}
	if k == c.key && after < 60 {
		return errInvalid("expire_old_after_seconds",
			"Rolling the key that makes the call needs expire_old_after_seconds of at least 60, so that a lost answer can still be replayed with it.").response(c.reqID)
	}
	now := s.clock.Now()
	secret := "sk_test_" + s.randomID(32)
	fresh := s.addKeyLocked(c.m, s.newID("key_"), secret)
	k.Status, k.expiresAt, k.ExpiresAt = keyExpiring, now.Add(time.Duration(after)*time.Second), timestampPtr(now.Add(time.Duration(after)*time.Second))
	s.emit(c.m, "api_key.rolled", k)
	s.expireKeyLocked(c.m, k, now) // expire_old_after_seconds 0 ends it at once
	s.later(c.m, k.expiresAt, func(m *merchant, now time.Time) { s.expireKeyLocked(m, k, now) })
	return jsonResponse(apiKeyWithSecret{apiKey: fresh, Secret: secret})
}

// revokeAPIKey is POST /v1/api_keys/{id}/revoke: it ends an expiring key at once.
func revokeAPIKey(c *call) response {
	if _, e := decodeStrict(c.body, nil); e != nil {
		return e.response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	k := c.m.keys[c.args[0]]
	if k == nil {
		return errMissing("API key", c.args[0], "").response(c.reqID)
	}
	if k == c.key {
		return newError(409, "cannot_revoke_current_key", "Cannot revoke the current key",
			"A key cannot revoke itself. Roll it first (POST /v1/api_keys/"+k.ID+"/roll), then revoke it with the new key; or, if it is already expiring, send this request with the key that replaced it.").withAPIKey(k.ID).response(c.reqID)
	}
	if e := errNotActive(c.key, nil); e != nil {
		return e.response(c.reqID)
	}
	if k.Status != keyExpiring {
		return newError(409, "api_key_not_active", "API key not active",
			"Only an expiring key can be revoked; this key is "+k.Status+".").withAPIKey(k.ID).response(c.reqID)
	}
	k.Status, k.ExpiresAt = keyRevoked, nil
	return jsonResponse(k)
}

// errNotActive refuses a roll or revoke made with a key that is not active,
// or (for a roll) of a target that is not (§7).
func errNotActive(caller, target *apiKey) *apiError {
	if caller.Status != keyActive {
		return newError(409, "api_key_not_active", "API key not active",
			"Only the active key may roll or revoke keys; this key is "+caller.Status+".").withAPIKey(caller.ID)
	}
	if target != nil && target.Status != keyActive {
		return newError(409, "api_key_not_active", "API key not active",
			"Only the active key can be rolled; this key is "+target.Status+".").withAPIKey(target.ID)
	}
	return nil
}
