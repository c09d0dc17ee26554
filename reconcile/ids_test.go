package reconcile

import (
	"hash/maphash"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIDStore(t *testing.T) {
	t.Parallel()
	var s idStore
	assert.Equal(t, idRef(0), s.add(""))
	long := strings.Repeat("x", maxIDLen)
	var refs []idRef
	// Enough ids to fill more than one chunk.
	for range 2*idChunkSize/maxIDLen + 1 {
		refs = append(refs, s.add(long))
	}
	a := s.add("ord_1")
	assert.Greater(t, len(s.chunks), 2)
	assert.Equal(t, "ord_1", s.string(a))
	assert.True(t, s.equal(a, "ord_1"))
	assert.False(t, s.equal(a, "ord_2"))
	assert.Equal(t, long, s.string(refs[len(refs)-1]))
	assert.Empty(t, s.string(0))
}

// TestIndex_hashCollision: an id whose hash another id holds is still found,
// and neither is mistaken for the other.
func TestIndex_hashCollision(t *testing.T) {
	t.Parallel()
	var r Reconciler
	r.Grow(4)
	i := r.lookup("ord_a", "")
	// Plant ord_b's hash on ord_a's order, as a collision would.
	r.byOrderID.hashed[maphash.String(r.byOrderID.seed, "ord_b")] = i
	j := r.lookup("ord_b", "")
	require.NotEqual(t, i, j)
	assert.Equal(t, j, r.lookup("ord_b", ""))
	assert.Equal(t, i, r.lookup("ord_a", ""))
	_, found := r.byOrderID.find(&r.ids, &r.orders, "ord_c", orderIDOf)
	assert.False(t, found)
	assert.Equal(t, 2, r.orders.len())
}

func TestReconcile_rejectsLongIDs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("9", maxIDLen+1)
	var r Reconciler
	err := r.AddRecords(NewRecordReader(strings.NewReader("order_id,amount,currency,status\n" + long + ",1,CNY,paid\n")).All())
	assert.EqualError(t, err, "reconcile: merchant records line 2, column 1 (order_id): id of 256 bytes is longer than 255")
	err = r.AddTransactions(sliceSeq([]Transaction{payment("txn_1", long, "", 100, "CNY", MethodCard)}))
	assert.EqualError(t, err, `reconcile: transaction "txn_1": an id is longer than 255 bytes`)
}
