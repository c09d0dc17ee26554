// Package tokenimtemporal makes tokenim-go's money-moving calls Temporal
// activities (go.temporal.io/sdk) that never charge twice: each call's
// idempotency key is derived from the workflow id and the activity id, which
// stay the same on every retry of the activity and on every replay of the
// workflow, so a retried activity re-sends the same key and the platform
// answers with what it already did.
//
// Activity inputs are stored in the workflow's history, so card data is
// refused (a non-retryable error): card numbers must never be stored. Take
// card payments with Payments.Create in the merchant's own request path.
//
// It is its own module, so the root package's import graph stays free of
// Temporal.
package tokenimtemporal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	tokenim "github.com/tokenim/tokenim-go"
)

// MaxScheduleToClose is the longest schedule-to-close timeout a money
// activity may have: the platform keeps an idempotency key 24 hours
// (docs/tokenim-api.md §2), and a retry after that could execute again.
const MaxScheduleToClose = 23 * time.Hour

// Error types of the non-retryable application errors these activities
// return (temporal.ApplicationError.Type()).
const (
	ErrTypeDeclined    = "tokenim.declined"
	ErrTypeRejected    = "tokenim.rejected"
	ErrTypeCard        = "tokenim.card_in_history"
	ErrTypeUnboundedTO = "tokenim.schedule_to_close"
)

// Key returns the idempotency key of the activity running in ctx:
// "tmp_" and the first 32 hex digits of SHA-256 over the namespace, the
// workflow id and the activity id. It is the same on every attempt of the
// activity and on every replay of its workflow (activity ids are
// deterministic), and differs between activities and between workflows.
// A workflow id names the business operation (checkout-ord_…), so a new run
// under the same id repeats that operation's keys: it cannot pay the order
// a second time.
func Key(ctx context.Context) string {
	info := activity.GetInfo(ctx)
	sum := sha256.Sum256([]byte(info.WorkflowNamespace + "\x00" + info.WorkflowExecution.ID + "\x00" + info.ActivityID))
	return "tmp_" + hex.EncodeToString(sum[:16])
}

// Activities are the money-moving calls as activities; register them with
// worker.RegisterActivity(&tokenimtemporal.Activities{Client: c}). Client
// holds the API key, which never enters the workflow's history.
type Activities struct {
	Client *tokenim.Client
}

// PaymentParams is a payment activity's input: what it stores in history.
// Method is a wallet or a bank transfer, never a card.
type PaymentParams struct {
	OrderID        string                    `json:"order_id"`
	Method         tokenim.PaymentMethodType `json:"method"`
	WalletProvider tokenim.WalletProvider    `json:"wallet_provider,omitempty"`
	Metadata       map[string]string         `json:"metadata,omitempty"`
}

// Result is what a money-moving activity returns: the object it made or
// changed, with its status, and the key it was sent with.
type Result struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	IdempotencyKey string `json:"idempotency_key"`
}

// CreatePayment is Payments.Create as an activity.
func (a *Activities) CreatePayment(ctx context.Context, p PaymentParams) (*Result, error) {
	if err := bounded(ctx); err != nil {
		return nil, err
	}
	params := &tokenim.PaymentCreateParams{OrderID: p.OrderID, Metadata: p.Metadata}
	switch p.Method {
	case tokenim.PaymentMethodTypeWallet:
		params.Method = tokenim.Wallet(p.WalletProvider)
	case tokenim.PaymentMethodTypeBankTransfer:
		params.Method = tokenim.BankTransfer()
	case tokenim.PaymentMethodTypeCard:
		return nil, temporal.NewNonRetryableApplicationError("tokenimtemporal: a card payment cannot be an activity: its input is stored in the workflow's history and card data must never be", ErrTypeCard, nil)
	default:
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("tokenimtemporal: payment method %q is not wallet or bank_transfer", p.Method), ErrTypeRejected, nil)
	}
	key := Key(ctx)
	pay, err := a.Client.Payments.Create(ctx, params, tokenim.WithIdempotencyKey(key))
	if err != nil {
		return nil, classify(err)
	}
	return &Result{ID: pay.ID, Status: string(pay.Status), IdempotencyKey: key}, nil
}

// RefundParams is a refund activity's input.
type RefundParams struct {
	PaymentID string               `json:"payment_id"`
	Amount    int64                `json:"amount,omitempty"`
	Remaining bool                 `json:"remaining,omitempty"`
	Reason    tokenim.RefundReason `json:"reason,omitempty"`
	Metadata  map[string]string    `json:"metadata,omitempty"`
}

// CreateRefund is Refunds.Create as an activity.
func (a *Activities) CreateRefund(ctx context.Context, p RefundParams) (*Result, error) {
	if err := bounded(ctx); err != nil {
		return nil, err
	}
	key := Key(ctx)
	re, err := a.Client.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: p.PaymentID, Amount: p.Amount,
		Remaining: p.Remaining, Reason: p.Reason, Metadata: p.Metadata}, tokenim.WithIdempotencyKey(key))
	if err != nil {
		return nil, classify(err)
	}
	return &Result{ID: re.ID, Status: string(re.Status), IdempotencyKey: key}, nil
}

// bounded refuses to run a money activity whose retries could outlive its
// key: it needs a schedule-to-close timeout of at most MaxScheduleToClose.
func bounded(ctx context.Context) error {
	d := activity.GetInfo(ctx).ScheduleToCloseTimeout
	if d <= 0 || d > MaxScheduleToClose {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"tokenimtemporal: set the activity's ScheduleToCloseTimeout to at most %s (it is %s): the platform keeps an idempotency key 24 hours, and a retry after that could charge again", MaxScheduleToClose, d), ErrTypeUnboundedTO, nil)
	}
	return nil
}

// classify keeps an error Temporal may retry (an unknown outcome, a 5xx,
// a rate limit: the retry re-sends the same key) and makes a decline or a
// rejection non-retryable.
func classify(err error) error {
	if tokenim.IsRetryable(err) {
		return err
	}
	typ := ErrTypeRejected
	if tokenim.IsDeclined(err) {
		typ = ErrTypeDeclined
	}
	var apiErr *tokenim.Error
	if errors.As(err, &apiErr) {
		return temporal.NewNonRetryableApplicationError(err.Error(), typ, err, string(apiErr.Code), apiErr.PaymentID)
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
}
