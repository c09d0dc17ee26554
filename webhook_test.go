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
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	short := "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23))
	notB64 := "whsec_this-is-not-base64-but-a-secret!"
	tests := []struct {
		name    string
		secrets []string
		opts    []WebhookOption
		want    string
	}{
		{"no secrets", nil, nil, "no secret"},
		{"empty secret", []string{""}, nil, "empty"},
		{"prefix only", []string{"whsec_"}, nil, "empty"},
		{"not base64", []string{whSecretNew, notB64}, nil, "secret 2"},
		{"key too short", []string{short}, nil, "23-byte key"},
		{"key too long", []string{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 513))}, nil, "513-byte key"},
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
			for _, s := range tt.secrets {
				if len(s) > len("whsec_") {
					assert.NotContains(t, err.Error(), strings.TrimPrefix(s, "whsec_"))
				}
			}
		})
	}
	_, err := NewWebhookVerifier([]string{notB64})
	assert.ErrorIs(t, err, ErrWebhookBadSecret)
	assert.NotErrorIs(t, err, ErrWebhookVerification, "a configuration error is not a verification failure")
}

func TestWebhookVerifier_printsNoSecret(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	h, err := NewWebhookHandler(func(context.Context, *Event) error { return nil }, []string{whSecretNew})
	require.NoError(t, err)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whSecretNew, "whsec_"))
	require.NoError(t, err)
	holder := struct {
		V *WebhookVerifier
		H *WebhookHandler
	}{v, h}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, x := range []any{v, h, holder, &holder} {
			out := fmt.Sprintf(verb, x)
			assert.NotContains(t, out, strings.TrimPrefix(whSecretNew, "whsec_"), verb)
			assert.NotContains(t, out, string(key), verb)
			assert.NotContains(t, out, hex.EncodeToString(key), verb)
			assert.NotContains(t, out, fmt.Sprint(key), verb)
		}
	}
	assert.Equal(t, "tokenim.WebhookVerifier{secrets: 1, tolerance: 5m0s}", fmt.Sprintf("%+v", v))
}

func TestWebhookVerifier_ParseEvent(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})

	e, err := v.ParseEvent(whHeader(t, "evt_123", whNow, whEventBody, whSecretNew), whEventBody)
	require.NoError(t, err)
	assert.Equal(t, "evt_123", e.ID)
	assert.Equal(t, EventOrderPaid, e.Type)
	assert.Equal(t, "2026-11-01", e.APIVersion)
	assert.True(t, e.CreatedAt.Equal(whNow))
	assert.JSONEq(t, `{"id":"ord_1","object":"order","amount":1999}`, string(e.Data.Object))
}

func TestWebhookVerifier_ParseEvent_unknownTypeDecodes(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	body := []byte(`{"id":"evt_9","object":"event","type":"dispute.created","future_field":{"x":1},"data":{"object":{}}}`)
	e, err := v.ParseEvent(whHeader(t, "evt_9", whNow, body, whSecretNew), body)
	require.NoError(t, err)
	assert.Equal(t, EventType("dispute.created"), e.Type)
}

func TestWebhookVerifier_ParseEvent_decodesOnlyVerifiedBytes(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	h := whHeader(t, "evt_123", whNow, whEventBody, whSecretNew)
	forged := bytes.Replace(whEventBody, []byte("order.paid"), []byte("order.refunded"), 1)
	e, err := v.ParseEvent(h, forged)
	assert.ErrorIs(t, err, ErrWebhookNoMatchingSignature)
	assert.Nil(t, e)

	// Even a body that is not JSON reports the signature, not the syntax.
	e, err = v.ParseEvent(h, []byte("not json"))
	assert.ErrorIs(t, err, ErrWebhookVerification)
	assert.Nil(t, e)
}

func TestWebhookVerifier_ParseEvent_rejectsSignedNonEvents(t *testing.T) {
	t.Parallel()
	v := whVerifier(t, []string{whSecretNew})
	for _, body := range []string{"", "not json", "null", "[]", `{"type":"order.paid"}`, `{"id":"evt_1"}`, `{"id":"evt_1","type":"order.paid","created_at":"yesterday"}`} {
		e, err := v.ParseEvent(whHeader(t, "evt_1", whNow, []byte(body), whSecretNew), []byte(body))
		assert.ErrorIs(t, err, ErrWebhookInvalidPayload, "body %q", body)
		assert.NotErrorIs(t, err, ErrWebhookVerification, "body %q", body)
		assert.Nil(t, e)
	}
}

