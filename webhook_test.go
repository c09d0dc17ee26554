package tokenim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The published Standard Webhooks test vector (standard-webhooks/standard-webhooks,
// libraries/go/webhook_test.go, TestWebhookSign), checked independently with openssl.
const (
	whVectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	whVectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	whVectorTimestamp = 1614265330
	whVectorBody      = `{"test": 2432232314}`
	whVectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var (
	// Two 32-byte secrets, as the platform issues them.
	whSecretOld = "whsec_" + base64.StdEncoding.EncodeToString([]byte("old-secret-old-secret-old-secret"))
	whSecretNew = "whsec_" + base64.StdEncoding.EncodeToString([]byte("new-secret-new-secret-new-secret"))
	whNow       = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	whEventBody = []byte(`{"id":"evt_123","object":"event","type":"order.paid","created_at":"2026-11-21T09:30:00Z","api_version":"2026-11-01","data":{"object":{"id":"ord_1","object":"order","amount":1999}}}`)
)

// whIndependentSig signs like the platform does, using crypto/hmac directly
// and none of the code under test.
func whIndependentSig(t testing.TB, secret, id, ts string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// whHeader builds delivery headers signed independently with each secret.
func whHeader(t testing.TB, id string, ts time.Time, body []byte, secrets ...string) http.Header {
	t.Helper()
	tsStr := strconv.FormatInt(ts.Unix(), 10)
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, whIndependentSig(t, s, id, tsStr, body))
	}
	h := http.Header{}
	h.Set(WebhookIDHeader, id)
	h.Set(WebhookTimestampHeader, tsStr)
	h.Set(WebhookSignatureHeader, strings.Join(sigs, " "))
	return h
}

func whFixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func whVerifier(t testing.TB, secrets []string, opts ...WebhookOption) *WebhookVerifier {
	t.Helper()
	opts = append([]WebhookOption{WithWebhookClock(whFixedClock(whNow))}, opts...)
	v, err := NewWebhookVerifier(secrets, opts...)
	require.NoError(t, err)
	return v
}

func TestSignWebhook_reproducesStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{whVectorSecret, strings.TrimPrefix(whVectorSecret, "whsec_")} {
		sig, err := SignWebhook(secret, whVectorID, time.Unix(whVectorTimestamp, 0), []byte(whVectorBody))
		require.NoError(t, err)
		assert.Equal(t, whVectorSignature, sig, "secret %q", secret)
	}
}

func TestWebhookVerifier_acceptsStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	v, err := NewWebhookVerifier([]string{whVectorSecret}, WithWebhookClock(whFixedClock(time.Unix(whVectorTimestamp+10, 0))))
	require.NoError(t, err)
	h := http.Header{}
	h.Set(WebhookIDHeader, whVectorID)
	h.Set(WebhookTimestampHeader, strconv.Itoa(whVectorTimestamp))
	h.Set(WebhookSignatureHeader, whVectorSignature)
	assert.NoError(t, v.Verify(h, []byte(whVectorBody)))
	assert.ErrorIs(t, v.Verify(h, []byte(`{"test": 2432232315}`)), ErrWebhookNoMatchingSignature)
}

func TestSignWebhook_matchesIndependentHMAC(t *testing.T) {
	t.Parallel()
	for _, body := range [][]byte{nil, []byte("{}"), whEventBody, bytes.Repeat([]byte("x"), 70_000)} {
		sig, err := SignWebhook(whSecretNew, "evt_42", whNow, body)
		require.NoError(t, err)
		assert.Equal(t, whIndependentSig(t, whSecretNew, "evt_42", strconv.FormatInt(whNow.Unix(), 10), body), sig)
	}
}

func TestSignWebhook_rejectsBadInput(t *testing.T) {
	t.Parallel()
	_, err := SignWebhook("whsec_!!!", "evt_1", whNow, nil)
	assert.ErrorIs(t, err, ErrWebhookBadSecret)
	_, err = SignWebhook(whSecretNew, "", whNow, nil)
	assert.ErrorContains(t, err, "id")
	_, err = SignWebhook(whSecretNew, "evt.1", whNow, nil)
	assert.ErrorContains(t, err, "id")
	_, err = SignWebhook(whSecretNew, "evt_1", time.Unix(-1, 0), nil)
	assert.ErrorContains(t, err, "timestamp")
}

