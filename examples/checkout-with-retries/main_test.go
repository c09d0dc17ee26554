package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
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

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{
		`^✓ order ord_[a-z0-9]{24} created after 3 attempts \(the client retried each 503 with one key\)$`,
		`^✗ payment outcome unknown after 4 attempts \(connection lost\); key ([0-9a-f-]{36})$`,
		`^  error: tokenim: POST /v1/payments: outcome unknown after 4 attempt\(s\), retry with idempotency key "([0-9a-f-]{36})": Post "http://127\.0\.0\.1:\d+/v1/payments": .+$`,
		`^✓ same call, same key: payment (pay_[a-z0-9]{24}) succeeded \(Idempotent-Replayed: true\)$`,
		`^  payment (pay_[a-z0-9]{24}): succeeded, CNY 49.00$`,
		`^✓ no double charge: 1 payment; the sandbox executed the call 1 time, replayed it (\d+) times$`,
	}
	require.Len(t, lines, len(want), out.String())
	var m [][]string
	for i, pattern := range want {
		sub := regexp.MustCompile(pattern).FindStringSubmatch(lines[i])
		require.NotNil(t, sub, "line %d: %q does not match %s", i+1, lines[i], pattern)
		m = append(m, sub)
	}
	assert.Equal(t, m[1][1], m[2][1], "the error carries the key")
	assert.Equal(t, m[3][1], m[4][1], "the listed payment is the replayed one")
	replays, err := strconv.Atoi(m[5][1])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, replays, 4, "three retries after the first attempt, then the final replay")
}
