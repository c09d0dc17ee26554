package tokenimriver

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	tokenim "github.com/tokenim/tokenim-go"
)

// InsertPaymentTx inserts a payment job in the merchant's transaction tx:
// the order row the merchant saved in tx and the job commit together or not
// at all. The args are checked first (PaymentArgs: card payments are
// refused with ErrCardInJob), and a second job for the same order is not
// inserted (res.UniqueSkippedAsDuplicate, res.Job the existing one).
//
// rc may be an insert-only River client (no queues, no workers).
func InsertPaymentTx[TTx any](ctx context.Context, rc *river.Client[TTx], tx TTx, p *tokenim.PaymentCreateParams, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	args, err := PaymentArgs(p)
	if err != nil {
		return nil, err
	}
	return rc.InsertTx(ctx, tx, args, opts)
}

// InsertRefundTx inserts a refund job named reference in tx (see
// RefundArgs): one refund per payment and reference.
func InsertRefundTx[TTx any](ctx context.Context, rc *river.Client[TTx], tx TTx, reference string, p *tokenim.RefundCreateParams, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	args, err := RefundArgs(reference, p)
	if err != nil {
		return nil, err
	}
	return rc.InsertTx(ctx, tx, args, opts)
}

// InsertConfirmTx inserts a payment confirm job in tx.
func InsertConfirmTx[TTx any](ctx context.Context, rc *river.Client[TTx], tx TTx, paymentID string, p *tokenim.PaymentConfirmParams, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if p == nil {
		p = &tokenim.PaymentConfirmParams{}
	}
	return rc.InsertTx(ctx, tx, PaymentConfirmArgs{PaymentID: paymentID, OTP: p.OTP, IdempotencyKey: NewIdempotencyKey()}, opts)
}

// InsertEvidenceTx inserts a dispute evidence job in tx: staged, or
// submitted when submit is true.
func InsertEvidenceTx[TTx any](ctx context.Context, rc *river.Client[TTx], tx TTx, disputeID string, e *tokenim.DisputeEvidence, submit bool, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	var ev tokenim.DisputeEvidence
	if e != nil {
		ev = *e
	}
	return rc.InsertTx(ctx, tx, DisputeEvidenceArgs{DisputeID: disputeID, Evidence: ev, Submit: submit, IdempotencyKey: NewIdempotencyKey()}, opts)
}
