package reconcile

import (
	"hash/maphash"
	"strings"
)

// The reconciler keeps a million orders' ids without a million strings: the
// ids are copied into large byte chunks and indexed by their hash, so that
// neither the orders nor the index hold a pointer and the garbage collector
// has nothing of them to scan.

// idRef names an id kept in an idStore: chunk (24 bits), offset in the chunk
// (24 bits), length (16 bits). The zero idRef is the empty id.
type idRef uint64

const (
	idChunkSize = 1 << 20
	maxIDLen    = 255 // ids of docs/tokenim-api.md are far shorter (merchant_order_id ≤ 64)
)

// idStore keeps ids end to end in chunks that are never moved.
type idStore struct{ chunks [][]byte }

func (s *idStore) add(id string) idRef {
	if id == "" {
		return 0
	}
	last := len(s.chunks) - 1
	if last < 0 || len(s.chunks[last])+len(id) > idChunkSize {
		s.chunks = append(s.chunks, make([]byte, 0, idChunkSize))
		last++
	}
	off := len(s.chunks[last])
	s.chunks[last] = append(s.chunks[last], id...)
	return idRef(uint64(last)<<40 | uint64(off)<<16 | uint64(len(id)))
}

func (s *idStore) bytes(r idRef) []byte {
	n := int(r & 0xffff)
	if n == 0 {
		return nil
	}
	off := int(r >> 16 & 0xffffff)
	return s.chunks[r>>40][off : off+n]
}

// string returns the id as a new string, for a difference.
func (s *idStore) string(r idRef) string { return string(s.bytes(r)) }

// equal reports whether r names id, without allocating.
func (s *idStore) equal(r idRef, id string) bool { return string(s.bytes(r)) == id }

// index finds orders by an id. Most ids sit in hashed under their 64-bit
// hash, the order holding the id itself to confirm a hit; an id whose hash
// another id took (about one in 10^7 at a million orders), and a second id
// of one order (another platform order of the same merchant order), sit in
// other under the id.
type index struct {
	seed   maphash.Seed
	hashed map[uint64]int32
	other  map[string]int32
}

func (x *index) init(n int) {
	x.seed = maphash.MakeSeed()
	x.hashed = make(map[uint64]int32, n)
	x.other = make(map[string]int32)
}

// find returns the order id names; ref says which of an order's ids the
// index holds.
func (x *index) find(ids *idStore, orders *orderTable, id string, ref func(*order) idRef) (int32, bool) {
	if i, ok := x.hashed[maphash.String(x.seed, id)]; ok && ids.equal(ref(orders.at(i)), id) {
		return i, true
	}
	i, ok := x.other[id]
	return i, ok
}

// put indexes order i under id, which is the id the order keeps.
func (x *index) put(id string, i int32) {
	h := maphash.String(x.seed, id)
	if _, taken := x.hashed[h]; !taken {
		x.hashed[h] = i
		return
	}
	x.other[strings.Clone(id)] = i
}

// alias indexes order i under an id the order does not keep.
func (x *index) alias(id string, i int32) { x.other[strings.Clone(id)] = i }

func orderIDOf(o *order) idRef         { return o.orderID }
func merchantOrderIDOf(o *order) idRef { return o.merchantOrderID }
