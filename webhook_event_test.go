package tokenim

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
