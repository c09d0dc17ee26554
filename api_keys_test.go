package tokenim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	apiKeyJSON = `{"id":"key_1","object":"api_key","mode":"test","last4":"4f2a","status":"expiring",
		"created_at":"2026-11-21T09:00:00Z","expires_at":"2026-11-22T09:00:00Z","last_used_at":null}`
	rolledKeySecret = "sk_test_rolledSECRETvalue4f2b"
	rolledKeyJSON   = `{"id":"key_2","object":"api_key","mode":"test","last4":"4f2b","status":"active",
		"created_at":"2026-11-21T09:00:00Z","expires_at":null,"last_used_at":null,"secret":"` + rolledKeySecret + `"}`
)

func TestAPIKeysService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testEndpoints(t, []endpointCase{
		{
			name: "APIKeys.List", method: "GET", path: "/v1/api_keys", respond: listJSON(apiKeyJSON),
			query: url.Values{"limit": {"5"}},
			call:  func(c *Client) (any, error) { return c.APIKeys.List(ctx, &APIKeyListParams{ListParams{Limit: 5}}) },
			check: func(t *testing.T, got any) {
				k := got.(*List[APIKey]).Data[0]
				assert.Equal(t, APIKeyExpiring, k.Status)
				assert.Equal(t, APIKeyModeTest, k.Mode)
				require.NotNil(t, k.ExpiresAt)
				assert.Equal(t, time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), *k.ExpiresAt)
				assert.Nil(t, k.LastUsedAt)
				assert.True(t, k.Secret.IsZero())
			},
		},
		{
			name: "APIKeys.Get", method: "GET", path: "/v1/api_keys/key_1", respond: apiKeyJSON,
			call:  func(c *Client) (any, error) { return c.APIKeys.Get(ctx, "key_1") },
			check: func(t *testing.T, got any) { assert.Equal(t, "4f2a", got.(*APIKey).Last4) },
		},
		{
			name: "APIKeys.Roll", method: "POST", path: "/v1/api_keys/key_1/roll",
			wantBody: `{"expire_old_after_seconds":3600}`, respond: rolledKeyJSON,
			call: func(c *Client) (any, error) {
				return c.APIKeys.Roll(ctx, "key_1", &APIKeyRollParams{ExpireOldAfter: time.Hour})
			},
			check: func(t *testing.T, got any) {
				k := got.(*APIKey)
				assert.Equal(t, APIKeyActive, k.Status)
				assert.Equal(t, rolledKeySecret, k.Secret.Reveal())
			},
		},
		{
			name: "APIKeys.Roll default", method: "POST", path: "/v1/api_keys/key_1/roll",
			wantBody: `{}`, respond: rolledKeyJSON,
			call:  func(c *Client) (any, error) { return c.APIKeys.Roll(ctx, "key_1", nil) },
			check: func(t *testing.T, got any) { assert.Equal(t, "key_2", got.(*APIKey).ID) },
		},
		{
			name: "APIKeys.Revoke", method: "POST", path: "/v1/api_keys/key_1/revoke",
			respond: `{"id":"key_1","object":"api_key","mode":"test","last4":"4f2a","status":"revoked",
				"created_at":"2026-11-21T09:00:00Z","expires_at":null,"last_used_at":null}`,
			call:  func(c *Client) (any, error) { return c.APIKeys.Revoke(ctx, "key_1") },
			check: func(t *testing.T, got any) { assert.Equal(t, APIKeyRevoked, got.(*APIKey).Status) },
		},
	})
}

func TestAPIKeysService_rejectsBadInputWithoutRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, mt, _ := newTestClient(t)
	for name, call := range map[string]func() error{
		"roll without id":    func() error { _, err := c.APIKeys.Roll(ctx, "", nil); return err },
		"roll of another id": func() error { _, err := c.APIKeys.Roll(ctx, "we_1", nil); return err },
		"roll overlap > 7 d": func() error {
			_, err := c.APIKeys.Roll(ctx, "key_1", &APIKeyRollParams{ExpireOldAfter: 8 * 24 * time.Hour})
			return err
		},
		"roll overlap not whole seconds": func() error {
			_, err := c.APIKeys.Roll(ctx, "key_1", &APIKeyRollParams{ExpireOldAfter: 1500 * time.Millisecond})
			return err
		},
		"revoke of another id": func() error { _, err := c.APIKeys.Revoke(ctx, "req_1"); return err },
		"get without id":       func() error { _, err := c.APIKeys.Get(ctx, ""); return err },
		"list starting after another id": func() error {
			_, err := c.APIKeys.List(ctx, &APIKeyListParams{ListParams{StartingAfter: "we_1"}})
			return err
		},
	} {
		err := call()
		var ve *ValidationError
		assert.ErrorAs(t, err, &ve, name)
		assert.ErrorIs(t, err, ErrInvalidRequest, name)
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}

// The rolled secret is readable only through Reveal: no format verb, slog
// handler, JSON encoding or reflection of a struct that holds it prints it.
func TestAPIKeySecret_neverPrinted(t *testing.T) {
	t.Parallel()
	var k APIKey
	require.NoError(t, json.Unmarshal([]byte(rolledKeyJSON), &k))
	require.Equal(t, rolledKeySecret, k.Secret.Reveal())

	type holder struct {
		key    APIKey
		secret APIKeySecret
	}
	h := holder{key: k, secret: k.Secret}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		out = append(out, fmt.Sprintf(verb, k), fmt.Sprintf(verb, &k), fmt.Sprintf(verb, k.Secret),
			fmt.Sprintf(verb, h), fmt.Sprintf(verb, &h))
	}
	js, err := json.Marshal(k)
	require.NoError(t, err)
	out = append(out, string(js))
	var buf bytes.Buffer
	for _, hd := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		slog.New(hd).Info("rolled", "key", k, "secret", k.Secret, "holder", h)
	}
	out = append(out, buf.String())
	for _, s := range out {
		assert.NotContains(t, s, "rolledSECRET", "printed: %s", s)
	}
	assert.Contains(t, string(js), `"secret":"[REDACTED]"`)
	assert.Equal(t, "[REDACTED]", k.Secret.String())
	assert.Equal(t, "", APIKeySecret{}.String())
	assert.Equal(t, "", APIKeySecret{}.Reveal())
}

func TestEvent_APIKey(t *testing.T) {
	t.Parallel()
	ev := &Event{ID: "evt_1", Type: EventAPIKeyRolled, Data: EventData{Object: json.RawMessage(apiKeyJSON)}}
	k, err := ev.APIKey()
	require.NoError(t, err)
	assert.Equal(t, APIKeyExpiring, k.Status)
	_, err = (&Event{ID: "evt_2", Type: EventOrderPaid, Data: EventData{Object: json.RawMessage(apiKeyJSON)}}).APIKey()
	assert.Error(t, err)
}
