package conformance

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	tokenim "github.com/tokenim/tokenim-go"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
	os.Exit(0) // unreachable: VerifyTestMain exits
}

const (
	visa       = "4242424242424242"
	mastercard = "5555555555554444"
	declined   = "4000000000000002"
	otpCard    = "4000002760003184"
)

func card(number string) tokenim.PaymentMethodParams { return tokenim.Card(number, 12, 2030, "123") }

// TestContract_everyOperation drives every /v1/ operation of api/openapi.yaml
// through the client, happy paths and the main error paths, with both sides
// of every exchange validated against the contract; it fails when an
// operation (also one added to the spec later) is never exercised.
func TestContract_everyOperation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	c := e.c

	var paidOrder *tokenim.Order
	var paid *tokenim.Payment
	t.Run("orders", func(t *testing.T) {
		exp := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
		o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{
			MerchantOrderID: "conf-1", Amount: 1999, Currency: "CNY",
			Description: "2 coffees", ExpiresAt: &exp, Metadata: map[string]string{"table": "7"},
		})
		require.NoError(t, err)
		assert.Equal(t, tokenim.OrderStatusOpen, o.Status)
		assert.Equal(t, int64(1999), o.Amount)
		assert.Equal(t, "7", o.Metadata["table"])
		assert.True(t, o.ExpiresAt.Equal(exp), "expires_at %s, want %s", o.ExpiresAt, exp)
		paidOrder = o

		got, err := c.Orders.Get(ctx, o.ID)
		require.NoError(t, err)
		assert.Equal(t, o.ID, got.ID)
		assert.Equal(t, "2 coffees", got.Description)

		// 409 duplicate_merchant_order_id names the existing order.
		_, err = c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "conf-1", Amount: 5, Currency: "CNY"})
		apiErr := apiError(t, err)
		assert.Equal(t, http.StatusConflict, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeDuplicateMerchantOrderID, apiErr.Code)
		assert.Equal(t, o.ID, apiErr.ExistingID)
		assert.ErrorIs(t, err, tokenim.ErrConflict)

		// 404 resource_missing.
		_, err = c.Orders.Get(ctx, "ord_doesnotexist")
		apiErr = apiError(t, err)
		assert.Equal(t, http.StatusNotFound, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeResourceMissing, apiErr.Code)
		assert.ErrorIs(t, err, tokenim.ErrNotFound)

		toCancel, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "conf-cancel", Amount: 500, Currency: "JPY"})
		require.NoError(t, err)
		canceled, err := c.Orders.Cancel(ctx, toCancel.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.OrderStatusCanceled, canceled.Status)
		_, err = c.Orders.Cancel(ctx, toCancel.ID)
		assert.Equal(t, tokenim.CodeOrderNotCancelable, apiError(t, err).Code)

		// Paying a canceled order: 409 order_not_payable, no payment created.
		_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: toCancel.ID, Method: card(visa)})
		assert.Equal(t, tokenim.CodeOrderNotPayable, apiError(t, err).Code)

		list, err := c.Orders.List(ctx, &tokenim.OrderListParams{Status: tokenim.OrderStatusCanceled})
		require.NoError(t, err)
		require.Len(t, list.Data, 1)
		assert.Equal(t, toCancel.ID, list.Data[0].ID)
		list, err = c.Orders.List(ctx, &tokenim.OrderListParams{MerchantOrderID: "conf-1"})
		require.NoError(t, err)
		require.Len(t, list.Data, 1)
		assert.Equal(t, o.ID, list.Data[0].ID)

		// The iterator pages (limit 1) through both orders, newest first.
		var ids []string
		for o, err := range c.Orders.All(ctx, &tokenim.OrderListParams{ListParams: tokenim.ListParams{Limit: 1}}) {
			require.NoError(t, err)
			ids = append(ids, o.ID)
		}
		assert.Equal(t, []string{toCancel.ID, o.ID}, ids)
	})

	var failed *tokenim.Payment
	t.Run("payments", func(t *testing.T) {
		require.NotNil(t, paidOrder)
		// 402 card_declined records a failed payment.
		_, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: paidOrder.ID, Method: card(declined)})
		apiErr := apiError(t, err)
		assert.Equal(t, http.StatusPaymentRequired, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeCardDeclined, apiErr.Code)
		assert.Equal(t, tokenim.DeclineGenericDecline, apiErr.DeclineCode)
		assert.True(t, tokenim.IsDeclined(err))
		require.NotEmpty(t, apiErr.PaymentID)
		failed, err = c.Payments.Get(ctx, apiErr.PaymentID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.PaymentStatusFailed, failed.Status)
		assert.Equal(t, tokenim.PaymentFailureGenericDecline, failed.FailureCode)

		// 409 receipt_unavailable for a payment that did not succeed.
		_, err = c.Payments.Receipt(ctx, failed.ID)
		assert.Equal(t, tokenim.CodeReceiptUnavailable, apiError(t, err).Code)

		paid, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{
			OrderID: paidOrder.ID, Method: card(visa), Metadata: map[string]string{"try": "2"},
		})
		require.NoError(t, err)
		assert.Equal(t, tokenim.PaymentStatusSucceeded, paid.Status)
		assert.Equal(t, int64(1999), paid.Amount)
		assert.Equal(t, int64(88), paid.Fee, "card fee 2.9 %% + 30, rounded half up")
		assert.Equal(t, paid.Amount-paid.Fee, paid.Net)
		require.NotNil(t, paid.Method.Card)
		assert.Equal(t, "4242", paid.Method.Card.Last4)
		assert.Equal(t, tokenim.CardBrandVisa, paid.Method.Card.Brand)

		// 409 order_already_paid names the payment that succeeded.
		_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: paidOrder.ID, Method: card(mastercard)})
		apiErr = apiError(t, err)
		assert.Equal(t, tokenim.CodeOrderAlreadyPaid, apiErr.Code)
		assert.Equal(t, paid.ID, apiErr.PaymentID)

		// A paid order cannot be canceled; a succeeded payment neither.
		_, err = c.Orders.Cancel(ctx, paidOrder.ID)
		assert.Equal(t, tokenim.CodeOrderNotCancelable, apiError(t, err).Code)
		_, err = c.Payments.Cancel(ctx, paid.ID)
		assert.Equal(t, tokenim.CodePaymentUnexpectedState, apiError(t, err).Code)
		_, err = c.Payments.Confirm(ctx, paid.ID, &tokenim.PaymentConfirmParams{OTP: "000000"})
		assert.Equal(t, tokenim.CodePaymentUnexpectedState, apiError(t, err).Code)

		rc, err := c.Payments.Receipt(ctx, paid.ID)
		require.NoError(t, err)
		assert.Equal(t, paid.ReceiptNumber, rc.ReceiptNumber)
		assert.Equal(t, "conf-1", rc.MerchantOrderID)
		assert.Equal(t, "visa •••• 4242", rc.MethodSummary)
		assert.Equal(t, paid.Fee, rc.Fee)

		o, err := c.Orders.Get(ctx, paidOrder.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.OrderStatusPaid, o.Status)
		assert.Equal(t, paid.ID, o.PaymentID)
		assert.Equal(t, o.Amount, o.AmountPaid)

		list, err := c.Payments.List(ctx, &tokenim.PaymentListParams{OrderID: paidOrder.ID})
		require.NoError(t, err)
		require.Len(t, list.Data, 2)
		assert.Equal(t, []string{paid.ID, failed.ID}, []string{list.Data[0].ID, list.Data[1].ID})
		list, err = c.Payments.List(ctx, &tokenim.PaymentListParams{Status: tokenim.PaymentStatusFailed})
		require.NoError(t, err)
		require.Len(t, list.Data, 1)
		assert.Equal(t, failed.ID, list.Data[0].ID)
	})

	t.Run("payment actions", func(t *testing.T) {
		// requires_action → wrong OTP (402 authentication_failed) → right OTP.
		o := newOrder(t, c, "conf-otp", 4200, "USD")
		p, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(otpCard)})
		require.NoError(t, err)
		assert.Equal(t, tokenim.PaymentStatusRequiresAction, p.Status)
		require.NotNil(t, p.NextAction)
		assert.Equal(t, tokenim.NextActionOTP, p.NextAction.Type)

		// 409 payment_in_progress while it waits for the OTP.
		_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(visa)})
		apiErr := apiError(t, err)
		assert.Equal(t, tokenim.CodePaymentInProgress, apiErr.Code)
		assert.Equal(t, p.ID, apiErr.PaymentID)

		_, err = c.Payments.Confirm(ctx, p.ID, &tokenim.PaymentConfirmParams{OTP: "111111"})
		apiErr = apiError(t, err)
		assert.Equal(t, http.StatusPaymentRequired, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeAuthenticationFailed, apiErr.Code)
		assert.Equal(t, p.ID, apiErr.PaymentID)

		p, err = c.Payments.Confirm(ctx, p.ID, &tokenim.PaymentConfirmParams{OTP: "000000"})
		require.NoError(t, err)
		assert.Equal(t, tokenim.PaymentStatusSucceeded, p.Status)

		// A bank transfer stays processing and can be canceled.
		o = newOrder(t, c, "conf-bank", 120000, "EUR")
		bt, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.BankTransfer()})
		require.NoError(t, err)
		assert.Equal(t, tokenim.PaymentStatusProcessing, bt.Status)
		bt, err = c.Payments.Cancel(ctx, bt.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.PaymentStatusCanceled, bt.Status)

		// A wallet pays at once, 1 % fee.
		w, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletAlipay)})
		require.NoError(t, err)
		assert.Equal(t, tokenim.PaymentStatusSucceeded, w.Status)
		assert.Equal(t, int64(1200), w.Fee)
	})

	t.Run("refunds", func(t *testing.T) {
		require.NotNil(t, paid)
		require.NotNil(t, failed)
		_, err := c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: failed.ID, Remaining: true})
		assert.Equal(t, tokenim.CodePaymentNotRefundable, apiError(t, err).Code)
		_, err = c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: "pay_doesnotexist", Remaining: true})
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code)

		part, err := c.Refunds.Create(ctx, &tokenim.RefundCreateParams{
			PaymentID: paid.ID, Amount: 500, Reason: tokenim.RefundReasonRequestedByCustomer,
			Metadata: map[string]string{"ticket": "Z-9"},
		})
		require.NoError(t, err)
		assert.Equal(t, tokenim.RefundStatusPending, part.Status)
		assert.Equal(t, int64(500), part.Amount)
		assert.Equal(t, paidOrder.ID, part.OrderID)

		_, err = c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: paid.ID, Amount: 1500})
		apiErr := apiError(t, err)
		assert.Equal(t, tokenim.CodeRefundExceedsRemaining, apiErr.Code)
		assert.Equal(t, paid.ID, apiErr.PaymentID)

		rest, err := c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: paid.ID, Remaining: true})
		require.NoError(t, err)
		assert.Equal(t, paid.Amount-500, rest.Amount, "no amount refunds all that remains")

		e.advance(6 * time.Minute)
		got, err := c.Refunds.Get(ctx, part.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.RefundStatusSucceeded, got.Status)
		require.NotNil(t, got.SucceededAt)

		list, err := c.Refunds.List(ctx, &tokenim.RefundListParams{PaymentID: paid.ID})
		require.NoError(t, err)
		require.Len(t, list.Data, 2)
		assert.Equal(t, []string{rest.ID, part.ID}, []string{list.Data[0].ID, list.Data[1].ID})

		o, err := c.Orders.Get(ctx, paidOrder.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.OrderStatusRefunded, o.Status)
		assert.Equal(t, o.Amount, o.AmountRefunded)
		p, err := c.Payments.Get(ctx, paid.ID)
		require.NoError(t, err)
		assert.Equal(t, p.Amount, p.AmountRefunded)
	})

	t.Run("disputes", func(t *testing.T) {
		// The fraudulent test card: it succeeds, and a dispute opens an hour later.
		o := newOrder(t, c, "conf-dispute", 5000, "CNY")
		p, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card("4000000000000259")})
		require.NoError(t, err)
		assert.False(t, p.Disputed)
		e.advance(time.Hour)
		page, err := c.Disputes.List(ctx, &tokenim.DisputeListParams{PaymentID: p.ID})
		require.NoError(t, err)
		require.Len(t, page.Data, 1)
		d := page.Data[0]
		assert.Equal(t, tokenim.DisputeReasonFraudulent, d.Reason)
		assert.Equal(t, int64(5000), d.Amount)
		assert.Equal(t, int64(1500), d.Fee)
		p, err = c.Payments.Get(ctx, p.ID)
		require.NoError(t, err)
		assert.True(t, p.Disputed)

		due, err := c.Disputes.NeedingResponse(ctx, d.CreatedAt)
		require.NoError(t, err)
		require.Len(t, due, 1)
		assert.Equal(t, 7*24*time.Hour, due[0].Left)

		_, err = c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: p.ID, Remaining: true})
		apiErr := apiError(t, err)
		assert.Equal(t, tokenim.CodePaymentDisputed, apiErr.Code)
		assert.Equal(t, d.ID, apiErr.DisputeID)

		staged, err := c.Disputes.UpdateEvidence(ctx, d.ID, &tokenim.DisputeEvidence{ProductDescription: "2 coffees"})
		require.NoError(t, err)
		assert.Equal(t, tokenim.DisputeStatusNeedsResponse, staged.Status)
		sub, err := c.Disputes.SubmitEvidence(ctx, d.ID, &tokenim.DisputeEvidence{ShippingTrackingNumber: "SF1"})
		require.NoError(t, err)
		assert.Equal(t, tokenim.DisputeStatusUnderReview, sub.Status)
		assert.Equal(t, "2 coffees", sub.Evidence.ProductDescription)
		_, err = c.Disputes.SubmitEvidence(ctx, d.ID, nil)
		apiErr = apiError(t, err)
		assert.Equal(t, tokenim.CodeDisputeNotOpen, apiErr.Code)
		assert.ErrorIs(t, err, tokenim.ErrConflict)
		e.advance(24 * time.Hour)
		won, err := c.Disputes.Get(ctx, d.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.DisputeStatusWon, won.Status)
		_, err = c.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: p.ID, Amount: 100})
		require.NoError(t, err, "after a won dispute the rest may be refunded")

		// A dispute opened through the control API, then conceded.
		o2 := newOrder(t, c, "conf-dispute-2", 800, "USD")
		p2, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o2.ID, Method: card(visa)})
		require.NoError(t, err)
		var opened tokenim.Dispute
		e.control(http.MethodPost, "/_sandbox/disputes", map[string]string{"payment_id": p2.ID, "reason": "unrecognized"}, &opened)
		lost, err := c.Disputes.Accept(ctx, opened.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.DisputeStatusLost, lost.Status)
		_, err = c.Disputes.Accept(ctx, opened.ID)
		assert.Equal(t, tokenim.CodeDisputeNotOpen, apiError(t, err).Code)

		var ids []string
		for d, err := range c.Disputes.All(ctx, &tokenim.DisputeListParams{ListParams: tokenim.ListParams{Limit: 1}}) {
			require.NoError(t, err)
			ids = append(ids, d.ID)
		}
		assert.Equal(t, []string{opened.ID, d.ID}, ids)
	})

	t.Run("events", func(t *testing.T) {
		list, err := c.Events.List(ctx, &tokenim.EventListParams{Type: tokenim.EventOrderPaid})
		require.NoError(t, err)
		require.NotEmpty(t, list.Data)
		for _, ev := range list.Data {
			assert.Equal(t, tokenim.EventOrderPaid, ev.Type)
		}
		ev, err := c.Events.Get(ctx, list.Data[len(list.Data)-1].ID)
		require.NoError(t, err)
		o, err := ev.Order()
		require.NoError(t, err)
		assert.Equal(t, paidOrder.ID, o.ID, "the oldest order.paid is the first order's")
		assert.Equal(t, tokenim.OrderStatusPaid, o.Status, "the snapshot is taken when the event happens")

		seen := map[tokenim.EventType]int{}
		for ev, err := range c.Events.All(ctx, &tokenim.EventListParams{ListParams: tokenim.ListParams{Limit: 3}}) {
			require.NoError(t, err)
			seen[ev.Type]++
		}
		for _, typ := range []tokenim.EventType{
			tokenim.EventOrderPaid, tokenim.EventOrderCanceled, tokenim.EventOrderRefunded,
			tokenim.EventPaymentSucceeded, tokenim.EventPaymentFailed, tokenim.EventPaymentRequiresAction,
			tokenim.EventPaymentCanceled, tokenim.EventRefundSucceeded,
		} {
			assert.Positive(t, seen[typ], "event %s", typ)
		}

		_, err = c.Events.Get(ctx, "evt_doesnotexist")
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code)
	})

	t.Run("webhook endpoints", func(t *testing.T) {
		we, err := c.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{
			URL: "https://merchant.example/hooks", Events: []tokenim.EventType{tokenim.EventOrderPaid}, Description: "orders",
		})
		require.NoError(t, err)
		assert.Equal(t, tokenim.WebhookEndpointEnabled, we.Status)
		assert.Regexp(t, `^whsec_`, we.Secret.Reveal())

		list, err := c.WebhookEndpoints.List(ctx, nil)
		require.NoError(t, err)
		require.Len(t, list.Data, 1)
		assert.Equal(t, we.ID, list.Data[0].ID)
		assert.True(t, list.Data[0].Secret.IsZero(), "the secret is returned only by create and rotate")
		got, err := c.WebhookEndpoints.Get(ctx, we.ID)
		require.NoError(t, err)
		assert.Equal(t, we.URL, got.URL)
		assert.True(t, got.Secret.IsZero(), "a retrieved endpoint carries no secret")

		rotated, err := c.WebhookEndpoints.RotateSecret(ctx, we.ID, &tokenim.WebhookEndpointRotateParams{ExpireOldAfter: time.Hour})
		require.NoError(t, err)
		assert.Regexp(t, `^whsec_`, rotated.Secret.Reveal())
		assert.NotEqual(t, we.Secret.Reveal(), rotated.Secret.Reveal())
		_, err = c.WebhookEndpoints.RotateSecret(ctx, we.ID, nil)
		require.NoError(t, err)

		del, err := c.WebhookEndpoints.Delete(ctx, we.ID)
		require.NoError(t, err)
		assert.True(t, del.Deleted)
		assert.Equal(t, we.ID, del.ID)
		_, err = c.WebhookEndpoints.Delete(ctx, we.ID)
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code)
	})

	t.Run("deliveries and resend", func(t *testing.T) {
		var healthy atomic.Bool
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if !healthy.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		}))
		t.Cleanup(hook.Close)
		we, err := c.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{URL: hook.URL, Events: []tokenim.EventType{tokenim.EventOrderPaid}})
		require.NoError(t, err)
		other, err := c.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{URL: hook.URL, Events: []tokenim.EventType{tokenim.EventRefundSucceeded}})
		require.NoError(t, err)
		o := newOrder(t, c, "conf-deliveries", 800, "CNY")
		_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(visa)})
		require.NoError(t, err)
		require.NoError(t, e.sb.FlushDeliveries(ctx))

		page, err := c.WebhookDeliveries.List(ctx, we.ID, &tokenim.DeliveryListParams{Status: tokenim.DeliveryPending})
		require.NoError(t, err)
		require.Len(t, page.Data, 1, "the order.paid delivery, retrying")
		d := page.Data[0]
		assert.Equal(t, we.ID, d.WebhookEndpointID)
		assert.Equal(t, tokenim.EventOrderPaid, d.EventType)
		assert.Equal(t, 1, d.AttemptCount)
		require.NotNil(t, d.LastResponseStatus)
		assert.Equal(t, http.StatusServiceUnavailable, *d.LastResponseStatus)
		assert.NotNil(t, d.NextAttemptAt)
		got, err := c.WebhookDeliveries.Get(ctx, we.ID, d.ID)
		require.NoError(t, err)
		assert.Equal(t, d.ID, got.ID)
		_, err = c.WebhookDeliveries.Get(ctx, other.ID, d.ID)
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code, "a delivery of another endpoint")

		pending, err := c.Events.List(ctx, &tokenim.EventListParams{PendingFor: we.ID})
		require.NoError(t, err)
		require.Len(t, pending.Data, 1)
		assert.Equal(t, d.EventID, pending.Data[0].ID)
		created := pending.Data[0].CreatedAt
		window, err := c.Events.List(ctx, &tokenim.EventListParams{CreatedGTE: &created, Type: tokenim.EventOrderPaid})
		require.NoError(t, err)
		assert.Equal(t, d.EventID, window.Data[0].ID)
		before, err := c.Events.List(ctx, &tokenim.EventListParams{CreatedLT: &created, PendingFor: we.ID})
		require.NoError(t, err)
		assert.Empty(t, before.Data)

		healthy.Store(true)
		resent, err := c.Events.Resend(ctx, d.EventID, &tokenim.EventResendParams{WebhookEndpoint: we.ID})
		require.NoError(t, err)
		assert.NotEqual(t, d.ID, resent.ID)
		assert.Equal(t, tokenim.DeliveryPending, resent.Status)
		require.NoError(t, e.sb.FlushDeliveries(ctx))
		done, err := c.WebhookDeliveries.Get(ctx, we.ID, resent.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.DeliverySucceeded, done.Status)
		pending, err = c.Events.List(ctx, &tokenim.EventListParams{PendingFor: we.ID})
		require.NoError(t, err)
		assert.Empty(t, pending.Data, "delivered by the resend")
		n := 0
		for dl, err := range c.WebhookDeliveries.All(ctx, we.ID, &tokenim.DeliveryListParams{EventID: d.EventID, ListParams: tokenim.ListParams{Limit: 1}}) {
			require.NoError(t, err)
			assert.Equal(t, d.EventID, dl.EventID)
			n++
		}
		assert.Equal(t, 2, n, "the first delivery and the resend")

		_, err = c.Events.Resend(ctx, d.EventID, &tokenim.EventResendParams{WebhookEndpoint: other.ID})
		assert.Equal(t, tokenim.CodeEndpointNotSubscribed, apiError(t, err).Code)
		_, err = c.Events.List(ctx, &tokenim.EventListParams{PendingFor: "we_doesnotexist"})
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code)
		for _, id := range []string{we.ID, other.ID} {
			_, err = c.WebhookEndpoints.Delete(ctx, id)
			require.NoError(t, err)
		}
	})

	t.Run("idempotency", func(t *testing.T) {
		params := &tokenim.OrderCreateParams{MerchantOrderID: "conf-idem", Amount: 300, Currency: "HKD"}
		var first, second tokenim.Response
		o1, err := c.Orders.Create(ctx, params, tokenim.WithIdempotencyKey("conf-key-1"), tokenim.WithResponse(&first))
		require.NoError(t, err)
		o2, err := c.Orders.Create(ctx, params, tokenim.WithIdempotencyKey("conf-key-1"), tokenim.WithResponse(&second))
		require.NoError(t, err)
		assert.Equal(t, o1.ID, o2.ID)
		assert.False(t, first.Replayed)
		assert.True(t, second.Replayed)

		// 422 idempotency_key_reused: same key, different body; not retried.
		_, err = c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "conf-idem-2", Amount: 300, Currency: "HKD"},
			tokenim.WithIdempotencyKey("conf-key-1"))
		apiErr := apiError(t, err)
		assert.Equal(t, http.StatusUnprocessableEntity, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeIdempotencyKeyReused, apiErr.Code)
		assert.ErrorIs(t, err, tokenim.ErrIdempotency)
		assert.False(t, tokenim.IsRetryable(err))
	})

	t.Run("400 from the server", func(t *testing.T) {
		// The SDK validates shapes locally, so a body the server rejects has
		// to be sent through the raw request path.
		cases := []struct {
			name  string
			body  any
			code  tokenim.ErrorCode
			param string
		}{
			{"unknown field", map[string]any{"merchant_order_id": "x", "amount": 1, "currency": "CNY", "colour": "red"}, tokenim.CodeParameterUnknown, "colour"},
			{"wrong type", map[string]any{"merchant_order_id": "x", "amount": "1", "currency": "CNY"}, tokenim.CodeInvalidRequest, "amount"},
			{"missing field", map[string]any{"merchant_order_id": "x", "currency": "CNY"}, tokenim.CodeInvalidRequest, "amount"},
			{"unsupported currency", map[string]any{"merchant_order_id": "x", "amount": 1, "currency": "XYZ"}, tokenim.CodeCurrencyUnsupported, "currency"},
			{"amount out of range", map[string]any{"merchant_order_id": "x", "amount": 0, "currency": "CNY"}, tokenim.CodeAmountInvalid, "amount"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req, err := e.raw.NewRequest(ctx, http.MethodPost, "/v1/orders", tc.body)
				require.NoError(t, err)
				res, err := e.raw.Do(req, nil)
				apiErr := apiError(t, err)
				require.NotNil(t, res)
				assert.Equal(t, http.StatusBadRequest, res.StatusCode)
				assert.Equal(t, tc.code, apiErr.Code)
				assert.Equal(t, tc.param, apiErr.Param)
				assert.ErrorIs(t, err, tokenim.ErrInvalidRequest)
			})
		}
		// A Luhn failure passes the SDK's shape check and is the platform's 400.
		o := newOrder(t, c, "conf-luhn", 100, "CNY")
		_, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card("4242424242424241")})
		apiErr := apiError(t, err)
		assert.Equal(t, tokenim.CodeInvalidCardNumber, apiErr.Code)
		assert.Equal(t, "method.card.number", apiErr.Param)
	})

	t.Run("balance and settlements", func(t *testing.T) {
		// docs/tokenim-api.md §9, through every balance and settlement
		// operation: the paid order's payment settles at the second 00:00
		// UTC after it, and its statement parses back into the transaction.
		bal, err := c.Balance.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, "balance", bal.Object)
		txns, err := c.BalanceTransactions.List(ctx, &tokenim.BalanceTransactionListParams{
			Type: tokenim.BalanceTransactionPayment, Source: paid.ID, CreatedLT: time.Now().Add(time.Hour),
		})
		require.NoError(t, err)
		require.Len(t, txns.Data, 1)
		txn := txns.Data[0]
		assert.Equal(t, paid.Fee, txn.Fee)
		assert.Equal(t, paid.Amount-paid.Fee, txn.Net)
		assert.Empty(t, txn.SettlementID)
		got, err := c.BalanceTransactions.Get(ctx, txn.ID)
		require.NoError(t, err)
		assert.Equal(t, txn, got)
		_, err = c.BalanceTransactions.Get(ctx, "txn_missing")
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code)
		var settled int64
		for st, err := range c.Settlements.All(ctx, nil) {
			require.NoError(t, err)
			if st.Currency == paid.Currency {
				settled += st.Amount
			}
		}
		assert.Equal(t, sumNets(t, c, paid.Currency), settled+bal.AvailableIn(paid.Currency)+bal.PendingIn(paid.Currency),
			"settlements + balance = every net (docs/tokenim-api.md §9)")

		e.sb.Advance(72 * time.Hour)
		page, err := c.Settlements.List(ctx, &tokenim.SettlementListParams{ListParams: tokenim.ListParams{Limit: 100}})
		require.NoError(t, err)
		require.NotEmpty(t, page.Data)
		var all []*tokenim.Settlement
		for s, err := range c.Settlements.All(ctx, nil) {
			require.NoError(t, err)
			all = append(all, s)
		}
		assert.Equal(t, page.Data, all)
		st := all[0]
		one, err := c.Settlements.Get(ctx, st.ID)
		require.NoError(t, err)
		assert.Equal(t, st, one)
		rep, err := c.Settlements.Report(ctx, st.ID)
		require.NoError(t, err)
		var sum, n int64
		for row, err := range rep.Rows() {
			require.NoError(t, err)
			sum += row.Net
			n++
			x, err := c.BalanceTransactions.Get(ctx, row.BalanceTransactionID)
			require.NoError(t, err)
			assert.Equal(t, st.ID, x.SettlementID)
			assert.Equal(t, []any{x.Amount, x.Fee, x.Net, x.Currency, x.CreatedAt.Unix()}, []any{row.Amount, row.Fee, row.Net, row.Currency, row.CreatedAt.Unix()})
		}
		assert.Equal(t, st.Amount, sum, "the net column sums to the settlement")
		assert.Equal(t, st.TransactionCount, n)
		_, err = c.Settlements.Report(ctx, "st_missing")
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code)
	})

	t.Run("authentication", func(t *testing.T) {
		// The second merchant comes from the Go API, not POST
		// /_sandbox/merchants, whose answer breaks the spec (see
		// TestContract_sandboxCreateMerchant).
		second := e.sb.AddMerchant()
		require.NotEmpty(t, second.ID)

		// 401 invalid_api_key.
		bad := e.newClient("sk_test_unknown_key_0000", merchantID, e.client)
		_, err := bad.Orders.List(ctx, nil)
		apiErr := apiError(t, err)
		assert.Equal(t, http.StatusUnauthorized, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeInvalidAPIKey, apiErr.Code)
		assert.ErrorIs(t, err, tokenim.ErrAuthentication)
		assert.NotContains(t, err.Error(), "sk_test_unknown_key_0000")

		// 403 merchant_mismatch: a real key with another merchant's id.
		mismatch := e.newClient(apiKey, second.ID, e.client)
		_, err = mismatch.Orders.List(ctx, nil)
		apiErr = apiError(t, err)
		assert.Equal(t, http.StatusForbidden, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeMerchantMismatch, apiErr.Code)
		assert.ErrorIs(t, err, tokenim.ErrPermission)

		// Merchants are isolated: another merchant's order is 404 to it.
		other := e.newClient(second.APIKey(), second.ID, e.client)
		_, err = other.Orders.Get(ctx, paidOrder.ID)
		assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code)

		// 403 account_restricted on writes; reads still work.
		e.control(http.MethodPost, "/_sandbox/merchants/"+second.ID+"/restrict", map[string]bool{"restricted": true}, nil)
		_, err = other.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "r-1", Amount: 100, Currency: "GBP"})
		assert.Equal(t, tokenim.CodeAccountRestricted, apiError(t, err).Code)
		_, err = other.Orders.List(ctx, nil)
		assert.NoError(t, err)
	})

	t.Run("api keys and request logs", func(t *testing.T) {
		// A merchant of its own, so that rolling its key leaves the other
		// subtests' key alone.
		m := e.sb.AddMerchant()
		var current atomic.Value
		current.Store(m.APIKey())
		kc := e.newClient("", m.ID, e.client, tokenim.WithAPIKeyFunc(func(context.Context) (string, error) {
			return current.Load().(string), nil
		}))
		keys, err := kc.APIKeys.List(ctx, nil)
		require.NoError(t, err)
		require.Len(t, keys.Data, 1)
		old := keys.Data[0]
		assert.Equal(t, tokenim.APIKeyActive, old.Status)
		assert.True(t, old.Secret.IsZero())
		got, err := kc.APIKeys.Get(ctx, old.ID)
		require.NoError(t, err)
		assert.Equal(t, old.ID, got.ID)

		var rolled tokenim.Response
		fresh, err := kc.APIKeys.Roll(ctx, old.ID, &tokenim.APIKeyRollParams{ExpireOldAfter: time.Hour}, tokenim.WithResponse(&rolled))
		require.NoError(t, err)
		assert.Equal(t, tokenim.APIKeyActive, fresh.Status)
		require.False(t, fresh.Secret.IsZero())
		// 409 api_key_not_active: the old key, now expiring, cannot roll.
		_, err = kc.APIKeys.Roll(ctx, fresh.ID, nil)
		apiErr := apiError(t, err)
		assert.Equal(t, tokenim.CodeAPIKeyNotActive, apiErr.Code)
		assert.Equal(t, old.ID, apiErr.APIKeyID)

		current.Store(fresh.Secret.Reveal())
		_, err = kc.APIKeys.Revoke(ctx, fresh.ID)
		assert.Equal(t, tokenim.CodeCannotRevokeCurrentKey, apiError(t, err).Code)
		revoked, err := kc.APIKeys.Revoke(ctx, old.ID)
		require.NoError(t, err)
		assert.Equal(t, tokenim.APIKeyRevoked, revoked.Status)
		oldClient := e.newClient(m.APIKey(), m.ID, e.client)
		_, err = oldClient.Orders.List(ctx, nil)
		assert.Equal(t, tokenim.CodeInvalidAPIKey, apiError(t, err).Code)

		// 401 api_key_expired once an expiring key's overlap ends.
		second, err := kc.APIKeys.Roll(ctx, fresh.ID, &tokenim.APIKeyRollParams{ExpireOldAfter: time.Minute})
		require.NoError(t, err)
		e.advance(time.Minute)
		_, err = kc.Orders.List(ctx, nil)
		apiErr = apiError(t, err)
		assert.Equal(t, tokenim.CodeAPIKeyExpired, apiErr.Code)
		assert.ErrorIs(t, err, tokenim.ErrAuthentication)
		current.Store(second.Secret.Reveal())

		logs, err := kc.RequestLogs.List(ctx, &tokenim.RequestLogListParams{Path: "/v1/api_keys", Method: "POST", Status: "2xx"})
		require.NoError(t, err)
		require.NotEmpty(t, logs.Data)
		l, err := kc.RequestLogs.Get(ctx, rolled.RequestID)
		require.NoError(t, err)
		assert.Equal(t, "/v1/api_keys/"+old.ID+"/roll", l.Path)
		assert.Equal(t, old.Last4, l.APIKeyLast4)
		assert.Empty(t, l.IdempotencyKey, "no idempotency key in the log of a /v1/api_keys call")
	})

	// Rate limit and maintenance change the whole sandbox: they run last.
	t.Run("429 rate limited", func(t *testing.T) {
		e.control(http.MethodPost, "/_sandbox/rate_limit", map[string]float64{"per_second": 1}, nil)
		defer e.control(http.MethodPost, "/_sandbox/rate_limit", map[string]float64{"per_second": 0}, nil)
		var limited *tokenim.Error
		for i := 0; i < 5 && limited == nil; i++ {
			if _, err := e.once.Orders.List(ctx, nil); err != nil {
				limited = apiError(t, err)
			}
		}
		require.NotNil(t, limited, "five calls at once against one request per second")
		assert.Equal(t, http.StatusTooManyRequests, limited.HTTPStatus)
		assert.Equal(t, tokenim.CodeRateLimited, limited.Code)
		assert.GreaterOrEqual(t, limited.RetryAfter, time.Second)
		assert.ErrorIs(t, limited, tokenim.ErrRateLimited)
		assert.True(t, tokenim.IsRetryable(limited))
	})

	t.Run("503 maintenance", func(t *testing.T) {
		e.control(http.MethodPost, "/_sandbox/maintenance", map[string]bool{"enabled": true}, nil)
		st, err := c.Status.Get(ctx)
		require.NoError(t, err, "status is never blocked by maintenance")
		assert.Equal(t, tokenim.PlatformMaintenance, st.Status)

		_, err = e.once.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "m-1", Amount: 100, Currency: "SGD"})
		apiErr := apiError(t, err)
		assert.Equal(t, http.StatusServiceUnavailable, apiErr.HTTPStatus)
		assert.Equal(t, tokenim.CodeServiceUnavailable, apiErr.Code)
		assert.ErrorIs(t, err, tokenim.ErrUnavailable)
		assert.Equal(t, 30*time.Second, apiErr.RetryAfter)

		e.control(http.MethodPost, "/_sandbox/maintenance", map[string]bool{"enabled": false}, nil)
		st, err = c.Status.Get(ctx)
		require.NoError(t, err)
		assert.Equal(t, tokenim.PlatformOperational, st.Status)
	})

	for _, rec := range []struct {
		name string
		r    interface{ Uncovered() []string }
	}{{"sandbox side", e.server}, {"client side", e.client}} {
		assert.Empty(t, rec.r.Uncovered(), "%s: /v1/ operations of api/openapi.yaml never exercised", rec.name)
	}
	assert.Empty(t, e.server.Failures())
	assert.Empty(t, e.client.Failures())
	assert.Empty(t, e.loose.Failures())
}

// sumNets is the sum of the nets of every balance transaction in currency.
func sumNets(t *testing.T, c *tokenim.Client, currency tokenim.Currency) int64 {
	t.Helper()
	var sum int64
	for x, err := range c.BalanceTransactions.All(context.Background(), nil) {
		require.NoError(t, err)
		if x.Currency == currency {
			sum += x.Net
		}
	}
	return sum
}

// newOrder creates an order or fails the test.
func newOrder(t *testing.T, c *tokenim.Client, ref string, amount int64, currency tokenim.Currency) *tokenim.Order {
	t.Helper()
	o, err := c.Orders.Create(context.Background(), &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: currency})
	require.NoError(t, err)
	return o
}