func TestWebhookVerifier_Verify_acceptsGenuineDelivery(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	assert.NoError(t, v.Verify(whHeader(t, "evt_123", whNow, whEventBody, whSecretNew), whEventBody))
}

func TestWebhookVerifier_Verify_rejectsTampering(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	tests := []struct {
		name   string
		tamper func(h http.Header, body []byte) []byte
	}{
		{"id", func(h http.Header, body []byte) []byte { h.Set(WebhookIDHeader, "evt_124"); return body }},
		{"timestamp", func(h http.Header, body []byte) []byte {
			h.Set(WebhookTimestampHeader, strconv.FormatInt(whNow.Unix()-1, 10))
			return body
		}},
		{"body", func(h http.Header, body []byte) []byte { return bytes.Replace(body, []byte("1999"), []byte("1998"), 1) }},
		{"body appended", func(h http.Header, body []byte) []byte { return append(body, ' ') }},
		{"signature", func(h http.Header, body []byte) []byte {
			sig := []byte(h.Get(WebhookSignatureHeader))
			if sig[5] == 'A' { // still base64, different bytes
				sig[5] = 'B'
			} else {
				sig[5] = 'A'
			}
			h.Set(WebhookSignatureHeader, string(sig))
			return body
		}},
		{"other secret", func(h http.Header, body []byte) []byte {
			h.Set(WebhookSignatureHeader, whIndependentSig(t, whSecretOld, "evt_123", h.Get(WebhookTimestampHeader), body))
			return body
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := bytes.Clone(whEventBody)
			h := whHeader(t, "evt_123", whNow, body, whSecretNew)
			body = tt.tamper(h, body)
			err := v.Verify(h, body)
			assert.ErrorIs(t, err, ErrWebhookNoMatchingSignature)
			assert.ErrorIs(t, err, ErrWebhookVerification)
		})
	}
}

func TestWebhookVerifier_Verify_rotation(t *testing.T) {
	t.Parallel()
	both := whVerifier(t, []string{whSecretNew, whSecretOld})
	onlyNew := whVerifier(t, []string{whSecretNew})

	signedOld := whHeader(t, "evt_1", whNow, whEventBody, whSecretOld)
	signedNew := whHeader(t, "evt_1", whNow, whEventBody, whSecretNew)
	signedBoth := whHeader(t, "evt_1", whNow, whEventBody, whSecretOld, whSecretNew)

	assert.NoError(t, both.Verify(signedOld, whEventBody), "old secret still accepted during rotation")
	assert.NoError(t, both.Verify(signedNew, whEventBody))
	assert.NoError(t, both.Verify(signedBoth, whEventBody))
	assert.NoError(t, onlyNew.Verify(signedBoth, whEventBody), "platform signs with both during rotation")
	assert.ErrorIs(t, onlyNew.Verify(signedOld, whEventBody), ErrWebhookNoMatchingSignature, "old secret dropped after rotation")
}

func TestWebhookVerifier_Verify_timestampTolerance(t *testing.T) {
	t.Parallel()
	ts := whNow // the delivery's timestamp
	tests := []struct {
		name    string
		now     time.Time
		opts    []WebhookOption
		wantErr error
	}{
		{"same second", ts, nil, nil},
		{"receiver behind by tolerance", ts.Add(-5 * time.Minute), nil, nil},
		{"receiver ahead by tolerance", ts.Add(5 * time.Minute), nil, nil},
		{"stale by one second", ts.Add(5*time.Minute + time.Second), nil, ErrWebhookTimestampTooOld},
		{"stale by a nanosecond", ts.Add(5*time.Minute + time.Nanosecond), nil, ErrWebhookTimestampTooOld},
		{"future by one second", ts.Add(-5*time.Minute - time.Second), nil, ErrWebhookTimestampTooNew},
		{"future by a nanosecond", ts.Add(-5*time.Minute - time.Nanosecond), nil, ErrWebhookTimestampTooNew},
		{"stale a day", ts.Add(24 * time.Hour), nil, ErrWebhookTimestampTooOld},
		{"custom tolerance accepts", ts.Add(time.Hour), []WebhookOption{WithWebhookTolerance(time.Hour)}, nil},
		{"custom tolerance rejects stale", ts.Add(11 * time.Second), []WebhookOption{WithWebhookTolerance(10 * time.Second)}, ErrWebhookTimestampTooOld},
		{"custom tolerance rejects future", ts.Add(-11 * time.Second), []WebhookOption{WithWebhookTolerance(10 * time.Second)}, ErrWebhookTimestampTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]WebhookOption{WithWebhookClock(whFixedClock(tt.now))}, tt.opts...)
			v, err := NewWebhookVerifier([]string{whSecretNew}, opts...)
			require.NoError(t, err)
			err = v.Verify(whHeader(t, "evt_1", ts, whEventBody, whSecretNew), whEventBody)
			if tt.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			assert.ErrorIs(t, err, ErrWebhookVerification)
		})
	}
}

