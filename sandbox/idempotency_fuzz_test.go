package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// visibleKey is the contract's key rule (§2), written independently of the
// sandbox: 1–255 bytes, each 0x21–0x7E.
func visibleKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// sfQuote is the RFC 8941 sf-string form of k.
func sfQuote(k string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(k) + `"`
}

// fuzzPost sends one JSON POST straight to the handler, as the default
// merchant; key "\x00absent" sends no Idempotency-Key.
func fuzzPost(sb *Sandbox, path, key string, body []byte) *httptest.ResponseRecorder {
	return fuzzPostAs(sb, path, key, "application/json", body)
}

// fuzzPostAs is fuzzPost with any Content-Type ("" sends none).
func fuzzPostAs(sb *Sandbox, path, key, contentType string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://sandbox.test"+path, bytes.NewReader(body))
	m := sb.DefaultMerchant()
	req.Header.Set("Authorization", "Bearer "+m.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", m.ID)
	if contentType != "" {
		req.Header["Content-Type"] = []string{contentType}
	}
	if key != "\x00absent" {
		req.Header["Idempotency-Key"] = []string{key} // raw: no canonicalisation
	}
	w := httptest.NewRecorder()
	sb.ServeHTTP(w, req)
	return w
}

// TestParseIdempotencyKey_visibleASCIIThatLooksQuoted: the contract accepts
// every header of 1–255 visible ASCII characters; one that starts and ends
// with '"' without being a valid sf-string of a key is a bare key.
func TestParseIdempotencyKey_visibleASCIIThatLooksQuoted(t *testing.T) {
	t.Parallel()
	for _, k := range []string{`""`, `"a"b"`, `"\x"`, `"a\"`} {
		got, ok := parseIdempotencyKey(k)
		assert.True(t, ok, "%q is 1-255 visible ASCII", k)
		assert.Equal(t, k, got, "%q is not a valid sf-string of a key, so it is a bare key", k)
	}
}

// FuzzIdempotencyKeyHeader checks the Idempotency-Key parser against the
// contract: a header is accepted exactly when it is, bare or as an RFC 8941
// quoted string, 1–255 visible ASCII characters; the quoted form names the
// same key as the bare one; and over HTTP a rejected header is 400
// invalid_request on param Idempotency-Key while an accepted one is stored
// and replayed, under its quoted form too.
func FuzzIdempotencyKeyHeader(f *testing.F) {
	for _, k := range []string{
		"abc-123", `"abc-123"`, `"a\"b"`, `"a\\b"`, `""`, `"`, `"a`, `a"`, `"\"x\""`, `"a\b"`, `"a b"`,
		"a b", "", "ключ", "\x7f", "~!", strings.Repeat("k", 255), strings.Repeat("k", 256),
		`"` + strings.Repeat("q", 255) + `"`, `"` + strings.Repeat("q", 256) + `"`,
	} {
		f.Add(k)
	}
	sb := New(WithFrozenClock(t0), WithSeed(1))
	f.Cleanup(sb.Close)

	f.Fuzz(func(t *testing.T, header string) {
		got, ok := parseIdempotencyKey(header)

		// The oracle is the contract (§2 and contract-decisions.md): any
		// 1–255 visible ASCII header is a key; so is a valid sf-string whose
		// content is such, and then its content is the key.
		want, wantOK := header, visibleKey(header)
		looksQuoted := len(header) >= 2 && header[0] == '"' && header[len(header)-1] == '"'
		if looksQuoted {
			if s, valid := sfUnquote(header); valid && visibleKey(s) {
				want, wantOK = s, true
			}
		}
		require.Equal(t, wantOK, ok, "header %q", header)
		if !ok {
			assert.Empty(t, got)
		} else {
			assert.Equal(t, want, got)
			assert.True(t, visibleKey(got), "accepted keys are 1-255 visible ASCII after unquoting")
			again, ok2 := parseIdempotencyKey(sfQuote(got))
			assert.True(t, ok2)
			assert.Equal(t, got, again, "the quoted form is the same key")
		}

		// Over HTTP, with a body that is always a valid order, on a sandbox
		// that has seen no key yet (inputs may name the same key).
		sb.Reset()
		body := []byte(`{"merchant_order_id":"fz-1","amount":1999,"currency":"CNY"}`)
		w := fuzzPost(sb, "/v1/orders", header, body)
		if !ok {
			require.Equal(t, http.StatusBadRequest, w.Code, "%s", w.Body.Bytes())
			var p struct {
				Code  string  `json:"code"`
				Param *string `json:"param"`
			}
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
			assert.Equal(t, "invalid_request", p.Code)
			require.NotNil(t, p.Param)
			assert.Equal(t, "Idempotency-Key", *p.Param)
			return
		}
		require.Equal(t, http.StatusOK, w.Code, "%s", w.Body.Bytes())
		assert.Equal(t, "false", w.Header().Get("Idempotent-Replayed"))
		replay := fuzzPost(sb, "/v1/orders", sfQuote(got), body)
		require.Equal(t, http.StatusOK, replay.Code, "%s", replay.Body.Bytes())
		assert.Equal(t, "true", replay.Header().Get("Idempotent-Replayed"), "quoted %q replays bare %q", sfQuote(got), got)
		assert.Equal(t, w.Body.String(), replay.Body.String())
	})
}

// sfUnquote decodes an RFC 8941 sf-string ("..." with \" and \\ escapes);
// it does not apply the key rule.
func sfUnquote(s string) (string, bool) {
	inner := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch c {
		case '\\':
			if i+1 == len(inner) || (inner[i+1] != '"' && inner[i+1] != '\\') {
				return "", false
			}
			i++
			b.WriteByte(inner[i])
		case '"':
			return "", false
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
