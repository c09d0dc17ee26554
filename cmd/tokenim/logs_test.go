package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func TestLogs_listWithFilters(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	_, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: "log-1", Amount: 100, Currency: "CNY"},
		tokenim.WithIdempotencyKey("cli-log-1"))
	require.NoError(t, err)
	_, err = c.Orders.Get(t.Context(), "ord_missing")
	require.Error(t, err)

	r := against(t, srv, "logs")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	last4 := srv.APIKey()[len(srv.APIKey())-4:]
	assert.Regexp(t, `^\S+Z GET /v1/orders/ord_missing 404 resource_missing \d+ms key …`+last4+` req_\S+$`, lines[0], "newest first")
	assert.Regexp(t, `^\S+Z POST /v1/orders 200 \d+ms key …`+last4+` req_\S+$`, lines[1])
	assert.NotContains(t, r.stdout, "\x1b[", "no colour codes")
	assert.NotContains(t, r.stdout, srv.APIKey())

	r = against(t, srv, "logs", "--status", "2xx", "--method", "POST", "--path", "/v1/orders", "--idempotency-key", "cli-log-1", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var l tokenim.RequestLog
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &l))
	assert.Equal(t, "cli-log-1", l.IdempotencyKey)
	assert.Equal(t, 200, l.Status)

	r = against(t, srv, "logs", "--status", "5xx")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "no request logs\n", r.stdout)

	r = against(t, srv, "logs", "--created-gte", "yesterday")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--created-gte must be an RFC 3339 time")
	r = against(t, srv, "logs", "--status", "3xx")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "status")
	r = against(t, srv, "logs", "--stauts", "4xx")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "did you mean --status?")
}

func TestLogs_followPrintsNewCallsOldestFirst(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	_, err := c.Orders.List(t.Context(), nil) // before: not printed
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout, stderr := newLineWriter(), newLineWriter()
	env := sandboxEnv(srv)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"logs", "--follow", "--interval", "10ms", "--path", "/v1/orders"},
			strings.NewReader(""), stdout, stderr, func(k string) string { return env[k] })
	}()
	waitLine(t, stderr.lines, "Following request logs.")

	_, err = c.Orders.Get(t.Context(), "ord_first")
	require.Error(t, err)
	_, err = c.Orders.Get(t.Context(), "ord_second")
	require.Error(t, err)
	_, err = c.Events.List(t.Context(), nil) // filtered out by --path
	require.NoError(t, err)
	first := waitLine(t, stdout.lines, "")
	second := waitLine(t, stdout.lines, "")
	assert.Contains(t, first, "/v1/orders/ord_first 404")
	assert.Contains(t, second, "/v1/orders/ord_second 404")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code)
	case <-time.After(10 * time.Second):
		t.Fatal("logs --follow did not stop on cancel")
	}
	select {
	case l := <-stdout.lines:
		t.Fatalf("unexpected line %q", l)
	default:
	}
}

func TestNextPollWait(t *testing.T) {
	t.Parallel()
	busy := &tokenim.Error{HTTPStatus: http.StatusServiceUnavailable}
	assert.Equal(t, 4*time.Second, nextPollWait(2*time.Second, 2*time.Second, busy), "a failed poll doubles the wait")
	assert.Equal(t, maxPollWait, nextPollWait(50*time.Second, 2*time.Second, busy), "up to a minute")
	assert.Equal(t, 2*time.Minute, nextPollWait(2*time.Minute, 2*time.Minute, busy), "never below --interval")
	limited := &tokenim.Error{HTTPStatus: http.StatusTooManyRequests, RetryAfter: 20 * time.Second}
	assert.Equal(t, 20*time.Second, nextPollWait(2*time.Second, 2*time.Second, limited), "Retry-After wins")
	limited.RetryAfter = time.Hour
	assert.Equal(t, maxPollWait, nextPollWait(2*time.Second, 2*time.Second, limited), "a Retry-After of an hour is capped")
	assert.Equal(t, 4*time.Second, nextPollWait(2*time.Second, 2*time.Second, io.ErrUnexpectedEOF))
}