func TestWebhookVerifier_Verify_headerEdgeCases(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	ts := strconv.FormatInt(whNow.Unix(), 10)
	good := whIndependentSig(t, whSecretNew, "evt_1", ts, whEventBody)
	goodB64 := strings.TrimPrefix(good, "v1,")
	wrong := whIndependentSig(t, whSecretOld, "evt_1", ts, whEventBody)

	tests := []struct {
		name    string
		id, ts  string
		sig     string
		wantErr error // nil: verifies
	}{
		{"plain", "evt_1", ts, good, nil},
		{"leading and trailing spaces", "evt_1", ts, "  " + good + "   ", nil},
		{"runs of spaces between entries", "evt_1", ts, wrong + "    " + good, nil},
		{"unknown versions skipped", "evt_1", ts, "v2," + goodB64 + " v1a,AAAA " + good, nil},
		{"only unknown versions", "evt_1", ts, "v2," + goodB64 + " v1a," + goodB64, ErrWebhookMalformedHeader},
		{"version is case sensitive", "evt_1", ts, "V1," + goodB64, ErrWebhookMalformedHeader},
		{"empty signature entry", "evt_1", ts, "v1, " + good, nil},
		{"only an empty signature", "evt_1", ts, "v1,", ErrWebhookMalformedHeader},
		{"missing comma skipped", "evt_1", ts, "v1" + goodB64 + " " + good, nil},
		{"only missing comma", "evt_1", ts, "v1" + goodB64, ErrWebhookMalformedHeader},
		{"comma separated list", "evt_1", ts, good + "," + wrong, ErrWebhookMalformedHeader},
		{"non-base64", "evt_1", ts, "v1,!!!!" + goodB64[4:], ErrWebhookMalformedHeader},
		{"url-safe base64", "evt_1", ts, "v1," + strings.NewReplacer("+", "-", "/", "_").Replace(goodB64) + " " + good, nil},
		{"non-canonical base64", "evt_1", ts, "v1," + whNonCanonical(goodB64), ErrWebhookMalformedHeader},
		{"unpadded base64", "evt_1", ts, "v1," + strings.TrimRight(goodB64, "="), ErrWebhookMalformedHeader},
		{"short signature", "evt_1", ts, "v1," + base64.StdEncoding.EncodeToString([]byte("short")), ErrWebhookMalformedHeader},
		{"well-formed but wrong", "evt_1", ts, wrong, ErrWebhookNoMatchingSignature},
		{"huge signature header", "evt_1", ts, strings.Repeat(good+" ", 100), ErrWebhookMalformedHeader},
		{"too many entries", "evt_1", ts, strings.Repeat("v2,x ", maxWebhookSignatures) + good, ErrWebhookMalformedHeader},
		{"as many entries as allowed", "evt_1", ts, strings.Repeat("v2,x ", maxWebhookSignatures-1) + good, nil},
		{"missing id", "", ts, good, ErrWebhookMissingHeader},
		{"missing timestamp", "evt_1", "", good, ErrWebhookMissingHeader},
		{"missing signature", "evt_1", ts, "", ErrWebhookMissingHeader},
		{"huge id", strings.Repeat("e", maxWebhookIDLen+1), ts, good, ErrWebhookMalformedHeader},
		{"id with a dot", "evt.1", ts, good, ErrWebhookMalformedHeader},
		{"id with a space", "evt 1", ts, good, ErrWebhookMalformedHeader},
		{"id with non-ASCII", "evt_é", ts, good, ErrWebhookMalformedHeader},
		{"non-numeric timestamp", "evt_1", "yesterday", good, ErrWebhookMalformedHeader},
		{"RFC 3339 timestamp", "evt_1", whNow.Format(time.RFC3339), good, ErrWebhookMalformedHeader},
		{"fractional timestamp", "evt_1", ts + ".5", good, ErrWebhookMalformedHeader},
		{"milliseconds timestamp", "evt_1", ts + "000", good, ErrWebhookTimestampTooNew},
		{"negative timestamp", "evt_1", "-" + ts, good, ErrWebhookMalformedHeader},
		{"plus sign", "evt_1", "+" + ts, good, ErrWebhookMalformedHeader},
		{"leading zero", "evt_1", "0" + ts, good, ErrWebhookMalformedHeader},
		{"spaces around timestamp", "evt_1", " " + ts + " ", good, ErrWebhookMalformedHeader},
		{"zero timestamp", "evt_1", "0", good, ErrWebhookTimestampTooOld},
		{"max int64 timestamp", "evt_1", "9223372036854775807", good, ErrWebhookTimestampTooNew},
		{"overflowing timestamp", "evt_1", "9223372036854775808", good, ErrWebhookMalformedHeader},
		{"20-digit timestamp", "evt_1", "10000000000000000000", good, ErrWebhookMalformedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			for name, val := range map[string]string{WebhookIDHeader: tt.id, WebhookTimestampHeader: tt.ts, WebhookSignatureHeader: tt.sig} {
				if val != "" {
					h.Set(name, val)
				}
			}
			err := v.Verify(h, whEventBody)
			if tt.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
			assert.ErrorIs(t, err, ErrWebhookVerification)
		})
	}
}

