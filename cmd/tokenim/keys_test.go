package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

var secretLine = regexp.MustCompile(`(?m)^  (sk_test_\S+)$`)

func TestKeys_listRollRevoke(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	r := against(t, srv, "keys", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 2)
	assert.Regexp(t, `^ID\s+STATUS\s+MODE\s+LAST4\s+EXPIRES\s+LAST USED\s+CREATED$`, lines[0])
	oldID := strings.Fields(lines[1])[0]
	assert.Regexp(t, `^key_\S+\s+active\s+test\s+`+srv.APIKey()[len(srv.APIKey())-4:]+`\s+-\s+`, lines[1])
	assert.NotContains(t, r.stdout, srv.APIKey())

	r = against(t, srv, "keys", "roll", oldID, "--expire-old-after", "1h")
	require.Equal(t, exitOK, r.code, r.stderr)
	m := secretLine.FindStringSubmatch(r.stdout)
	require.NotNil(t, m, "the new secret on a line of its own: %s", r.stdout)
	secret := m[1]
	assert.Contains(t, r.stdout, "shown this once")
	assert.Contains(t, r.stdout, "api_key_expired")
	assert.Equal(t, 1, strings.Count(r.stdout, secret), "printed once")

	// The old key still works during the overlap; revoking it with the
	// new one ends it.
	env := sandboxEnv(srv)
	env[envAPIKey] = secret
	r = invocation{env: env}.run(t, "keys", "list", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var keys []tokenim.APIKey
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var k tokenim.APIKey
		require.NoError(t, json.Unmarshal([]byte(l), &k))
		keys = append(keys, k)
	}
	require.Len(t, keys, 2)
	assert.Equal(t, tokenim.APIKeyActive, keys[0].Status)
	assert.Equal(t, tokenim.APIKeyExpiring, keys[1].Status)
	assert.NotContains(t, r.stdout, secret)

	r = against(t, srv, "keys", "revoke", keys[0].ID)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "api_key_not_active", "the old, expiring key may not revoke")
	r = invocation{env: env}.run(t, "keys", "revoke", keys[0].ID)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "cannot_revoke_current_key")
	r = invocation{env: env}.run(t, "keys", "revoke", oldID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Revoked "+oldID)
	r = against(t, srv, "orders", "list")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "invalid_api_key")
	assert.NotContains(t, r.stderr, srv.APIKey())
}

func TestKeys_rollJSONCarriesTheSecret(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	list, err := c.APIKeys.List(t.Context(), nil)
	require.NoError(t, err)
	r := against(t, srv, "keys", "roll", list.Data[0].ID, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Regexp(t, `^sk_test_`, got["secret"])
	assert.Equal(t, "active", got["status"])
}

func TestKeys_usage(t *testing.T) {
	t.Parallel()
	r := cli(t, "keys", "rol")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `did you mean "roll"?`)
	r = cli(t, "keys", "roll")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "exactly one key id")
	r = cli(t, "keys", "roll", "key_1", "--expire-old-afer", "1h")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "did you mean --expire-old-after?")
	r = cli(t, "keys", "--help")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "tokenim keys roll")
}

// listen forwards the API key events like any other.
func TestListen_acceptsAPIKeyEvents(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	rc := newReceiver(t, listenSecret, false)
	r := against(t, srv, "listen", "--forward-to", rc.URL, "--secret", listenSecret, "--events", "api_key.rolled,api_key.expired", "--once")
	assert.Equal(t, exitOK, r.code, r.stderr)
	r = against(t, srv, "listen", "--forward-to", rc.URL, "--secret", listenSecret, "--events", "api_key.roled", "--once")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `did you mean "api_key.rolled"?`)
}
