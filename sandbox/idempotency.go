package sandbox

import (
	"crypto/sha256"
	"encoding/json"
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

// digest is what the store keeps of a fingerprint: 16 bytes of the SHA-256
// of its parts, length-prefixed so that no two fingerprints share one.
func (fp fingerprint) digest() idemDigest {
	h := sha256.New()
	for _, part := range []string{fp.method, fp.path, fp.caller} {
		h.Write([]byte{byte(len(part) >> 8), byte(len(part))})
		h.Write([]byte(part))
	}
	h.Write(fp.body[:])
	var d idemDigest
	copy(d[:], h.Sum(nil))
	return d
}

// idemDigest is 16 bytes of a SHA-256: of a key, or of a fingerprint. Two
// keys of one merchant collide with odds below 2^-64 at 10^9 keys.
type idemDigest [16]byte

func keyOf(key string) idemDigest {
	sum := sha256.Sum256([]byte(key))
	var d idemDigest
	copy(d[:], sum[:])
	return d
}

// idemEntry is a key in flight (begin to finish or abandon), or, for
// idemReplay, the stored answer.
type idemEntry struct {
	key  idemDigest
	fp   idemDigest
	resp response // idemReplay: the original answer
}

// idemRecord is a completed key: 56 bytes, and its coded body in the arena.
type idemRecord struct {
	key, fp    idemDigest
	expires    int64 // sandbox clock, Unix nanoseconds
	chunk, off uint32
	n          uint32
	status     uint16
	ctype      uint8 // index in idemTypes
	retry      uint8 // index in idemRetry
}

var (
	idemTypes = [...]string{"", "application/json", "application/problem+json"}
	idemRetry = [...]string{"", "true", "false"}
)

const idemBlock = 4096 // records per block of the ring

// idemStore keeps one merchant's idempotency keys. A key is never forgotten
// before it expires (forgetting it would let a repeated refund execute
// twice); memory is bounded instead by refusing new keys at capacity (see
// begin). A completed key costs its record, a map slot and its coded body
// (docs/contract-decisions.md, idempotency store). Completed keys sit in a
// ring in completion order, which is expiry order (every key lives idemTTL),
// so expiry pops the ring's front and frees the arena's oldest chunks.
// Expired keys are dropped on lookup, on every completion and after every
// clock advance. The caller holds the sandbox lock.
type idemStore struct {
	capacity int
	live     map[idemDigest]uint64 // completed key → its sequence number
	flight   map[idemDigest]*idemEntry
	blocks   [][]idemRecord // the ring: blocks[0][head] is the oldest record
	head     int
	first    uint64 // sequence number of the oldest record
	next     uint64 // sequence number of the next record
	arena    idemArena
	odd      map[uint64]response // answers the record cannot describe (rare)
}

func newIdemStore(capacity int) *idemStore {
	return &idemStore{capacity: capacity, live: map[idemDigest]uint64{},
		flight: map[idemDigest]*idemEntry{}, odd: map[uint64]response{}}
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
	k, f := keyOf(key), fp.digest()
	if e, ok := st.flight[k]; ok {
		if e.fp != f {
			return idemMismatch, nil
		}
		return idemInUse, nil
	}
	if seq, ok := st.live[k]; ok && now.UnixNano() < st.record(seq).expires {
		r := st.record(seq)
		if r.fp != f {
			return idemMismatch, nil
		}
		return idemReplay, &idemEntry{key: k, fp: f, resp: st.answer(seq, r)}
	}
	delete(st.live, k) // expired, if it was there (the clock never moves back)
	if st.len() >= st.capacity {
		return idemFull, nil
	}
	e := &idemEntry{key: k, fp: f}
	st.flight[k] = e
	return idemExecute, e
}

// retryAfter is how long, in whole seconds (at least 1), until the oldest
// completed key expires and frees a place in a full store.
func (st *idemStore) retryAfter(now time.Time) int {
	if st.first == st.next {
		return 1 // only requests in flight: they finish or free their key soon
	}
	wait := time.Unix(0, st.record(st.first).expires).Sub(now)
	return max(1, int((wait+time.Second-1)/time.Second))
}

// finish stores resp for e when the storage rule allows it, else frees the key.
func (st *idemStore) finish(e *idemEntry, resp response, now time.Time) {
	if st.flight[e.key] != e {
		return
	}
	delete(st.flight, e.key)
	if !resp.storable() {
		return
	}
	r := idemRecord{key: e.key, fp: e.fp, expires: now.Add(idemTTL).UnixNano(), status: uint16(resp.status)}
	ct, ctOK := idemIndex(idemTypes[:], resp.contentType)
	rt, rtOK := idemIndex(idemRetry[:], resp.shouldRetry)
	seq := st.next
	if ctOK && rtOK && resp.retryAfter == 0 && resp.status >= 0 && resp.status < 1<<16 {
		r.ctype, r.retry = ct, rt
		coded := snapshots.encode(st.arena.scratch[:0], resp.body)
		st.arena.scratch = coded[:0]
		r.chunk, r.off = st.arena.put(coded)
		r.n = uint32(len(coded))
	} else {
		resp.body = append([]byte(nil), resp.body...)
		st.odd[seq] = resp
	}
	st.push(r)
	st.live[e.key] = seq
	st.sweep(now)
}

func idemIndex(values []string, v string) (uint8, bool) {
	for i, x := range values {
		if x == v {
			return uint8(i), true
		}
	}
	return 0, false
}

// answer rebuilds the stored response of record seq.
func (st *idemStore) answer(seq uint64, r *idemRecord) response {
	if resp, ok := st.odd[seq]; ok {
		resp.body = append([]byte(nil), resp.body...)
		return resp
	}
	body, ok := snapshots.decode(st.arena.get(r.chunk, r.off, r.n))
	if !ok { // cannot happen: the store coded these bytes itself
		return newError(500, "internal_error", "Internal error", "The sandbox could not read a stored idempotent answer.").response("")
	}
	resp := response{status: int(r.status), body: body, contentType: idemTypes[r.ctype], shouldRetry: idemRetry[r.retry]}
	if r.ctype == 2 { // the request log records a replayed error's code
		var pb struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(body, &pb)
		resp.code = pb.Code
	}
	return resp
}

// abandon frees a key whose request never committed.
func (st *idemStore) abandon(e *idemEntry) {
	if st.flight[e.key] == e {
		delete(st.flight, e.key)
	}
}

// sweep drops expired keys, oldest first, and the arena chunks only they used.
func (st *idemStore) sweep(now time.Time) {
	t := now.UnixNano()
	for st.first != st.next {
		r := st.record(st.first)
		if t < r.expires {
			st.arena.release(r.chunk)
			return
		}
		if st.live[r.key] == st.first {
			delete(st.live, r.key)
		}
		delete(st.odd, st.first)
		st.pop()
	}
	st.arena.release(^uint32(0))
}

func (st *idemStore) record(seq uint64) *idemRecord {
	i := int(seq-st.first) + st.head
	return &st.blocks[i/idemBlock][i%idemBlock]
}

func (st *idemStore) push(r idemRecord) {
	if n := len(st.blocks); n == 0 || len(st.blocks[n-1]) == idemBlock {
		st.blocks = append(st.blocks, make([]idemRecord, 0, idemBlock))
	}
	last := &st.blocks[len(st.blocks)-1]
	*last = append(*last, r)
	st.next++
}

func (st *idemStore) pop() {
	st.blocks[0][st.head] = idemRecord{}
	st.head++
	st.first++
	if st.head == idemBlock {
		st.blocks[0] = nil
		st.blocks = st.blocks[1:]
		st.head = 0
	}
}

func (st *idemStore) len() int { return len(st.live) + len(st.flight) }

// idemArena holds coded bodies in chunks, appended in completion order and
// freed oldest first.
type idemArena struct {
	chunks  [][]byte
	base    uint32 // number of chunks[0]
	scratch []byte
}

const idemChunk = 64 << 10

func (a *idemArena) put(b []byte) (chunk, off uint32) {
	n := len(a.chunks)
	if n == 0 || cap(a.chunks[n-1])-len(a.chunks[n-1]) < len(b) {
		a.chunks = append(a.chunks, make([]byte, 0, max(idemChunk, len(b))))
		n++
	}
	c := &a.chunks[n-1]
	off = uint32(len(*c))
	*c = append(*c, b...)
	return a.base + uint32(n-1), off
}

func (a *idemArena) get(chunk, off, n uint32) []byte {
	return a.chunks[chunk-a.base][off : off+n]
}

// release frees every chunk numbered below chunk (all, for ^uint32(0)).
func (a *idemArena) release(chunk uint32) {
	if chunk == ^uint32(0) {
		a.base += uint32(len(a.chunks))
		a.chunks = nil
		return
	}
	for a.base < chunk && len(a.chunks) > 0 {
		a.chunks[0] = nil
		a.chunks = a.chunks[1:]
		a.base++
	}
}

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