// whNonCanonical respells a base64 signature with nonzero padding bits: a
// lax decoder yields the same bytes, a strict one refuses it.
func whNonCanonical(b64 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	i := strings.IndexByte(alphabet, b64[42])
	return b64[:42] + string(alphabet[i|1]) + b64[43:]
}

func TestWebhookVerifier_Verify_headerForms(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	canonical := whHeader(t, "evt_1", whNow, whEventBody, whSecretNew)

	lower := http.Header{}
	for k, vals := range canonical {
		lower[strings.ToLower(k)] = vals
	}
	assert.NoError(t, v.Verify(lower, whEventBody), "hand-built header with lower case keys")

	for _, name := range []string{WebhookIDHeader, WebhookTimestampHeader, WebhookSignatureHeader} {
		h := canonical.Clone()
		h.Add(name, h.Get(name))
		assert.ErrorIs(t, v.Verify(h, whEventBody), ErrWebhookMalformedHeader, "repeated %s", name)
	}
	assert.ErrorIs(t, v.Verify(http.Header{}, whEventBody), ErrWebhookMissingHeader)
	assert.ErrorIs(t, v.Verify(nil, whEventBody), ErrWebhookMissingHeader)
}

func TestWebhookVerifier_errorsRevealNoSecret(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	ts := strconv.FormatInt(whNow.Unix(), 10)
	expected := whIndependentSig(t, whSecretNew, "evt_1", ts, whEventBody)
	h := whHeader(t, "evt_1", whNow, whEventBody, whSecretOld)
	sent := h.Get(WebhookSignatureHeader)

	err := v.Verify(h, whEventBody)
	require.ErrorIs(t, err, ErrWebhookNoMatchingSignature)
	for _, s := range []string{whSecretNew, strings.TrimPrefix(whSecretNew, "whsec_"), expected, strings.TrimPrefix(expected, "v1,"), sent[3:]} {
		assert.NotContains(t, err.Error(), s)
	}
}

