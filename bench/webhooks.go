package bench

import (
	"testing"

	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"
	"github.com/tokenim/tokenim-go"
)

// padTo returns the JSON of build(note) with note grown so that the
// document is exactly size bytes (the padding lives in metadata, as a
// merchant's own data would).
func padTo(size int, build func(note string) ([]byte, error)) ([]byte, error) {
	empty, err := build("")
	if err != nil {
		return nil, err
	}
	if len(empty) > size {
		return nil, fmt.Errorf("an event is already %d bytes, more than %d", len(empty), size)
	}
	note := make([]byte, size-len(empty))
	for i := range note {
		note[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i%36]
	}
	body, err := build(string(note))
	if err != nil {
		return nil, err
	}
	if len(body) != size {
		return nil, fmt.Errorf("padded event is %d bytes, want %d", len(body), size)
	}
	return body, nil
}

// tokenimEvent is a payment.succeeded delivery of the given size, as the
// platform sends it.
func tokenimEvent(size int) ([]byte, error) {
	return padTo(size, func(note string) ([]byte, error) {
		var p map[string]any
		if err := json.Unmarshal(tokenimPaymentJSON, &p); err != nil {
			return nil, err
		}
		p["metadata"] = map[string]string{"note": note}
		obj, err := json.Marshal(p)
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{
			"id": "evt_fzvlmi1ni2054brwkr5xhq0y", "object": "event", "type": "payment.succeeded",
			"created_at": "2026-11-22T00:24:33Z", "api_version": tokenim.APIVersion,
			"data": map[string]json.RawMessage{"object": obj},
		})
	})
}

// stripeEvent is a payment_intent.succeeded delivery of the given size, as
// Stripe sends it (with the API version stripe-go expects). A full
// PaymentIntent event is about 1.6 KiB; for smaller sizes its null members
// are left out.
func stripeEvent(size int) ([]byte, error) {
	body, err := stripeEventOf(size, false)
	if err != nil {
		return stripeEventOf(size, true)
	}
	return body, nil
}

func stripeEventOf(size int, compact bool) ([]byte, error) {
	return padTo(size, func(note string) ([]byte, error) {
		var pi map[string]any
		if err := json.Unmarshal(stripePaymentIntentJSON, &pi); err != nil {
			return nil, err
		}
		if compact {
			for k, v := range pi {
				if v == nil {
					delete(pi, k)
				}
			}
		}
		pi["metadata"] = map[string]string{"note": note}
		obj, err := json.Marshal(pi)
		if err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{
			"id": "evt_3PgafyB7WZ01zgkW0aB1cD2e", "object": "event", "api_version": stripe.APIVersion,
			"created": 1763771073, "livemode": false, "pending_webhooks": 1, "type": "payment_intent.succeeded",
			"request":             map[string]any{"id": "req_bench0000000001", "idempotency_key": "9b2f4c1e-8d3a-4f6b-9c0d-1e2f3a4b5c6d"},
			"data":                map[string]json.RawMessage{"object": obj},
			"account":             nil,
			"context":             nil,
			"previous_attributes": nil,
		})
	})
}

// newWebhookSecret is a Standard Webhooks secret: whsec_ and 32 random
// bytes in base64.
func newWebhookSecret() string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// standardHeaders signs body the Standard Webhooks way (which is Tokenim's).
func standardHeaders(secret string, body []byte) (http.Header, error) {
	now := time.Now()
	sig, err := tokenim.SignWebhook(secret, "msg_2Lp9xK3vQ8", now, body)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_2Lp9xK3vQ8")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", sig)
	return h, nil
}

// WebhookOp verifies and decodes one delivery of body (the headers are the
// ones built with it).
type WebhookOp func(body []byte) error

// TokenimParseEvent verifies with a WebhookVerifier built once (the
// handler's path) and decodes the event.
func TokenimParseEvent(size int) (WebhookOp, []byte, error) {
	secret := newWebhookSecret()
	body, err := tokenimEvent(size)
	if err != nil {
		return nil, nil, err
	}
	h, err := standardHeaders(secret, body)
	if err != nil {
		return nil, nil, err
	}
	v, err := tokenim.NewWebhookVerifier([]string{secret})
	if err != nil {
		return nil, nil, err
	}
	return func(body []byte) error {
		e, err := v.ParseEvent(h, body)
		if err != nil {
			return err
		}
		if e.Type != tokenim.EventPaymentSucceeded || len(e.Data.Object) == 0 {
			return errors.New("tokenim: wrong event decoded")
		}
		return nil
	}, body, nil
}

// TokenimConstructEvent is the one-call form: the secret is parsed on every
// call, as stripe-go's ConstructEvent does.
func TokenimConstructEvent(size int) (WebhookOp, []byte, error) {
	secret := newWebhookSecret()
	body, err := tokenimEvent(size)
	if err != nil {
		return nil, nil, err
	}
	h, err := standardHeaders(secret, body)
	if err != nil {
		return nil, nil, err
	}
	return func(body []byte) error {
		e, err := tokenim.ConstructEvent(body, h, secret)
		if err != nil {
			return err
		}
		if e.Type != tokenim.EventPaymentSucceeded || len(e.Data.Object) == 0 {
			return errors.New("tokenim: wrong event decoded")
		}
		return nil
	}, body, nil
}

// swEvent has the shape of a Tokenim event; the Standard Webhooks library
// only verifies, so the decode is plain encoding/json into it.
type swEvent struct {
	ID         string    `json:"id"`
	Object     string    `json:"object"`
	Type       string    `json:"type"`
	CreatedAt  time.Time `json:"created_at"`
	APIVersion string    `json:"api_version"`
	Data       struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// StandardWebhooksVerify verifies the same delivery with the Standard
// Webhooks library (its Webhook built once) and decodes it.
func StandardWebhooksVerify(size int) (WebhookOp, []byte, error) {
	secret := newWebhookSecret()
	body, err := tokenimEvent(size)
	if err != nil {
		return nil, nil, err
	}
	h, err := standardHeaders(secret, body)
	if err != nil {
		return nil, nil, err
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, nil, err
	}
	return func(body []byte) error {
		if err := wh.Verify(body, h); err != nil {
			return err
		}
		var e swEvent
		if err := json.Unmarshal(body, &e); err != nil {
			return err
		}
		if e.Type != "payment.succeeded" || len(e.Data.Object) == 0 {
			return errors.New("standard-webhooks: wrong event decoded")
		}
		return nil
	}, body, nil
}

// StripeConstructEvent verifies a Stripe-Signature delivery and decodes it
// with stripe-go's webhook.ConstructEvent.
func StripeConstructEvent(size int) (WebhookOp, []byte, error) {
	const secret = "whsec_bench_7f9c2ba4e88f827d616045507605853e"
	body, err := stripeEvent(size)
	if err != nil {
		return nil, nil, err
	}
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: time.Now()})
	return func(body []byte) error {
		e, err := webhook.ConstructEvent(body, sp.Header, secret)
		if err != nil {
			return err
		}
		if e.Type != stripe.EventTypePaymentIntentSucceeded || len(e.Data.Raw) == 0 {
			return errors.New("stripe: wrong event decoded")
		}
		return nil
	}, body, nil
}

// BenchWebhook turns a webhook operation into a benchmark function.
func BenchWebhook(build func(size int) (WebhookOp, []byte, error), size int) func(b *testing.B) {
	return func(b *testing.B) {
		op, body, err := build(size)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			if err := op(body); err != nil {
				b.Fatal(err)
			}
		}
	}
}
