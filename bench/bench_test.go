package bench

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCreateCallsSucceed makes sure every create-payment benchmark measures
// a call that really succeeds end to end, not a fast failure.
func TestCreateCallsSucceed(t *testing.T) {
	t.Parallel()
	for name, build := range map[string]func() (func(context.Context) error, func(), error){
		"tokenim": TokenimCreatePayment, "stripe-go": StripeCreatePaymentIntent,
	} {
		op, closeFn, err := build()
		require.NoError(t, err, name)
		assert.NoError(t, op(context.Background()), name)
		assert.NoError(t, op(context.Background()), name)
		closeFn()
	}
}

// TestWebhookOpsVerify makes sure every webhook benchmark verifies and
// decodes an event of the stated size, and that each rejects a tampered
// body (so none of them measures a verification that does not happen).
func TestWebhookOpsVerify(t *testing.T) {
	t.Parallel()
	for _, size := range []int{1 << 10, 64 << 10} {
		for name, build := range webhookOps {
			op, body, err := build(size)
			require.NoError(t, err, name)
			assert.Len(t, body, size, name)
			assert.NoError(t, op(body), "%s %d", name, size)
			tampered := bytes.Clone(body)
			tampered[len(tampered)/2] ^= 0x01
			assert.Error(t, op(tampered), "%s must reject a tampered %d-byte body", name, size)
		}
	}
}

var webhookOps = map[string]func(int) (WebhookOp, []byte, error){
	"tokenim ParseEvent":     TokenimParseEvent,
	"tokenim ConstructEvent": TokenimConstructEvent,
	"standard-webhooks":      StandardWebhooksVerify,
	"stripe ConstructEvent":  StripeConstructEvent,
}

func BenchmarkCreatePayment_Tokenim(b *testing.B) { Bench(TokenimCreatePayment)(b) }
func BenchmarkCreatePayment_Stripe(b *testing.B)  { Bench(StripeCreatePaymentIntent)(b) }

func BenchmarkWebhook1K_TokenimParseEvent(b *testing.B) { BenchWebhook(TokenimParseEvent, 1<<10)(b) }
func BenchmarkWebhook1K_StandardWebhooks(b *testing.B) {
	BenchWebhook(StandardWebhooksVerify, 1<<10)(b)
}
func BenchmarkWebhook1K_TokenimConstruct(b *testing.B) { BenchWebhook(TokenimConstructEvent, 1<<10)(b) }
func BenchmarkWebhook1K_StripeConstruct(b *testing.B)  { BenchWebhook(StripeConstructEvent, 1<<10)(b) }

func BenchmarkWebhook64K_TokenimParseEvent(b *testing.B) { BenchWebhook(TokenimParseEvent, 64<<10)(b) }
func BenchmarkWebhook64K_StandardWebhooks(b *testing.B) {
	BenchWebhook(StandardWebhooksVerify, 64<<10)(b)
}
func BenchmarkWebhook64K_TokenimConstruct(b *testing.B) {
	BenchWebhook(TokenimConstructEvent, 64<<10)(b)
}
func BenchmarkWebhook64K_StripeConstruct(b *testing.B) { BenchWebhook(StripeConstructEvent, 64<<10)(b) }