func TestNewWebhookVerifier_rejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		opts    []WebhookOption
		want    string
	}{
		{"no secrets", nil, nil, "no secret"},
		{"too many secrets", make([]string, maxWebhookSecrets+1), nil, "at most"},
		{"zero tolerance", []string{whSecretNew}, []WebhookOption{WithWebhookTolerance(0)}, "tolerance"},
		{"negative tolerance", []string{whSecretNew}, []WebhookOption{WithWebhookTolerance(-time.Second)}, "tolerance"},
		{"nil clock", []string{whSecretNew}, []WebhookOption{WithWebhookClock(nil)}, "clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewWebhookVerifier(tt.secrets, tt.opts...)
			require.Error(t, err)
			assert.Nil(t, v)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// whB64Secret is "whsec_" and the padded standard base64 of n bytes that
// are not all alike, so that the secret text is easy to search for.
func whB64Secret(n int) string {
	key := make([]byte, n)
	for i := range key {
		key[i] = byte(0xf0 + i*7)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// TestNewWebhookVerifier_secretFormat holds the verifier to
// docs/tokenim-api.md §1: "whsec_" + padded standard base64 of 24–64 bytes,
// the prefix optional, anything else refused with an error that says what
// is wrong and quotes no part of the secret.
func TestNewWebhookVerifier_secretFormat(t *testing.T) {
	t.Parallel()
	s32 := whB64Secret(32)
	raw32 := strings.TrimPrefix(s32, "whsec_")
	urlSafe := "whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 11)) // has '-' and '_'
	nonCanonical := "whsec_" + whNonCanonical(base64.StdEncoding.EncodeToString(make([]byte, 32)))

	for _, ok := range []string{whB64Secret(24), s32, whB64Secret(64), raw32, whVectorSecret} {
		_, err := NewWebhookVerifier([]string{ok})
		assert.NoError(t, err, "secret of %d characters", len(ok))
	}

	tests := []struct {
		name, secret, want string
	}{
		{"empty", "", "secret 2 is empty"},
		{"prefix only", "whsec_", "secret 2 is empty"},
		{"16-byte key", whB64Secret(16), "16-byte key; 24 to 64 bytes required"},
		{"23-byte key", whB64Secret(23), "23-byte key; 24 to 64 bytes required"},
		{"65-byte key", whB64Secret(65), "65-byte key; 24 to 64 bytes required"},
		{"far too long", whB64Secret(513), "longer than a 64-byte key"},
		{"unpadded", strings.TrimRight(whB64Secret(32), "="), "not padded base64"},
		{"unpadded, no prefix", strings.TrimRight(raw32, "="), "not padded base64"},
		{"URL-safe alphabet", urlSafe, "URL-safe base64 alphabet"},
		{"other prefix", "whsek_" + raw32, "has a prefix other than whsec_"},
		{"line break", "whsec_" + raw32[:20] + "\n" + raw32[20:], "whitespace or a non-printable byte at offset 20"},
		{"space", "whsec_ " + raw32, "whitespace"},
		{"not base64", "whsec_" + raw32[:5] + "!" + raw32[6:], "not standard base64 (RFC 4648 §4): bad character or padding at offset 5"},
		{"stray bits", nonCanonical, "not standard base64"},
		{"raw text", "whsec_hello", "is 5 characters after whsec_, too short for a webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := NewWebhookVerifier([]string{whSecretNew, tt.secret})
			require.ErrorIs(t, err, ErrWebhookBadSecret)
			assert.NotErrorIs(t, err, ErrWebhookVerification, "a configuration error is not a verification failure")
			assert.Nil(t, v)
			assert.ErrorContains(t, err, "secret 2")
			assert.ErrorContains(t, err, tt.want)
			if body := strings.TrimPrefix(tt.secret, "whsec_"); len(body) >= 6 {
				for i := 0; i+6 <= len(body); i++ {
					assert.NotContains(t, err.Error(), body[i:i+6], "error quotes the secret")
				}
			}
			_, err = SignWebhook(tt.secret, "evt_1", whNow, nil)
			assert.ErrorIs(t, err, ErrWebhookBadSecret, "signing refuses what verifying refuses")
		})
	}
}

// TestNewWebhookVerifier_namesTheMistake: the usual wrong values given as a
// webhook secret are each named as what they are, not as a base64 detail.
func TestNewWebhookVerifier_namesTheMistake(t *testing.T) {
	t.Parallel()
	raw32 := strings.TrimPrefix(whB64Secret(32), "whsec_")
	stripeHex := "whsec_" + strings.Repeat("3f9a07c2b1d4e5f6", 4) // Stripe's whsec_ + 64 hex digits
	for _, tt := range []struct {
		name, secret string
		want         []string
		notWant      string
	}{
		{"a password", "secret123", []string{"is 9 characters with no whsec_ prefix", "not a Tokenim webhook secret", "whsec_ followed by 32 to 88 characters of standard base64"}, "padded"},
		{"a word after the prefix", "whsec_secret123", []string{"is 9 characters after whsec_, too short for a webhook secret", "32 to 88 characters"}, "padded"},
		{"Stripe-style hex", stripeHex, []string{"looks like a Stripe signing secret (whsec_ followed by hex digits)", "standard base64"}, "padded"},
		{"Stripe-style hex, 32 digits", "whsec_" + strings.Repeat("0123456789abcdef", 2), []string{"looks like a Stripe signing secret"}, "is a 24-byte key"},
		{"hex without the prefix", strings.Repeat("3F9A07C2B1D4E5F6", 4), []string{"is hex digits with no whsec_ prefix", "standard base64"}, "padded"},
		{"a test API key", "sk_test_51SECRETsecretSECRETsecret", []string{"is an API key (sk_test_…), not a webhook secret", "WebhookEndpoints.Create"}, "prefix other"},
		{"a live API key", "sk_live_51SECRETsecretSECRETsecret", []string{"is an API key (sk_live_…), not a webhook secret"}, "prefix other"},
		{"an API key after the prefix", "whsec_sk_test_51SECRETsecretSECRET", []string{"is an API key (sk_test_…), not a webhook secret"}, "URL-safe"},
		{"base64 without the prefix, mangled", raw32[:40] + "!" + raw32[41:], []string{"not standard base64", "it has no whsec_ prefix"}, ""},
		{"base64 with the prefix, mangled", "whsec_" + raw32[:40] + "!" + raw32[41:], []string{"not standard base64"}, "no whsec_ prefix"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NewWebhookVerifier([]string{tt.secret})
			require.ErrorIs(t, err, ErrWebhookBadSecret)
			for _, w := range tt.want {
				assert.ErrorContains(t, err, w)
			}
			if tt.notWant != "" {
				assert.NotContains(t, err.Error(), tt.notWant)
			}
			body := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(tt.secret, "whsec_"), "sk_test_"), "sk_live_")
			for i := 0; i+6 <= len(body); i++ {
				if w := body[i : i+6]; strings.ContainsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }) {
					assert.NotContains(t, err.Error(), w, "the error quotes the secret") // words like "secret" are the message's own
				}
			}
			_, err = SignWebhook(tt.secret, "evt_1", whNow, nil)
			assert.ErrorIs(t, err, ErrWebhookBadSecret, "signing names the same mistake")
		})
	}
}

