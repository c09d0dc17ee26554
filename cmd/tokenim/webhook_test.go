package main

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
)

const (
	signSecret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	signBody   = `{"id":"evt_1","object":"event","type":"order.paid","created_at":"2026-11-21T09:30:00Z","api_version":"2026-11-01","data":{"object":{"id":"ord_1","object":"order"}}}`
)

// signed runs webhook sign and returns the printed headers.
func signed(t *testing.T, args ...string) http.Header {
	t.Helper()
	r := invocation{stdin: signBody}.run(t, append([]string{"webhook", "sign", "--secret", signSecret}, args...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.NotContains(t, r.stdout, signSecret)
	h := http.Header{}
	for _, m := range regexp.MustCompile(`(?m)^(webhook-[a-z]+): (.*)$`).FindAllStringSubmatch(r.stdout, -1) {
		h.Set(m[1], m[2])
	}
	require.Len(t, h, 3, r.stdout)
	return h
}

func TestWebhookSign_matchesSDK(t *testing.T) {
	t.Parallel()
	h := signed(t, "--id", "msg_abc", "--timestamp", "1795000000")
	assert.Equal(t, "msg_abc", h.Get("webhook-id"))
	assert.Equal(t, "1795000000", h.Get("webhook-timestamp"))
	want, err := tokenim.SignWebhook(signSecret, "msg_abc", time.Unix(1795000000, 0), []byte(signBody))
	require.NoError(t, err)
	assert.Equal(t, want, h.Get("webhook-signature"))
}

func TestWebhookSign_thenVerify(t *testing.T) {
	t.Parallel()
	before := time.Now().Unix()
	h := signed(t, "--id", "evt_1")
	stamp, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, stamp, before, "the timestamp defaults to now")
	assert.LessOrEqual(t, stamp, time.Now().Unix())

	// The SDK's receiving side accepts what sign printed.
	ev, err := tokenim.ConstructEvent([]byte(signBody), h, signSecret)
	require.NoError(t, err)
	assert.Equal(t, "evt_1", ev.ID)

	verify := func(body string, secret string) result {
		return invocation{stdin: body}.run(t, "webhook", "verify", "--secret", secret,
			"--id", h.Get("webhook-id"), "--timestamp", h.Get("webhook-timestamp"), "--signature", h.Get("webhook-signature"))
	}
	r := verify(signBody, signSecret)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "verified\n", r.stdout)

	tampered := signBody[:len(signBody)-3] + ` }}`
	r = verify(tampered, signSecret)
	assert.Equal(t, exitError, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "not verified")
	assert.NotContains(t, r.stderr, signSecret)

	otherSecret := "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
	r = verify(signBody, otherSecret)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "not verified")
	assert.NotContains(t, r.stderr, otherSecret)
	assert.NotContains(t, r.stderr, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
}

func TestWebhookVerify_timestampTolerance(t *testing.T) {
	t.Parallel()
	old := time.Now().Add(-time.Hour).Unix()
	h := signed(t, "--id", "evt_old", "--timestamp", strconv.FormatInt(old, 10))
	args := []string{"webhook", "verify", "--secret", signSecret, "--id", "evt_old",
		"--timestamp", h.Get("webhook-timestamp"), "--signature", h.Get("webhook-signature")}

	r := invocation{stdin: signBody}.run(t, args...)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "timestamp")

	r = invocation{stdin: signBody}.run(t, append(args, "--tolerance", "2h")...)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "verified\n", r.stdout)
}

func TestWebhook_secretFromEnv(t *testing.T) {
	t.Parallel()
	r := invocation{stdin: signBody, env: map[string]string{envWebhookSecret: signSecret}}.run(t, "webhook", "sign", "--id", "evt_1", "--timestamp", "1795000000")
	require.Equal(t, exitOK, r.code, r.stderr)
	want, err := tokenim.SignWebhook(signSecret, "evt_1", time.Unix(1795000000, 0), []byte(signBody))
	require.NoError(t, err)
	assert.Contains(t, r.stdout, "webhook-signature: "+want+"\n")
}

func TestWebhook_usageErrors(t *testing.T) {
	t.Parallel()
	const badSecret = "whsec_tooshortXYZZY"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"webhook"}, "webhook needs a subcommand: sign, verify"},
		{"unknown subcommand", []string{"webhook", "forge"}, `unknown webhook subcommand "forge"`},
		{"sign without id", []string{"webhook", "sign", "--secret", signSecret}, "--id is required"},
		{"sign without secret", []string{"webhook", "sign", "--id", "x"}, "no webhook secret: pass --secret-file, --secret - (stdin) or --secret, or set TOKENIM_WEBHOOK_SECRET"},
		{"sign with bad secret", []string{"webhook", "sign", "--id", "x", "--secret", badSecret}, "--secret is not a webhook secret"},
		{"sign with bad timestamp", []string{"webhook", "sign", "--id", "x", "--secret", signSecret, "--timestamp", "yesterday"}, `--timestamp must be unix seconds, got "yesterday"`},
		{"verify without signature", []string{"webhook", "verify", "--secret", signSecret, "--id", "x", "--timestamp", "1"}, "--signature is required"},
		{"verify without timestamp", []string{"webhook", "verify", "--secret", signSecret, "--id", "x", "--signature", "v1,x"}, "--timestamp is required"},
		{"verify with bad secret", []string{"webhook", "verify", "--secret", badSecret, "--id", "x", "--timestamp", "1", "--signature", "v1,x"}, "--secret is not a webhook secret"},
		{"verify with zero tolerance", []string{"webhook", "verify", "--secret", signSecret, "--id", "x", "--timestamp", "1", "--signature", "v1,x", "--tolerance", "0s"}, "--tolerance must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := invocation{stdin: signBody}.run(t, tc.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "tooshortXYZZY")
			assert.NotContains(t, r.stderr, signSecret[len("whsec_"):])
		})
	}
}

func TestWebhookSign_bodyTooLarge(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", int(tokenim.DefaultWebhookMaxBodyBytes)+1)
	r := invocation{stdin: big}.run(t, "webhook", "sign", "--secret", signSecret, "--id", "evt_1")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "body on stdin is larger than 1048576 bytes")
	assert.Empty(t, r.stdout)
}

// TestWebhookSign_secretFormMatchesVerifier holds the help text's length
// range level with what the SDK's verifier accepts at both ends.
func TestWebhookSign_secretFormMatchesVerifier(t *testing.T) {
	t.Parallel()
	r := invocation{stdin: "{}"}.run(t, "webhook", "sign", "--id", "msg_1", "--secret", "whsec_"+base64.StdEncoding.EncodeToString(make([]byte, 10)))
	require.Equal(t, exitUsage, r.code)
	m := regexp.MustCompile(`base64 of (\d+)–(\d+) bytes`).FindStringSubmatch(r.stderr)
	require.NotNil(t, m, r.stderr)
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	accepts := func(n int) bool {
		_, err := tokenim.NewWebhookVerifier([]string{"whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n))})
		return err == nil
	}
	assert.True(t, accepts(lo), "%d bytes", lo)
	assert.True(t, accepts(hi), "%d bytes", hi)
	assert.False(t, accepts(lo-1), "%d bytes", lo-1)
	assert.False(t, accepts(hi+1), "%d bytes", hi+1)
	for _, n := range []int{lo, hi} {
		sec := "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n))
		r := invocation{stdin: "{}"}.run(t, "webhook", "sign", "--id", "msg_1", "--secret", sec)
		assert.Equal(t, exitOK, r.code, "%d bytes: %s", n, r.stderr)
	}
}