func TestConstructEvent(t *testing.T) {
	t.Parallel()
	now := time.Now()
	h := whHeader(t, "evt_123", now, whEventBody, whSecretOld, whSecretNew)

	e, err := ConstructEvent(whEventBody, h, whSecretNew)
	require.NoError(t, err)
	assert.Equal(t, "evt_123", e.ID)

	_, err = ConstructEvent(whEventBody, whHeader(t, "evt_123", now, whEventBody, whSecretOld), whSecretNew)
	assert.ErrorIs(t, err, ErrWebhookNoMatchingSignature)

	_, err = ConstructEvent(whEventBody, whHeader(t, "evt_123", now.Add(-time.Hour), whEventBody, whSecretNew), whSecretNew)
	assert.ErrorIs(t, err, ErrWebhookTimestampTooOld, "default tolerance applies")

	_, err = ConstructEvent(whEventBody, h)
	assert.ErrorIs(t, err, ErrWebhookBadSecret)
}

func TestNewSignedWebhookRequest(t *testing.T) {
	t.Parallel()
	event := &Event{ID: "evt_777", Object: "event", Type: EventRefundSucceeded, CreatedAt: whNow, APIVersion: "2026-11-01"}
	before := time.Now().Unix()
	req, err := NewSignedWebhookRequest("https://merchant.example/webhooks", whSecretNew, event)
	require.NoError(t, err)
	after := time.Now().Unix()

	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "https://merchant.example/webhooks", req.URL.String())
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Equal(t, "evt_777", req.Header.Get(WebhookIDHeader))
	ts, err := strconv.ParseInt(req.Header.Get(WebhookTimestampHeader), 10, 64)
	require.NoError(t, err)
	assert.True(t, ts >= before && ts <= after, "timestamp %d not in [%d, %d]", ts, before, after)

	body := new(bytes.Buffer)
	_, err = body.ReadFrom(req.Body)
	require.NoError(t, err)
	assert.Equal(t, whIndependentSig(t, whSecretNew, "evt_777", req.Header.Get(WebhookTimestampHeader), body.Bytes()), req.Header.Get(WebhookSignatureHeader))

	got, err := ConstructEvent(body.Bytes(), req.Header, whSecretNew)
	require.NoError(t, err)
	assert.Equal(t, event.Type, got.Type)
	assert.True(t, got.CreatedAt.Equal(whNow))
}

func TestNewSignedWebhookRequest_rejectsBadInput(t *testing.T) {
	t.Parallel()
	_, err := NewSignedWebhookRequest("https://m.example/", whSecretNew, nil)
	assert.ErrorContains(t, err, "nil")
	_, err = NewSignedWebhookRequest("https://m.example/", whSecretNew, &Event{Type: EventOrderPaid})
	assert.ErrorContains(t, err, "id")
	_, err = NewSignedWebhookRequest("https://m.example/", "whsec_short", &Event{ID: "evt_1", Type: EventOrderPaid})
	assert.ErrorIs(t, err, ErrWebhookBadSecret)
	_, err = NewSignedWebhookRequest("://bad url", whSecretNew, &Event{ID: "evt_1", Type: EventOrderPaid})
	assert.Error(t, err)
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

// --- MemoryWebhookIDStore ---

type whClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *whClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *whClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryWebhookIDStore_lifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &MemoryWebhookIDStore{}

	state, err := s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state)
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDInProgress, state)

	require.NoError(t, s.Release(ctx, "evt_1"))
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state, "a released id runs again")

	require.NoError(t, s.Done(ctx, "evt_1"))
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state)

	require.NoError(t, s.Release(ctx, "evt_1"))
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state, "release does not undo done")
	assert.Equal(t, 1, s.Len())
}

func TestMemoryWebhookIDStore_forgetsAfterTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &whClock{now: whNow}
	s := &MemoryWebhookIDStore{TTL: time.Hour, Now: clock.Now}

	_, err := s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	require.NoError(t, s.Done(ctx, "evt_1"))
	_, err = s.Reserve(ctx, "evt_busy")
	require.NoError(t, err)

	clock.Advance(time.Hour - time.Nanosecond)
	state, err := s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state)

	clock.Advance(time.Nanosecond)
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state, "expired id runs again")

	clock.Advance(100 * time.Hour)
	state, err = s.Reserve(ctx, "evt_busy")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDInProgress, state, "reservations in progress never expire")
}