func TestNewWebhookVerifier_ignoresNilOptions(t *testing.T) {
	t.Parallel()
	v, err := NewWebhookVerifier([]string{whSecretNew}, nil, WithWebhookClock(whFixedClock(whNow)))
	require.NoError(t, err)
	assert.NoError(t, v.Verify(whHeader(t, "evt_1", whNow, whEventBody, whSecretNew), whEventBody))
}

func TestNewWebhookSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 8 {
		s := NewWebhookSecret()
		require.True(t, strings.HasPrefix(s, "whsec_"), "prefix")
		key, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(s, "whsec_"))
		require.NoError(t, err, "padded standard base64")
		assert.Len(t, key, 32)
		assert.False(t, seen[s], "secrets repeat")
		seen[s] = true

		// A secret it makes signs deliveries its verifier accepts.
		sig, err := SignWebhook(s, "evt_1", whNow, whEventBody)
		require.NoError(t, err)
		h := http.Header{}
		h.Set(WebhookIDHeader, "evt_1")
		h.Set(WebhookTimestampHeader, strconv.FormatInt(whNow.Unix(), 10))
		h.Set(WebhookSignatureHeader, sig)
		assert.NoError(t, whVerifier(t, []string{s}).Verify(h, whEventBody))
	}
}

// TestWebhook_printsNoSecret prints a verifier and a handler, by value and
// by pointer and inside a struct, through every fmt verb and through slog's
// text and JSON handlers, and looks for the secret in any spelling.
func TestWebhook_printsNoSecret(t *testing.T) {
	t.Parallel()
	secret := whB64Secret(32)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	v := whVerifier(t, []string{secret, whSecretOld})
	h, err := NewWebhookHandler(v, func(context.Context, *Event) error { return nil })
	require.NoError(t, err)
	holder := struct {
		V *WebhookVerifier
		H *WebhookHandler
	}{v, h}
	values := map[string]any{
		"*WebhookVerifier": v, "WebhookVerifier": *v,
		"*WebhookHandler": h, "WebhookHandler": *h,
		"struct of pointers": holder, "pointer to struct": &holder,
	}
	spellings := []string{
		strings.TrimPrefix(secret, "whsec_"), string(key), hex.EncodeToString(key), fmt.Sprint(key), fmt.Sprintf("%X", key),
		fmt.Sprint(key[:8])[1:20], base64.RawStdEncoding.EncodeToString(key[:12]),
	}
	for name, x := range values {
		outs := map[string]string{}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
			outs[verb] = fmt.Sprintf(verb, x)
		}
		for hname, newHandler := range map[string]func(io.Writer) slog.Handler{
			"text": func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
			"json": func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(newHandler(&buf)).Info("webhook", "value", x)
			outs["slog "+hname] = buf.String()
		}
		for how, out := range outs {
			for _, sp := range spellings {
				assert.NotContains(t, out, sp, "%s through %s", name, how)
			}
		}
	}
	assert.Equal(t, "tokenim.WebhookVerifier{secrets: 2, tolerance: 5m0s}", fmt.Sprintf("%+v", v))
	assert.Equal(t, "tokenim.WebhookHandler{verifier: tokenim.WebhookVerifier{secrets: 2, tolerance: 5m0s}, max_body_bytes: 1048576}", fmt.Sprintf("%#v", *h))
	var nilV *WebhookVerifier
	var nilH *WebhookHandler
	assert.Equal(t, "<nil> <nil>", fmt.Sprint(nilV, " ", nilH))
}

