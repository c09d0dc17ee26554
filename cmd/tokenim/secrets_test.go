package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tokenim/tokenim-go/sandbox"
)

// writeSecretFile writes content to a file of its own in t's temp dir.
func writeSecretFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// merchantEnv points at srv without giving the key.
func merchantEnv(srv *sandbox.Server) map[string]string {
	return map[string]string{envMerchantID: srv.MerchantID, envBaseURL: srv.URL}
}

func TestSecrets_apiKeyFromFileStdinEnvAndFlag(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	key := srv.APIKey()
	cases := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
	}{
		{"file with trailing newline", nil, "", []string{"--api-key-file", writeSecretFile(t, key+"\n")}},
		{"file with CRLF", nil, "", []string{"--api-key-file", writeSecretFile(t, key+"\r\n")}},
		{"file without newline", nil, "", []string{"--api-key-file", writeSecretFile(t, key)}},
		{"stdin", nil, key + "\n", []string{"--api-key", "-"}},
		{"environment", map[string]string{envAPIKey: key}, "", nil},
		{"flag", nil, "", []string{"--api-key", key}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := merchantEnv(srv)
			for k, v := range tc.env {
				env[k] = v
			}
			r := invocation{env: env, stdin: tc.stdin}.run(t, append([]string{"balance", "--json"}, tc.args...)...)
			require.Equal(t, exitOK, r.code, r.stderr)
			assert.Contains(t, r.stdout, `"object"`)
			assert.NotContains(t, r.stderr, "warning", "a sk_test_ key on argv is not warned about")
		})
	}
}

func TestSecrets_fileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope")
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"missing file", []string{"--api-key-file", missing}, "", "--api-key-file: " + missing + " does not exist"},
		{"empty file", []string{"--api-key-file", writeSecretFile(t, "")}, "", " is empty"},
		{"only a newline", []string{"--api-key-file", writeSecretFile(t, "\n")}, "", " is empty"},
		{"two lines", []string{"--api-key-file", writeSecretFile(t, "sk_test_SECRETISH\nsk_test_other\n")}, "", "more than one line"},
		{"a directory", []string{"--api-key-file", dir}, "", "--api-key-file: read " + dir},
		{"empty stdin", []string{"--api-key", "-"}, "", "--api-key -: stdin held no secret"},
		{"both flags", []string{"--api-key", "sk_test_SECRETISH", "--api-key-file", missing}, "", "give --api-key or --api-key-file, not both"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := invocation{env: map[string]string{envMerchantID: "mch_1", envBaseURL: "http://127.0.0.1:1"}, stdin: tc.stdin}.
				run(t, append([]string{"orders", "list"}, tc.args...)...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "SECRETISH", "the file's content is never quoted")
		})
	}
}

func TestSecrets_warnsOnLiveSecretsOnArgv(t *testing.T) {
	t.Parallel()
	// A live key on argv: warned, then used (here it fails on a closed port).
	r := invocation{env: map[string]string{envMerchantID: "mch_1", envBaseURL: "http://127.0.0.1:1"}}.
		run(t, "orders", "list", "--api-key", "sk_live_abcdefSECRETISH")
	assert.Contains(t, r.stderr, "tokenim: warning: --api-key on the command line can be read by other users of this machine (ps)")
	assert.Contains(t, r.stderr, "use --api-key-file, --api-key - (stdin) or TOKENIM_API_KEY")
	assert.NotContains(t, r.stderr, "SECRETISH")

	// The same key from a file or the environment: no warning.
	p := writeSecretFile(t, "sk_live_abcdefSECRETISH\n")
	r = invocation{env: map[string]string{envMerchantID: "mch_1", envBaseURL: "http://127.0.0.1:1"}}.
		run(t, "orders", "list", "--api-key-file", p)
	assert.NotContains(t, r.stderr, "warning")
	r = invocation{env: map[string]string{envAPIKey: "sk_live_abcdefSECRETISH", envMerchantID: "mch_1", envBaseURL: "http://127.0.0.1:1"}}.
		run(t, "orders", "list")
	assert.NotContains(t, r.stderr, "warning")

	// Any webhook secret on argv is warned about, test or not.
	r = invocation{stdin: signBody}.run(t, "webhook", "sign", "--id", "msg_1", "--secret", signSecret)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "tokenim: warning: --secret on the command line")
	assert.Contains(t, r.stderr, "use --secret-file, --secret - (stdin) or TOKENIM_WEBHOOK_SECRET")
	assert.NotContains(t, r.stderr, strings.TrimPrefix(signSecret, "whsec_"))
}

