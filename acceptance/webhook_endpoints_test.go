package acceptance

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertSecret asserts a webhook secret: whsec_ and base64 of 32 bytes.
func assertSecret(t *testing.T, s string) {
	t.Helper()
	require.True(t, strings.HasPrefix(s, "whsec_"), "secret prefix")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if assert.NoError(t, err, "secret is base64") {
		assert.Len(t, raw, 32, "secret is 32 random bytes")
	}
}

func TestWebhookEndpoints_lifecycle(t *testing.T) {
	e := start(t)
	r := e.post("/v1/webhook_endpoints", map[string]any{
		"url": "https://example.com/tokenim", "events": []string{"order.paid", "refund.failed"}, "description": "orders",
	})
	we := e.ok(r)
	id := str(we, "id")
	assert.True(t, strings.HasPrefix(id, "we_"), "endpoint id %q", id)
	assert.Equal(t, "webhook_endpoint", str(we, "object"))
	assert.Equal(t, "https://example.com/tokenim", str(we, "url"))
	assert.Equal(t, []any{"order.paid", "refund.failed"}, we["events"])
	assert.Equal(t, "orders", str(we, "description"))
	assert.Equal(t, "enabled", str(we, "status"))
	assertTime(t, we, "created_at")
	secret := str(we, "secret")
	assertSecret(t, secret)

	all := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": "http://localhost:9/hook", "events": []string{"*"}}))
	assert.Equal(t, []any{"*"}, all["events"])
	assertNull(t, all, "description")
	assert.NotEqual(t, secret, str(all, "secret"), "each endpoint has its own secret")

	t.Run("list hides secrets", func(t *testing.T) {
		e := e.at(t)
		lr := e.get("/v1/webhook_endpoints")
		data, hasMore := e.list("/v1/webhook_endpoints")
		assert.Equal(t, []string{str(all, "id"), id}, ids(data))
		assert.False(t, hasMore)
		for _, d := range data {
			assert.NotContains(t, d, "secret")
		}
		assert.NotContains(t, string(lr.raw), strings.TrimPrefix(secret, "whsec_"))
		assert.NotContains(t, string(lr.raw), "whsec_")
	})
	t.Run("rotate", func(t *testing.T) {
		e := e.at(t)
		rot := e.ok(e.post("/v1/webhook_endpoints/"+id+"/rotate_secret", map[string]any{"expire_old_after_seconds": 0}))
		assert.Equal(t, id, str(rot, "id"))
		assertSecret(t, str(rot, "secret"))
		assert.NotEqual(t, secret, str(rot, "secret"))
		again := e.ok(e.post("/v1/webhook_endpoints/"+id+"/rotate_secret", nil))
		assertSecret(t, str(again, "secret"))
		assert.NotEqual(t, str(rot, "secret"), str(again, "secret"))
		for _, bad := range []any{-1, 604801, "soon"} {
			e.failParam(e.post("/v1/webhook_endpoints/"+id+"/rotate_secret", map[string]any{"expire_old_after_seconds": bad}),
				400, "invalid_request", "expire_old_after_seconds")
		}
		e.ok(e.post("/v1/webhook_endpoints/"+id+"/rotate_secret", map[string]any{"expire_old_after_seconds": 604800}))
		e.fail(e.post("/v1/webhook_endpoints/"+id+"/rotate_secret", map[string]any{"expire_after": 5}), 400, "parameter_unknown")
		e.fail(e.post("/v1/webhook_endpoints/we_doesnotexist/rotate_secret", nil), 404, "resource_missing")
	})
	t.Run("delete", func(t *testing.T) {
		e := e.at(t)
		d := e.ok(e.do("DELETE", "/v1/webhook_endpoints/"+id, nil))
		assert.Equal(t, map[string]any{"id": id, "object": "webhook_endpoint", "deleted": true}, d)
		data, _ := e.list("/v1/webhook_endpoints")
		assert.Equal(t, []string{str(all, "id")}, ids(data))
		e.fail(e.do("DELETE", "/v1/webhook_endpoints/"+id, nil), 404, "resource_missing")
		e.fail(e.post("/v1/webhook_endpoints/"+id+"/rotate_secret", nil), 404, "resource_missing")
	})
}

func TestWebhookEndpoints_validation(t *testing.T) {
	e := start(t)
	cases := []struct {
		name  string
		body  any
		code  string
		param string
	}{
		{"missing url", map[string]any{"events": []string{"*"}}, "invalid_request", "url"},
		{"not a url", map[string]any{"url": "not a url", "events": []string{"*"}}, "invalid_request", "url"},
		{"relative url", map[string]any{"url": "/hook", "events": []string{"*"}}, "invalid_request", "url"},
		{"ftp url", map[string]any{"url": "ftp://example.com/hook", "events": []string{"*"}}, "invalid_request", "url"},
		{"url too long", map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2048), "events": []string{"*"}}, "invalid_request", "url"},
		{"missing events", map[string]any{"url": "https://example.com/hook"}, "invalid_request", "events"},
		{"empty events", map[string]any{"url": "https://example.com/hook", "events": []string{}}, "invalid_request", "events"},
		{"unknown event type", map[string]any{"url": "https://example.com/hook", "events": []string{"order.exploded"}}, "invalid_request", "events"},
		{"star and a type", map[string]any{"url": "https://example.com/hook", "events": []string{"*", "order.paid"}}, "invalid_request", "events"},
		{"events not a list", map[string]any{"url": "https://example.com/hook", "events": "*"}, "invalid_request", "events"},
		{"description too long", map[string]any{"url": "https://example.com/hook", "events": []string{"*"}, "description": strings.Repeat("d", 1001)}, "invalid_request", "description"},
		{"unknown field", map[string]any{"url": "https://example.com/hook", "events": []string{"*"}, "secret": "whsec_x"}, "parameter_unknown", "secret"},
		{"malformed JSON", `{"url":`, "invalid_request", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			b := e.fail(e.post("/v1/webhook_endpoints", c.body), 400, c.code)
			if c.param == "" {
				assert.Nil(t, b["param"])
			} else {
				assert.True(t, str(b, "param") == c.param || strings.HasPrefix(str(b, "param"), c.param+"."),
					"param %q names %s", str(b, "param"), c.param)
			}
		})
	}
	t.Run("nothing was created", func(t *testing.T) {
		e := e.at(t)
		data, _ := e.list("/v1/webhook_endpoints")
		assert.Empty(t, data)
	})
	t.Run("every known type", func(t *testing.T) {
		e := e.at(t)
		types := []string{"order.paid", "order.canceled", "order.expired", "order.refunded", "payment.succeeded",
			"payment.failed", "payment.requires_action", "payment.canceled", "refund.succeeded", "refund.failed"}
		we := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": "https://example.com/all", "events": types}))
		assert.Len(t, we["events"], len(types))
	})
}