func TestParseWebhookSignatures(t *testing.T) {
	t.Parallel()
	encA := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xAA}, webhookSigLen))
	encB := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xBB}, webhookSigLen))

	var sigs [maxWebhookSignatures]string
	n, err := parseWebhookSignatures(" v1,"+encA+"  v1a,xyz v2,"+encB+" v1,short v1,"+encB+" ", &sigs)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	assert.Equal(t, []string{encA, encB}, sigs[:n])

	assert.True(t, isWebhookSig(encA))
	assert.False(t, isWebhookSig(whNonCanonical(encA)))
	assert.False(t, isWebhookSig("!"+encA[1:]))
	assert.False(t, isWebhookSig(encA[:43]))
}

// TestWebhookWindow checks the integer window against time.Time arithmetic.
func TestWebhookWindow(t *testing.T) {
	t.Parallel()
	base := time.Unix(1795000000, 0)
	for _, off := range []time.Duration{0, 1, 499_999_999, 500_000_000, 999_999_999, time.Second, 1500 * time.Millisecond} {
		for _, tol := range []time.Duration{time.Nanosecond, time.Second, 300*time.Second + 1, 5 * time.Minute, 5*time.Minute + 999_999_999, 24 * time.Hour} {
			now := base.Add(off)
			earliest, latest := now.Add(-tol), now.Add(tol)
			wantLo := earliest.Unix()
			if earliest.Nanosecond() > 0 {
				wantLo++
			}
			lo, hi := webhookWindow(now, tol)
			assert.Equal(t, wantLo, lo, "lo at %v, tolerance %v", off, tol)
			assert.Equal(t, latest.Unix(), hi, "hi at %v, tolerance %v", off, tol)
		}
	}
}

// TestValidWebhookID checks the eight-bytes-at-a-time test against the
// byte table: every byte value at every position of ids of 1 to 24 bytes.
func TestValidWebhookID(t *testing.T) {
	t.Parallel()
	for n := 1; n <= 24; n++ {
		id := []byte(strings.Repeat("a", n))
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				id[pos] = byte(c)
				want := webhookIDBytes[c]
				if got := validWebhookID(string(id)); got != want {
					t.Fatalf("validWebhookID with byte %#x at %d of %d = %v, want %v", c, pos, n, got, want)
				}
			}
			id[pos] = 'a'
		}
	}
	// Two bad bytes in one word, one of them causing a carry.
	assert.False(t, validWebhookID("abc\xff\x00defgh"))
	assert.False(t, validWebhookID("ab.\xffcdefgh"))
	assert.True(t, validWebhookID("evt_1234567890abcdefghij"))
}

