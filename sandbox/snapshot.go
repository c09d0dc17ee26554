package sandbox

// The idempotency store keeps every stored answer byte for byte
// (docs/tokenim-api.md §2: a replay is the original status and body), but
// compactly: a body is coded against a fixed dictionary of the sandbox's own
// JSON shapes, so the field names and fixed values of a resource cost two or
// three bytes each and only the request's own values are kept as literals.
// The coding is lossless; see docs/contract-decisions.md (idempotency store).

import (
	"encoding/binary"
	"encoding/json"
	"time"
)

// A coded body is a sequence of operations:
//
//	0x00–0x7f n: a literal run of n+1 bytes follows
//	0x80–0xff n: copy (n&0x7f)+snapMinCopy bytes of the dictionary from the
//	             little-endian uint16 offset that follows
const (
	snapMinCopy = 4
	snapMaxCopy = 0x7f + snapMinCopy
	snapMaxLit  = 0x80
	snapHashLog = 12
	snapChain   = 16 // candidates tried per position
	snapSelfLog = 9  // the hash table over src itself
)

// snapDict is the dictionary and its index, built once; it is only read.
type snapDict struct {
	buf  []byte
	head [1 << snapHashLog]int32 // newest position of each hash, or -1
	prev []int32                 // the position before, with the same hash
}

var snapshots = newSnapDict(snapSamples())

// snapSamples renders the shapes the sandbox answers POSTs with, so the
// dictionary follows the structs as fields are added.
func snapSamples() []byte {
	t := timestamp(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	param := "amount"
	var out []byte
	for _, v := range []any{
		problemBody{Type: "https://docs.tokenim.com/errors/invalid_request", Title: "Invalid request", Status: 409,
			Code: "invalid_request", Param: &param, RequestID: "req_"},
		apiKey{Object: "api_key", Mode: "test", Status: "active", CreatedAt: t},
		dispute{Object: "dispute", Status: "needs_response", Currency: "CNY"},
		refund{Object: "refund", Status: "succeeded", Currency: "CNY", CreatedAt: t, SucceededAt: &t, Metadata: map[string]string{}},
		payment{Object: "payment", Status: "succeeded", Currency: "CNY", Method: methodOut{Type: "card", Card: &cardOut{}},
			CreatedAt: t, SucceededAt: &t, Metadata: map[string]string{}},
		order{Object: "order", Status: "open", Currency: "CNY", ExpiresAt: t, CreatedAt: t, Metadata: map[string]string{}},
	} {
		b, _ := json.Marshal(v)
		out = append(out, b...)
	}
	return append(out, `"requires_action","failed","canceled","paid","expired","refunded","2026-1`...)
}

func newSnapDict(buf []byte) *snapDict {
	if len(buf) > 1<<16 {
		buf = buf[len(buf)-1<<16:] // offsets are 16 bits
	}
	d := &snapDict{buf: buf, prev: make([]int32, len(buf))}
	for i := range d.head {
		d.head[i] = -1
	}
	for i := 0; i+snapMinCopy <= len(buf); i++ {
		h := snapHash(buf[i:])
		d.prev[i] = d.head[h]
		d.head[h] = int32(i)
	}
	return d
}

func snapHash(b []byte) uint32 {
	return (binary.LittleEndian.Uint32(b) * 2654435761) >> (32 - snapHashLog)
}

// encode appends the coded form of src to dst. A copy reads the dictionary
// or, at offsets past it, the bytes of src already coded.
func (d *snapDict) encode(dst, src []byte) []byte {
	var self [1 << snapSelfLog]int32 // newest position in src of each hash, plus one
	lit := 0
	for i := 0; i+snapMinCopy <= len(src); {
		best, at := 0, 0
		for p, n := d.head[snapHash(src[i:])], 0; p >= 0 && n < snapChain; p, n = d.prev[p], n+1 {
			if l := matchLen(d.buf[p:], src[i:]); l > best {
				best, at = l, int(p)
			}
		}
		h := snapHash(src[i:]) >> (snapHashLog - snapSelfLog)
		if p := int(self[h]) - 1; p >= 0 && len(d.buf)+p <= 0xffff {
			if l := matchLen(src[p:i+min(snapMaxCopy, len(src)-i)], src[i:]); l > best {
				best, at = l, len(d.buf)+p
			}
		}
		self[h] = int32(i + 1)
		if best < snapMinCopy {
			i++
			continue
		}
		dst = snapLiterals(dst, src[lit:i])
		dst = append(dst, 0x80|byte(best-snapMinCopy), byte(at), byte(at>>8))
		i += best
		lit = i
	}
	return snapLiterals(dst, src[lit:])
}

// matchLen is the length of the common prefix of a and b, at most snapMaxCopy.
func matchLen(a, b []byte) int {
	n := min(len(a), len(b), snapMaxCopy)
	for l := 0; l < n; l++ {
		if a[l] != b[l] {
			return l
		}
	}
	return n
}

func snapLiterals(dst, lit []byte) []byte {
	for len(lit) > 0 {
		n := min(len(lit), snapMaxLit)
		dst = append(dst, byte(n-1))
		dst = append(dst, lit[:n]...)
		lit = lit[n:]
	}
	return dst
}

// decode returns the bytes src codes, or false when src is not a coding.
func (d *snapDict) decode(src []byte) ([]byte, bool) {
	out := make([]byte, 0, 3*len(src))
	for i := 0; i < len(src); {
		op := src[i]
		i++
		if op < 0x80 {
			n := int(op) + 1
			if i+n > len(src) {
				return nil, false
			}
			out = append(out, src[i:i+n]...)
			i += n
			continue
		}
		if i+2 > len(src) {
			return nil, false
		}
		n, at := int(op&0x7f)+snapMinCopy, int(src[i])|int(src[i+1])<<8
		i += 2
		switch {
		case at+n <= len(d.buf):
			out = append(out, d.buf[at:at+n]...)
		case at >= len(d.buf) && at-len(d.buf) < len(out):
			for p := at - len(d.buf); n > 0; p, n = p+1, n-1 { // may overlap what it writes
				out = append(out, out[p])
			}
		default:
			return nil, false
		}
	}
	return out, true
}
