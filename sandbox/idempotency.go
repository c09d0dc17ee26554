package sandbox

import (
	"container/list"
	"crypto/sha256"
	"time"
)

// idemTTL is how long a key is kept, on the sandbox clock (§2).
const idemTTL = 24 * time.Hour

// fingerprint identifies a request for idempotency: method, path and the
// SHA-256 of the raw body.
type fingerprint struct {
	method string
	path   string
	body   [sha256.Size]byte
	caller string // the calling key's id, for a key roll (§7); else empty
}

func newFingerprint(method, path string, body []byte) fingerprint {
	return fingerprint{method: method, path: path, body: sha256.Sum256(body)}
}

type idemEntry struct {
	key       string
	fp        fingerprint
	done      bool
	resp      response
	expiresAt time.Time
	elem      *list.Element // position in the completion order, once done
}

// idemStore keeps one merchant's idempotency keys. A key is never forgotten
// before it expires (forgetting it would let a repeated refund execute
// twice); memory is bounded instead by refusing new keys at capacity (see
// begin). Expired keys are dropped lazily on lookup, on every completion and
// after every clock advance. The caller holds the sandbox lock.
type idemStore struct {
	capacity int
	entries  map[string]*idemEntry
	order    *list.List // completed entries, oldest first
}

func newIdemStore(capacity int) *idemStore {
	return &idemStore{capacity: capacity, entries: map[string]*idemEntry{}, order: list.New()}
}

// idemResult says what to do with a keyed request.
type idemResult int

const (
	idemExecute  idemResult = iota // new key: run it, then finish or abandon
	idemReplay                     // finished before: answer the stored response
	idemInUse                      // same request still running
	idemMismatch                   // key used for a different request
	idemFull                       // new key, but the store is at capacity: 503, store nothing
)

// begin looks key up at now and, when it is new, claims it as in flight.
func (st *idemStore) begin(key string, fp fingerprint, now time.Time) (idemResult, *idemEntry) {
	st.sweep(now)
	if e, ok := st.entries[key]; ok {
		if e.done && !now.Before(e.expiresAt) {
			st.remove(e)
		} else {
			switch {
			case e.fp != fp:
				return idemMismatch, e
			case !e.done:
				return idemInUse, e
			default:
				return idemReplay, e
			}
		}
	}
	if len(st.entries) >= st.capacity {
		return idemFull, nil
	}
	e := &idemEntry{key: key, fp: fp, expiresAt: now.Add(idemTTL)}
	st.entries[key] = e
	return idemExecute, e
}

// retryAfter is how long, in whole seconds (at least 1), until the oldest
// completed key expires and frees a place in a full store.
func (st *idemStore) retryAfter(now time.Time) int {
	f := st.order.Front()
	if f == nil {
		return 1 // only requests in flight: they finish or free their key soon
	}
	wait := f.Value.(*idemEntry).expiresAt.Sub(now)
	return max(1, int((wait+time.Second-1)/time.Second))
}

// finish stores resp for e when the storage rule allows it, else frees the key.
func (st *idemStore) finish(e *idemEntry, resp response, now time.Time) {
	if st.entries[e.key] != e {
		return
	}
	if !resp.storable() {
		delete(st.entries, e.key)
		return
	}
	e.done = true
	e.resp = resp
	e.expiresAt = now.Add(idemTTL) // kept 24 h from completion, so order is expiry order
	e.elem = st.order.PushBack(e)
	st.sweep(now)
}

// abandon frees a key whose request never committed.
func (st *idemStore) abandon(e *idemEntry) {
	if st.entries[e.key] == e && !e.done {
		delete(st.entries, e.key)
	}
}

// sweep drops expired keys, oldest first. Completed keys are in completion
// order, which is also expiry order (every key lives idemTTL).
func (st *idemStore) sweep(now time.Time) {
	for f := st.order.Front(); f != nil; f = st.order.Front() {
		e := f.Value.(*idemEntry)
		if now.Before(e.expiresAt) {
			return
		}
		st.remove(e)
	}
}

func (st *idemStore) remove(e *idemEntry) {
	if e.elem != nil {
		st.order.Remove(e.elem)
		e.elem = nil
	}
	if st.entries[e.key] == e {
		delete(st.entries, e.key)
	}
}

func (st *idemStore) len() int { return len(st.entries) }

// parseIdempotencyKey validates the header: 1–255 visible ASCII characters,
// or an RFC 8941 quoted string of such (the quoted and bare forms are the
// same key).
func parseIdempotencyKey(h string) (string, bool) {
	if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
		if key, ok := unquoteKey(h[1 : len(h)-1]); ok && validBareKey(key) {
			return key, true
		}
		// Not a valid quoted string, or quoting nothing usable: the header
		// is still a key if it is one as written (`""`, `"a"b"`).
	}
	if !validBareKey(h) {
		return "", false
	}
	return h, true
}

// unquoteKey undoes the escapes of an RFC 8941 string's content.
func unquoteKey(inner string) (string, bool) {
	out := make([]byte, 0, len(inner))
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if c == '\\' {
			if i+1 >= len(inner) || (inner[i+1] != '"' && inner[i+1] != '\\') {
				return "", false
			}
			i++
			c = inner[i]
		} else if c == '"' {
			return "", false
		}
		out = append(out, c)
	}
	return string(out), true
}

// validBareKey is the contract's rule: 1–255 visible ASCII characters.
func validBareKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