// TestWebhookVerifier_secretsFunc: a verifier whose secrets come later, and
// change, through WithWebhookSecretsFunc and a WebhookSecrets holder.
func TestWebhookVerifier_secretsFunc(t *testing.T) {
	t.Parallel()
	var secrets WebhookSecrets
	calls := 0
	v := whVerifier(t, nil, WithWebhookSecretsFunc(func(ctx context.Context) ([]string, error) {
		calls++
		assert.Equal(t, "v", ctx.Value(whSecretsCtxKey{}), "the function runs under VerifyContext's context")
		return secrets.Get(ctx)
	}))
	ctx := context.WithValue(context.Background(), whSecretsCtxKey{}, "v")
	hOld := whHeader(t, "evt_1", whNow, whEventBody, whSecretOld)
	hNew := whHeader(t, "evt_1", whNow, whEventBody, whSecretNew)

	err := v.VerifyContext(ctx, hOld, whEventBody)
	require.ErrorContains(t, err, "no webhook secret set yet")
	assert.NotErrorIs(t, err, ErrWebhookVerification, "no secret yet is not a forged delivery")

	secrets.Set(whSecretOld)
	require.NoError(t, v.VerifyContext(ctx, hOld, whEventBody))
	assert.ErrorIs(t, v.VerifyContext(ctx, hNew, whEventBody), ErrWebhookNoMatchingSignature)

	secrets.Set(whSecretOld, whSecretNew) // a rotation: both sign
	require.NoError(t, v.VerifyContext(ctx, hOld, whEventBody))
	require.NoError(t, v.VerifyContext(ctx, hNew, whEventBody))

	secrets.Set(whSecretNew) // the old one retired
	assert.ErrorIs(t, v.VerifyContext(ctx, hOld, whEventBody), ErrWebhookNoMatchingSignature)
	require.NoError(t, v.VerifyContext(ctx, hNew, whEventBody))
	assert.Equal(t, 7, calls, "asked once per verification")

	// A malformed delivery is refused before the function is asked.
	assert.ErrorIs(t, v.VerifyContext(ctx, http.Header{}, whEventBody), ErrWebhookMissingHeader)
	assert.Equal(t, 7, calls)

	// What the function returns is checked like NewWebhookVerifier's secrets.
	secrets.Set("sk_test_51SECRETsecretSECRET")
	err = v.VerifyContext(ctx, hNew, whEventBody)
	require.ErrorIs(t, err, ErrWebhookBadSecret)
	assert.ErrorContains(t, err, "secret 1 (from WithWebhookSecretsFunc) is an API key")
	assert.NotContains(t, err.Error(), "51SECRET")
	secrets.Set()
	assert.ErrorContains(t, v.VerifyContext(ctx, hNew, whEventBody), "no secret given (from WithWebhookSecretsFunc)")
	secrets.Set(whSecretNew)
	require.NoError(t, v.VerifyContext(ctx, hNew, whEventBody), "a good list after a bad one works again")

	// The function's own error is passed on.
	boom := errors.New("secret manager unreachable")
	vErr := whVerifier(t, nil, WithWebhookSecretsFunc(func(context.Context) ([]string, error) { return nil, boom }))
	err = vErr.Verify(hNew, whEventBody)
	assert.ErrorIs(t, err, boom)
	assert.NotErrorIs(t, err, ErrWebhookVerification)

	// Printing the verifier or the holder shows no secret.
	for _, out := range []string{fmt.Sprintf("%v %+v %#v %s", v, *v, &secrets, &secrets), secrets.String()} {
		assert.NotContains(t, out, strings.TrimPrefix(whSecretNew, "whsec_")[:12])
	}
	assert.Contains(t, fmt.Sprint(v), "from WithWebhookSecretsFunc")
}

type whSecretsCtxKey struct{}

func TestWebhookVerifier_secretsFuncConfig(t *testing.T) {
	t.Parallel()
	f := func(context.Context) ([]string, error) { return []string{whSecretNew}, nil }
	_, err := NewWebhookVerifier([]string{whSecretNew}, WithWebhookSecretsFunc(f))
	assert.ErrorContains(t, err, "give either secrets or WithWebhookSecretsFunc, not both")
	_, err = NewWebhookVerifier(nil, WithWebhookSecretsFunc(nil))
	assert.ErrorContains(t, err, "webhook secrets func must not be nil")
	_, err = NewWebhookVerifier(nil)
	assert.ErrorIs(t, err, ErrWebhookBadSecret, "no secrets and no function")
}

// TestWebhookVerifier_secretsFuncConcurrent rotates the secrets while
// deliveries are verified on other goroutines (run it under -race).
func TestWebhookVerifier_secretsFuncConcurrent(t *testing.T) {
	t.Parallel()
	var secrets WebhookSecrets
	secrets.Set(whSecretOld, whSecretNew)
	v := whVerifier(t, nil, WithWebhookSecretsFunc(secrets.Get))
	h := whHeader(t, "evt_1", whNow, whEventBody, whSecretNew)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				assert.NoError(t, v.Verify(h, whEventBody))
			}
		}()
	}
	for i := range 200 {
		if i%2 == 0 {
			secrets.Set(whSecretNew)
		} else {
			secrets.Set(whSecretOld, whSecretNew)
		}
	}
	wg.Wait()
}
