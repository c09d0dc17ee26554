package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

var start = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer

	began := time.Now()
	require.NoError(t, run(ctx, &out, sandbox.WithFrozenClock(start)))
	t.Logf("two disputes answered and decided over 25 h of sandbox time in %s of wall time", time.Since(began))

	want := `✓ orders A-1001 and A-1002 paid by card
✓ one hour later (sandbox clock) both customers dispute
  webhook dispute.created: A-1001, product_not_received, CNY 88.00 at stake, answer by Nov 28 10:30 UTC
    staged: product, tracking SF Express SF1234567890, refund policy
    submitted: A-1001 is under_review
  webhook dispute.created: A-1002, fraudulent, CNY 88.00 at stake, answer by Nov 28 10:30 UTC
    A-1002 was never shipped: accepted, nothing to defend
  webhook dispute.closed: A-1002 lost (the money is gone)
✓ disputes still needing a response: 0
✓ one day later (sandbox clock) the bank decides
  webhook dispute.closed: A-1001 won (CNY 88.00 comes back, the fee does not)
`
	assert.Equal(t, want, out.String())
}

func TestRun_canceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, run(ctx, &bytes.Buffer{}, sandbox.WithFrozenClock(start)), context.Canceled)
}

// merchantDispute is what a merchant's own test does: take a payment with a
// dispute test card, receive the dispute by webhook, answer it, and read the
// outcome from the closing webhook, all on the sandbox clock.
func merchantDispute(tb testing.TB, uncategorized string) *tokenim.Dispute {
	client, srv := tokenimtest.Start(tb, sandbox.WithFrozenClock(start))
	hooks := tokenimtest.NewWebhookReceiver(tb, srv)
	ctx := context.Background()
	o, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "T-1", Amount: 4200, Currency: "USD"})
	require.NoError(tb, err)
	_, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card(cardFraudulent, 12, 2040, "123")})
	require.NoError(tb, err)

	srv.Advance(time.Hour)
	d, err := hooks.Wait(tb, tokenim.EventDisputeCreated).Dispute()
	require.NoError(tb, err)
	_, err = client.Disputes.SubmitEvidence(ctx, d.ID, &tokenim.DisputeEvidence{UncategorizedText: uncategorized})
	require.NoError(tb, err)

	srv.Advance(24 * time.Hour)
	closed, err := hooks.Wait(tb, tokenim.EventDisputeClosed).Dispute()
	require.NoError(tb, err)
	return closed
}

func TestMerchantTest_disputeWonAndLostOnTheSandboxClock(t *testing.T) {
	t.Parallel()
	began := time.Now()
	assert.Equal(t, tokenim.DisputeStatusWon, merchantDispute(t, "Delivered and signed for.").Status)
	assert.Equal(t, tokenim.DisputeStatusLost, merchantDispute(t, "losing_evidence").Status)
	t.Logf("two disputes, payment to outcome, in %s of wall time", time.Since(began))
}

// BenchmarkMerchantDispute measures one payment → dispute webhook → answer
// → outcome webhook round, the wall time a merchant's test spends on it.
func BenchmarkMerchantDispute(b *testing.B) {
	for b.Loop() {
		merchantDispute(b, "Delivered and signed for.")
	}
}
