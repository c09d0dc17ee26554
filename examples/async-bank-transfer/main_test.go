package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer

	require.NoError(t, run(ctx, &out))

	ids := regexp.MustCompile(`\b(ord|pay)_[a-z0-9]{24}\b`)
	seen := map[string]string{}
	got := ids.ReplaceAllStringFunc(out.String(), func(id string) string {
		// Name each id by its first appearance, so the test checks that the
		// webhooks and Wait talk about the objects the steps created.
		if _, ok := seen[id]; !ok {
			seen[id] = id[:strings.Index(id, "_")] + string(rune('1'+len(seen)))
		}
		return seen[id]
	})
	want := `✓ order ord1 (EUR 250.00): bank transfer pay2 is processing
✓ one hour later (sandbox clock) the transfer settles
  webhook payment.succeeded: pay2 succeeded
  webhook order.paid: ord1 paid, ship it
✓ Payments.Wait: pay2 succeeded, fee EUR 1.25, net EUR 248.75
✓ order ord3 (EUR 100.13): bank transfer pay4 is processing
  webhook payment.failed: pay4 failed (transfer_returned)
✓ Payments.Wait: pay4 failed (transfer_returned); order ord3 is open for another try
`
	assert.Equal(t, want, got)
}

func TestRun_canceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := run(ctx, &bytes.Buffer{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestEuros(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "250.00", euros(25000))
	assert.Equal(t, "100.13", euros(10013))
	assert.Equal(t, "0.05", euros(5))
}