func TestMemoryWebhookIDStore_bounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &whClock{now: whNow}
	s := &MemoryWebhookIDStore{MaxEntries: 3, Now: clock.Now}

	for _, id := range []string{"evt_a", "evt_b", "evt_c"} {
		_, err := s.Reserve(ctx, id)
		require.NoError(t, err)
		require.NoError(t, s.Done(ctx, id))
		clock.Advance(time.Second)
	}
	state, err := s.Reserve(ctx, "evt_d")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state)
	assert.Equal(t, 3, s.Len())

	state, err = s.Reserve(ctx, "evt_b")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state, "a newer id survives")
	state, err = s.Reserve(ctx, "evt_a")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state, "the oldest handled id was evicted")

	// Now: evt_d, evt_a in progress, evt_c done (evt_b was evicted for evt_a).
	state, err = s.Reserve(ctx, "evt_e")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state)
	_, err = s.Reserve(ctx, "evt_f")
	assert.ErrorIs(t, err, ErrWebhookIDStoreFull, "reservations in progress are never evicted")
	state, err = s.Reserve(ctx, "evt_d")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDInProgress, state)
	assert.Equal(t, 3, s.Len())
}

func TestMemoryWebhookIDStore_concurrentReserve(t *testing.T) {
	t.Parallel()
	s := &MemoryWebhookIDStore{}
	var reserved atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state, err := s.Reserve(context.Background(), "evt_1")
			assert.NoError(t, err)
			if state == WebhookIDReserved {
				reserved.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), reserved.Load())
}

// --- WebhookHandler ---

// whRequest is a delivery of body as the platform sends it, signed now.
func whRequest(t testing.TB, id string, body []byte, secrets ...string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(body))
	for k, v := range whHeader(t, id, whNow, body, secrets...) {
		req.Header[k] = v
	}
	return req
}

func whServe(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// whHandler builds a handler whose clock is whNow.
func whHandler(t testing.TB, fn func(context.Context, *Event) error, opts ...WebhookHandlerOption) *WebhookHandler {
	t.Helper()
	opts = append([]WebhookHandlerOption{WithWebhookClock(whFixedClock(whNow))}, opts...)
	h, err := NewWebhookHandler(fn, []string{whSecretNew, whSecretOld}, opts...)
	require.NoError(t, err)
	return h
}

func TestWebhookHandler_success(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var got *Event
	h := whHandler(t, func(_ context.Context, e *Event) error {
		calls.Add(1)
		got = e
		return nil
	})
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, int32(1), calls.Load())
	require.NotNil(t, got)
	assert.Equal(t, "evt_123", got.ID)
	assert.Equal(t, EventOrderPaid, got.Type)
}

func TestWebhookHandler_duplicateIsAcknowledgedWithoutCallingAgain(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := whHandler(t, func(context.Context, *Event) error { calls.Add(1); return nil })

	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	// The platform's redelivery: same id, signed again (here with the old secret).
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretOld)).Code)
	assert.Equal(t, int32(1), calls.Load())

	// Another event runs.
	other := bytes.Replace(whEventBody, []byte("evt_123"), []byte("evt_124"), 1)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_124", other, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load())
}

func TestWebhookHandler_concurrentDuplicatesRunOnce(t *testing.T) {
	t.Parallel()
	const n = 64
	var calls atomic.Int32
	release := make(chan struct{})
	h := whHandler(t, func(context.Context, *Event) error {
		calls.Add(1)
		<-release // hold the reservation until every duplicate has been answered
		return nil
	})
	codes := make(chan int, n)
	for range n {
		req := whRequest(t, "evt_123", whEventBody, whSecretNew)
		go func() { codes <- whServe(h, req).Code }()
	}
	for range n - 1 {
		assert.Equal(t, http.StatusConflict, <-codes, "a duplicate while the first is running")
	}
	close(release)
	assert.Equal(t, http.StatusOK, <-codes)
	assert.Equal(t, int32(1), calls.Load())

	// After the first finished, duplicates are acknowledged.
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(1), calls.Load())
}

