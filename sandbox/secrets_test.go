package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	leakKey    = "sk_test_verysecretkey123"
	leakSecret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" // 24 bytes
)

// holder keeps the sandbox's types in unexported fields, where fmt cannot
// call their methods and falls back to reflection.
type holder struct {
	srv Server
	m   Merchant
	sb  *Sandbox
}

// Every exported type holding a key or a secret, by value and by pointer,
// through every fmt verb and both slog handlers.
func TestSandbox_secretsNeverPrinted(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	srv := Start(t, WithFrozenClock(t0), WithAPIKey(leakKey), WithWebhookSecret(leakSecret),
		WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	newOrder(t, srv, 100)
	api(t, srv, "GET", "/v1/orders", nil, "Authorization", "Bearer sk_test_wrongkey999")
	m := srv.DefaultMerchant()
	other := srv.AddMerchant()
	values := map[string]any{
		"*Server": srv, "Server": *srv, "*Sandbox": srv.Sandbox, "Merchant": m, "*Merchant": &m,
		"holder": holder{srv: *srv, m: m, sb: srv.Sandbox}, "*holder": &holder{srv: *srv, m: other},
		"[]Merchant": []Merchant{m, other}, "map": map[string]Merchant{"m": m},
	}
	secrets := []string{leakKey, "verysecretkey", "c2VjcmV0c2VjcmV0", other.APIKey()}
	check := func(t *testing.T, what, out string) {
		t.Helper()
		for _, s := range secrets {
			assert.NotContains(t, out, s, what)
		}
		hex := fmt.Sprintf("%x", "verysecretkey")
		assert.NotContains(t, strings.ToLower(out), hex, what)
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%T"} {
			check(t, name+" "+verb, fmt.Sprintf(verb, v))
		}
		for hname, h := range map[string]func(*bytes.Buffer) slog.Handler{
			"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
			"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		} {
			var b bytes.Buffer
			slog.New(h(&b)).Info("x", "v", v)
			require.NotEmpty(t, b.String())
			check(t, name+" slog "+hname, b.String())
		}
		j, _ := json.Marshal(v)
		check(t, name+" json", string(j))
	}
	assert.Equal(t, leakKey, srv.APIKey(), "the key stays reachable through its method")
	assert.Equal(t, leakSecret, srv.WebhookSecret(), "Server.WebhookSecret() is the sandbox's method")
	assert.Equal(t, leakKey, m.APIKey())
	require.NotEmpty(t, logs.String())
	assert.NotContains(t, logs.String(), "sk_test_")
	assert.NotContains(t, logs.String(), "whsec_")
}
