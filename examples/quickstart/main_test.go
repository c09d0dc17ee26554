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

	"github.com/tokenim/tokenim-go/sandbox"
)

func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer

	err := run(ctx, &out, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)))
	require.NoError(t, err)

	// Ids are random; everything a merchant reads in the steps is not.
	ids := regexp.MustCompile(`\b(we|ord|pay|re)_[a-z0-9]{24}\b`)
	got := ids.ReplaceAllString(out.String(), "${1}_…")
	want := `✓ sandbox started (merchant mch_sandbox)
✓ webhook endpoint we_… registered (all events, signed)
✓ order ord_… created: CNY 19.99, open
✓ payment pay_… succeeded (visa •••• 4242): fee CNY 0.88, net CNY 19.11
✓ receipt RCPT-20261121-000001: CNY 19.99 paid by visa •••• 4242
✓ refund re_… of CNY 19.99 created: pending
✓ 5 minutes later (sandbox clock): refund succeeded
✓ 4 webhooks received and verified: payment.succeeded, order.paid, refund.succeeded, order.refunded
Next: examples/testing shows tests against this sandbox with tokenimtest.Start(t).
`
	assert.Equal(t, want, got)
}

func TestRun_canceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer

	err := run(ctx, &out)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "register webhook endpoint")
	assert.False(t, strings.Contains(out.String(), "registered"), "no step after the failed one is reported")
}