func TestWebhookHandler_inProgressDuplicateAsksForRetry(t *testing.T) {
	t.Parallel()
	store := &MemoryWebhookIDStore{}
	_, err := store.Reserve(context.Background(), "evt_123")
	require.NoError(t, err)
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called for an id in progress"); return nil }, WithWebhookIDStore(store))
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
}

func TestWebhookHandler_errorThenRetryRunsAgain(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := whHandler(t, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			return errors.New("database down")
		}
		return nil
	})
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "database down")

	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load(), "the retry ran fn, the third delivery did not")
}

// whLogBuffer is a goroutine-safe log sink.
type whLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *whLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *whLogBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

func TestWebhookHandler_panicIsRecoveredAndRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	logs := &whLogBuffer{}
	h := whHandler(t, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			panic("nil map in merchant code")
		}
		return nil
	}, WithWebhookLogger(slog.New(slog.NewTextHandler(logs, nil))))

	var rec *httptest.ResponseRecorder
	require.NotPanics(t, func() { rec = whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)) })
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "nil map")
	assert.Contains(t, logs.String(), "nil map in merchant code")
	assert.Contains(t, logs.String(), "evt_123")

	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load())
}

func TestWebhookHandler_abortPanicPropagatesAndReleases(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := whHandler(t, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)) })
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load())
}

type whCtxKey struct{}

func TestWebhookHandler_passesRequestContext(t *testing.T) {
	t.Parallel()
	var got any
	h := whHandler(t, func(ctx context.Context, _ *Event) error { got = ctx.Value(whCtxKey{}); return nil })
	req := whRequest(t, "evt_123", whEventBody, whSecretNew)
	req = req.WithContext(context.WithValue(req.Context(), whCtxKey{}, "trace-42"))
	assert.Equal(t, http.StatusOK, whServe(h, req).Code)
	assert.Equal(t, "trace-42", got)
}

func TestWebhookHandler_methodNotAllowed(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil })
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete} {
		req := whRequest(t, "evt_123", whEventBody, whSecretNew)
		req.Method = m
		rec := whServe(h, req)
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, m)
		assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"), m)
	}
}

func TestWebhookHandler_bodyTooLarge(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil }, WithWebhookMaxBodyBytes(int64(len(whEventBody)-1)))

	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "declared length")

	req := whRequest(t, "evt_123", whEventBody, whSecretNew)
	req.ContentLength = -1 // chunked: only reading finds out
	rec = whServe(h, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "unknown length")

	fits := whHandler(t, func(context.Context, *Event) error { return nil }, WithWebhookMaxBodyBytes(int64(len(whEventBody))))
	assert.Equal(t, http.StatusOK, whServe(fits, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code, "exactly the limit")
}

func TestWebhookHandler_defaultBodyLimitIsOneMiB(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { return nil })
	big := make([]byte, DefaultWebhookMaxBodyBytes+1)
	rec := whServe(h, whRequest(t, "evt_123", big, whSecretNew))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
}

func TestWebhookHandler_rejectsUnverifiedWithoutDetail(t *testing.T) {
	t.Parallel()
	logs := &whLogBuffer{}
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil },
		WithWebhookLogger(slog.New(slog.NewTextHandler(logs, nil))))

	forged := whRequest(t, "evt_123", whEventBody, whSecretNew)
	forged.Body = io.NopCloser(bytes.NewReader(bytes.Replace(whEventBody, []byte("1999"), []byte("1"), 1)))
	stale := whRequest(t, "evt_123", whEventBody, whSecretNew)
	stale.Header.Set(WebhookTimestampHeader, strconv.FormatInt(whNow.Add(-time.Hour).Unix(), 10))
	unsigned := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(whEventBody))
	wrongSecret := whRequest(t, "evt_123", whEventBody, "whsec_"+base64.StdEncoding.EncodeToString([]byte("attacker-secret-attacker-secret!")))
	notEvent := whRequest(t, "evt_123", []byte(`{"hello":"world"}`), whSecretNew)

	var bodies []string
	for name, req := range map[string]*http.Request{"forged": forged, "stale": stale, "unsigned": unsigned, "wrong secret": wrongSecret, "not an event": notEvent} {
		rec := whServe(h, req)
		assert.Equal(t, http.StatusBadRequest, rec.Code, name)
		bodies = append(bodies, rec.Body.String())
	}
	for _, b := range bodies {
		assert.Equal(t, "invalid webhook\n", b, "every rejection looks the same to the sender")
	}
	out := logs.String()
	assert.Contains(t, out, "too old", "the merchant's log says why")
	assert.NotContains(t, out, strings.TrimPrefix(whSecretNew, "whsec_"))
	assert.NotContains(t, out, strings.TrimPrefix(whIndependentSig(t, whSecretNew, "evt_123", strconv.FormatInt(whNow.Unix(), 10), whEventBody), "v1,"))
}

