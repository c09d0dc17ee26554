package tokenim

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// RefundsService manages refunds: money back to a payment's method.
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

// Refund returns money of a succeeded payment.
type Refund struct {
	ID          string            `json:"id"`
	Object      string            `json:"object"`
	PaymentID   string            `json:"payment_id"`
	OrderID     string            `json:"order_id"`
	Amount      int64             `json:"amount"`
	Currency    string            `json:"currency"`
	Reason      RefundReason      `json:"reason"`
	Status      RefundStatus      `json:"status"`
	FailureCode string            `json:"failure_code"`
	CreatedAt   time.Time         `json:"created_at"`
	SucceededAt *time.Time        `json:"succeeded_at"`
	Metadata    map[string]string `json:"metadata"`
}

// RefundCreateParams are the parameters of Refunds.Create.
type RefundCreateParams struct {
	PaymentID string `json:"payment_id"`
	// Amount in minor units; 0 refunds all that remains.
	Amount   int64             `json:"amount,omitempty"`
	Reason   RefundReason      `json:"reason,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

func (p *RefundCreateParams) validate() error {
	if err := requireParams(p, "params"); err != nil {
		return err
	}
	if err := validateID("payment_id", "pay_", p.PaymentID); err != nil {
		return err
	}
	if p.Amount != 0 {
		if err := validateAmount("amount", p.Amount); err != nil {
			return err
		}
	}
	return validateMetadata(p.Metadata)
}

// RefundListParams filter Refunds.List and Refunds.All.
type RefundListParams struct {
	ListParams
	PaymentID string `url:"payment_id,omitempty"`
}

func (p *RefundListParams) query() (url.Values, error) {
	if p == nil {
		return nil, nil
	}
	if err := p.ListParams.validate("re_"); err != nil {
		return nil, err
	}
	if p.PaymentID != "" {
		if err := validateID("payment_id", "pay_", p.PaymentID); err != nil {
			return nil, err
		}
	}
	return listQuery(p)
}

// Create refunds a succeeded payment, in full or in part.
// API: POST /v1/refunds
func (s *RefundsService) Create(ctx context.Context, params *RefundCreateParams, opts ...RequestOption) (*Refund, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	r := new(Refund)
	if err := s.client.call(ctx, http.MethodPost, "/v1/refunds", params, r, opts); err != nil {
		return nil, err
	}
	return r, nil
}

// Get retrieves a refund. API: GET /v1/refunds/{id}
func (s *RefundsService) Get(ctx context.Context, id string, opts ...RequestOption) (*Refund, error) {
	if err := validateID("id", "re_", id); err != nil {
		return nil, err
	}
	r := new(Refund)
	if err := s.client.call(ctx, http.MethodGet, "/v1/refunds/"+id, nil, r, opts); err != nil {
		return nil, err
	}
	return r, nil
}

// List returns one page of refunds, newest first. API: GET /v1/refunds
func (s *RefundsService) List(ctx context.Context, params *RefundListParams, opts ...RequestOption) (*List[Refund], error) {
	q, err := params.query()
	if err != nil {
		return nil, err
	}
	return listPage[Refund](ctx, s.client, "/v1/refunds", q, opts)
}

// All iterates over every refund matching params, fetching pages lazily.
// API: GET /v1/refunds
func (s *RefundsService) All(ctx context.Context, params *RefundListParams, opts ...RequestOption) iter.Seq2[*Refund, error] {
	q, err := params.query()
	return listAll(ctx, s.client, "/v1/refunds", q, err, func(r *Refund) string { return r.ID }, opts)
}
