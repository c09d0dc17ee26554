package main

import (
	"bytes"
	"context"
	"regexp"
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
	assert.Equal(t, `cart-1001: paid, receipt RCPT-20261121-000001, CNY 39.98 by visa •••• 4242
cart-1002: your card has insufficient funds; please use another card
cart-1003: your bank sent you a one-time code; please enter it → entering 000000
cart-1003: paid, receipt RCPT-20261121-000002, CNY 39.98 by visa •••• 3184
`, out.String())
}

func TestRun_canceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := run(ctx, &bytes.Buffer{})
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotRegexp(t, regexp.MustCompile(`\d{13,19}`), err.Error(), "no card number in the error")
}
