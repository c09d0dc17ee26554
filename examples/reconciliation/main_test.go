package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reconciler finds exactly the two planted differences — the lost
// webhook and the double record — and nothing else.
func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer

	found, err := run(ctx, &out)
	require.NoError(t, err)
	assert.Equal(t, 2, found, out.String())

	got := regexp.MustCompile(`\b(ord|st|txn)_[a-z0-9]{24}\b`).ReplaceAllString(out.String(), "${1}_…")
	want := `✓ 6 checkouts on 2026-11-21 (card, wallet, bank transfer)
✓ A-1006 refunded EUR 5.00
✗ the order.paid webhook of A-1005 was acknowledged but never written
✗ a double-submitted form wrote A-1002 twice
✓ settlement st_…: EUR 359.45 for 7 transactions at 2026-11-23T00:00:00Z
✓ reconciled 7 transactions and 1 settlement(s) against 7 records
  missed_payment: order=ord_… merchant_order=A-1005 txn=txn_…: paid on the platform, unpaid locally: expected EUR 0.00, actual EUR 150.50
  duplicate_record: order=ord_… merchant_order=A-1002: the order is recorded twice; the first record is kept
`
	assert.Equal(t, want, got)
}
