package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSandbox_servesUntilCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stdout := newLineWriter()
	var stderr strings.Builder
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sandbox", "-addr", "127.0.0.1:0", "-api-key", "sk_test_cli_serve", "-merchant-id", "mch_cli_serve", "-seed", "7"},
			strings.NewReader(""), stdout, &stderr, func(string) string { return "" })
	}()
	first := waitLine(t, stdout.lines, "tokenim sandbox listening on ")
	base := strings.TrimPrefix(first, "tokenim sandbox listening on ")
	require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, base)
	assert.Equal(t, "api key:        sk_test_cli_serve", waitLine(t, stdout.lines, "api key:"))
	assert.Equal(t, "merchant id:    mch_cli_serve", waitLine(t, stdout.lines, "merchant id:"))
	assert.Regexp(t, `^webhook secret: whsec_\S+$`, waitLine(t, stdout.lines, "webhook secret:"))

	// The served sandbox answers the other commands with the printed credentials.
	env := map[string]string{envBaseURL: base, envAPIKey: "sk_test_cli_serve", envMerchantID: "mch_cli_serve"}
	r := invocation{env: env}.run(t, "trigger", "order.paid")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = invocation{env: env}.run(t, "orders", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^ord_\w+ +paid +19.99 CNY`, r.stdout)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitOK, code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("sandbox did not stop when its context ended")
	}
	assert.Equal(t, "sandbox stopped", waitLine(t, stdout.lines, "sandbox stopped"))
	r = invocation{env: env}.run(t, "status")
	assert.Equal(t, exitError, r.code, "nothing listens any more")
}

func TestSandbox_flagErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
		code int
	}{
		{"live key", []string{"sandbox", "-api-key", "sk_live_x"}, "--api-key must start with sk_test_", exitUsage},
		{"bare prefix key", []string{"sandbox", "-api-key", "sk_test_"}, "--api-key must start with sk_test_", exitUsage},
		{"merchant id", []string{"sandbox", "-merchant-id", "shop"}, "--merchant-id must start with mch_", exitUsage},
		{"webhook secret", []string{"sandbox", "-webhook-secret", "s3cr3t"}, "--webhook-secret must start with whsec_", exitUsage},
		{"webhook url", []string{"sandbox", "-webhook-url", "localhost:8080"}, "--webhook-url must be an absolute http or https URL", exitUsage},
		{"rate", []string{"sandbox", "-rate-limit", "-1"}, "--rate-limit must not be negative", exitUsage},
		{"argument", []string{"sandbox", "now"}, `sandbox takes no arguments, got "now"`, exitUsage},
		{"bad seed", []string{"sandbox", "-seed", "x"}, `invalid value "x" for flag --seed`, exitUsage},
		{"unusable address", []string{"sandbox", "-addr", "127.0.0.1:99999"}, "sandbox: listen tcp", exitError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.args...)
			assert.Equal(t, tc.code, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
			assert.NotContains(t, r.stderr, "s3cr3t")
		})
	}
}
