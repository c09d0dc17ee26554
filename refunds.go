package tokenim

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// RefundsService manages refunds: money back to a payment's method.
// API: /v1/refunds
type RefundsService service

// RefundStatus is the state of a refund.
type RefundStatus string

// Refund states: pending → succeeded | failed.
const (
	RefundStatusPending   RefundStatus = "pending"
	RefundStatusSucceeded RefundStatus = "succeeded"
	RefundStatusFailed    RefundStatus = "failed"
)

// RefundReason says why money is returned.
type RefundReason string

// Refund reasons.
const (
	RefundReasonRequestedByCustomer RefundReason = "requested_by_customer"
	RefundReasonDuplicate           RefundReason = "duplicate"
	RefundReasonFraudulent          RefundReason = "fraudulent"
	RefundReasonOther               RefundReason = "other"
)

// RefundFailureCode says why a refund failed.
type RefundFailureCode string

// RefundFailureDeclined is the code of a refund that was declined; its money
// was not returned.
const RefundFailureDeclined RefundFailureCode = "refund_declined"

// Refund returns money of a succeeded payment.
type Refund struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	PaymentID   string            `json:"payment_id"`
	OrderID     string            `json:"order_id"`
	Amount      int64             `json:"amount"`
	Currency    Currency          `json:"currency"`
	Reason      RefundReason      `json:"reason"`
	Status      RefundStatus      `json:"status"`
	FailureCode RefundFailureCode `json:"failure_code"`
	CreatedAt   time.Time         `json:"created_at"`
	SucceededAt *time.Time        `json:"succeeded_at"`
	Metadata    map[string]string `json:"metadata"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// RefundCreateParams are the parameters of Refunds.Create. Set exactly one
// of Amount and Remaining:
//
//	&tokenim.RefundCreateParams{PaymentID: id, Amount: 500}      // refund 5.00
//	&tokenim.RefundCreateParams{PaymentID: id, Remaining: true}  // refund all that is left
//
// An Amount of 0 without Remaining is a *ValidationError, so a computed
// amount that came out as zero never refunds everything.
// API: POST /v1/refunds
type RefundCreateParams struct {
	PaymentID string `json:"payment_id"`
	// Amount to refund in minor units, 1…99 999 999 999.
	Amount int64 `json:"amount,omitempty"`
	// Remaining refunds all of the payment that is not refunded yet (the
	// platform's default when no amount is sent). Amount must then be 0.
	Remaining bool              `json:"-"`
	Reason    RefundReason      `json:"reason,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

func (p *RefundCreateParams) validate() error {
	if err := requireParams(p, "params"); err != nil {
		return err
	}
	if err := validateID("payment_id", "pay_", p.PaymentID); err != nil {
		return err
	}
	switch {
	case p.Remaining && p.Amount != 0:
		return invalid("amount", "must be 0 when Remaining is set (Remaining refunds all that is left), got %d", p.Amount)
	case p.Remaining:
	case p.Amount == 0:
		return invalid("amount", "is 0: give an amount of 1-99999999999 minor units, or set Remaining to refund all that is left")
	default:
		if err := validateAmount("amount", p.Amount); err != nil {
			return err
		}
	}
	return validateMetadata(p.Metadata)
}

// RefundListParams filter Refunds.List and Refunds.All. API: GET /v1/refunds
type RefundListParams struct {
	ListParams
	PaymentID string `url:"payment_id,omitempty"`
}

func (p *RefundListParams) validateFilters() error {
	return validateIDFilter("payment_id", "pay_", p.PaymentID)
}

var refundsList = newLister[RefundListParams](endpoint{"Refunds.List", http.MethodGet, "/v1/refunds", "re_", false}, func(r *Refund) string { return r.ID })

// Create refunds a succeeded payment, in part (Amount) or all that remains
// (Remaining). API: POST /v1/refunds
//
// The returned *Refund is pending: it settles later (refund.succeeded or
// refund.failed events; Get shows its status). Errors:
//   - the payment cannot be refunded: an *Error matching ErrConflict with Code
//     payment_not_refundable (not succeeded), refund_exceeds_remaining (more
//     than is left), refund_window_expired (180 days passed) or
//     payment_disputed (a dispute is open or was lost; DisputeID names it);
//     test with errors.As(err, &apiErr) and apiErr.Code.
//   - an unknown payment: an *Error matching ErrNotFound.
//   - a lost answer: *UnknownOutcomeError (errors.Is(err, ErrUnknownOutcome));
//     repeat with WithIdempotencyKey(uo.IdempotencyKey), never with a new
//     key, or the money may go back twice.
//   - neither or both of Amount and Remaining: *ValidationError, nothing sent.
func (s *RefundsService) Create(ctx context.Context, params *RefundCreateParams, opts ...RequestOption) (*Refund, error) {
	return create[Refund](ctx, s.client, endpoint{"Refunds.Create", http.MethodPost, "/v1/refunds", "", false}, params, opts)
}

// Get retrieves a refund. API: GET /v1/refunds/{id}
func (s *RefundsService) Get(ctx context.Context, id string, opts ...RequestOption) (*Refund, error) {
	return fetch[Refund](ctx, s.client, endpoint{"Refunds.Get", http.MethodGet, "/v1/refunds/{id}", "re_", false}, id, nil, opts)
}

// List returns one page of refunds, newest first. API: GET /v1/refunds
func (s *RefundsService) List(ctx context.Context, params *RefundListParams, opts ...RequestOption) (*List[Refund], error) {
	return refundsList.page(ctx, s.client, params, opts)
}

// All iterates over every refund matching params, fetching pages lazily.
// API: GET /v1/refunds
func (s *RefundsService) All(ctx context.Context, params *RefundListParams, opts ...RequestOption) iter.Seq2[*Refund, error] {
	return refundsList.all(ctx, s.client, params, opts)
}