func TestWebhookHandler_nilBodyIsRejectedNotPanicking(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil })
	req := whRequest(t, "evt_123", whEventBody, whSecretNew)
	req.Body, req.ContentLength = nil, 0
	var rec *httptest.ResponseRecorder
	require.NotPanics(t, func() { rec = whServe(h, req) })
	assert.Equal(t, http.StatusBadRequest, rec.Code)
}

func TestWebhookHandler_unknownEventTypeIsDelivered(t *testing.T) {
	t.Parallel()
	var got EventType
	h := whHandler(t, func(_ context.Context, e *Event) error { got = e.Type; return nil })
	body := []byte(`{"id":"evt_5","object":"event","type":"payout.paid","data":{"object":{}}}`)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_5", body, whSecretNew)).Code)
	assert.Equal(t, EventType("payout.paid"), got)
}

type whFailingStore struct{ MemoryWebhookIDStore }

func (*whFailingStore) Reserve(context.Context, string) (WebhookIDState, error) {
	return 0, errors.New("redis unreachable")
}

func TestWebhookHandler_storeFailureAsksForRetry(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil }, WithWebhookIDStore(&whFailingStore{}))
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "redis")
}

type whDoneFailingStore struct{ MemoryWebhookIDStore }

func (*whDoneFailingStore) Done(context.Context, string) error { return errors.New("redis timeout") }

func TestWebhookHandler_storeDoneFailureStillAcknowledges(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	logs := &whLogBuffer{}
	h := whHandler(t, func(context.Context, *Event) error { calls.Add(1); return nil },
		WithWebhookIDStore(&whDoneFailingStore{}), WithWebhookLogger(slog.New(slog.NewTextHandler(logs, nil))))
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code, "fn ran: no redelivery wanted")
	assert.Equal(t, int32(1), calls.Load())
	assert.Contains(t, logs.String(), "redis timeout")
}

func TestWebhookHandler_verifierOptionsApply(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { return nil },
		WithWebhookClock(whFixedClock(whNow.Add(time.Minute))), WithWebhookTolerance(30*time.Second))
	assert.Equal(t, http.StatusBadRequest, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
}

func TestNewWebhookHandler_ignoresNilOptions(t *testing.T) {
	t.Parallel()
	var nilVerifierOpt WebhookOption
	h, err := NewWebhookHandler(func(context.Context, *Event) error { return nil }, []string{whSecretNew},
		nil, nilVerifierOpt, WithWebhookClock(whFixedClock(whNow)))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_1", whEventBody, whSecretNew)).Code)
	v, err := NewWebhookVerifier([]string{whSecretNew}, nil)
	require.NoError(t, err)
	assert.NotNil(t, v)
}

func TestNewWebhookHandler_rejectsBadConfig(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, *Event) error { return nil }
	tests := []struct {
		name    string
		fn      func(context.Context, *Event) error
		secrets []string
		opts    []WebhookHandlerOption
		want    string
	}{
		{"nil fn", nil, []string{whSecretNew}, nil, "function"},
		{"no secret", ok, nil, nil, "secret"},
		{"bad secret", ok, []string{"whsec_???"}, nil, "secret 1"},
		{"nil store", ok, []string{whSecretNew}, []WebhookHandlerOption{WithWebhookIDStore(nil)}, "store"},
		{"zero body limit", ok, []string{whSecretNew}, []WebhookHandlerOption{WithWebhookMaxBodyBytes(0)}, "body"},
		{"bad tolerance", ok, []string{whSecretNew}, []WebhookHandlerOption{WithWebhookTolerance(-1)}, "tolerance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewWebhookHandler(tt.fn, tt.secrets, tt.opts...)
			assert.Nil(t, h)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