func TestSecrets_webhookSecretFromFileAndStdin(t *testing.T) {
	t.Parallel()
	want := invocation{env: map[string]string{envWebhookSecret: signSecret}, stdin: signBody}.
		run(t, "webhook", "sign", "--id", "msg_1", "--timestamp", "1700000000")
	require.Equal(t, exitOK, want.code, want.stderr)

	r := invocation{stdin: signBody}.run(t, "webhook", "sign", "--id", "msg_1", "--timestamp", "1700000000",
		"--secret-file", writeSecretFile(t, signSecret+"\n"))
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, want.stdout, r.stdout, "the file's secret, newline dropped, signs the same")
	assert.Empty(t, r.stderr)

	// webhook sign reads the body on stdin, so the secret cannot come there.
	r = invocation{stdin: signBody}.run(t, "webhook", "sign", "--id", "msg_1", "--secret", "-")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--secret - cannot read stdin: the body comes from it; use --secret-file")

	// listen reads no body: its secret may come on stdin.
	srv := canceledOrderSandbox(t)
	rc := newReceiver(t, listenSecret, false)
	r = invocation{env: sandboxEnv(srv), stdin: listenSecret + "\n"}.
		run(t, "listen", "--forward-to", rc.URL, "--secret", "-", "--replay", "--once", "--events", "order.canceled")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Len(t, rc.received(), 1, "signed with the secret read from stdin")

	// Two secrets cannot both come from stdin.
	r = invocation{env: merchantEnv(srv), stdin: listenSecret + "\n"}.
		run(t, "listen", "--forward-to", rc.URL, "--secret", "-", "--api-key", "-", "--once")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--api-key - cannot read stdin: --secret - comes from it")
}

func TestSecrets_sandboxWebhookSecretFile(t *testing.T) {
	t.Parallel()
	r := cli(t, "sandbox", "--webhook-secret-file", filepath.Join(t.TempDir(), "none"))
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--webhook-secret-file: ")
	assert.Contains(t, r.stderr, " does not exist")
	r = cli(t, "sandbox", "--help")
	assert.Contains(t, r.stdout, "\n  --webhook-secret-file string\n")
	assert.Contains(t, r.stdout, "- reads it from stdin")
}

func TestSecrets_helpSaysWhereSecretsComeFrom(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"orders", "list"}, {"listen"}, {"webhook", "sign"}, {"webhook", "verify"}} {
		r := cli(t, append(args, "--help")...)
		require.Equal(t, exitOK, r.code)
		flag := "--api-key"
		if args[0] == "webhook" {
			flag = "--secret"
		}
		assert.Contains(t, r.stdout, "\n  "+flag+"-file string\n", "%q", args)
		assert.Contains(t, r.stdout, "- reads it from stdin", "%q", args)
		assert.Contains(t, r.stdout, "shows in ps", "%q", args)
	}
	r := cli(t, "--help")
	assert.Contains(t, r.stdout, "--api-key-file")
}

func TestSecrets_sandboxServesTheWebhookSecretFromAFileOrStdin(t *testing.T) {
	t.Parallel()
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
	}{
		{"file", []string{"--webhook-secret-file", writeSecretFile(t, secret+"\n")}, ""},
		{"stdin", []string{"--webhook-secret", "-"}, secret + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			stdout := newLineWriter()
			stderr := newLineWriter()
			done := make(chan int, 1)
			args := append([]string{"sandbox", "--addr", "127.0.0.1:0", "--webhook-url", "http://127.0.0.1:1/hook"}, tc.args...)
			go func() {
				done <- run(ctx, args, strings.NewReader(tc.stdin), stdout, stderr, func(string) string { return "" })
			}()
			assert.Equal(t, "webhook secret: "+secret, waitLine(t, stdout.lines, "webhook secret:"))
			cancel()
			select {
			case code := <-done:
				assert.Equal(t, exitOK, code)
			case <-time.After(10 * time.Second):
				t.Fatal("sandbox did not stop")
			}
			select {
			case l := <-stderr.lines:
				assert.NotContains(t, l, "warning", "a secret from a file or stdin is not warned about")
			default:
			}
		})
	}
}
