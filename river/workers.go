package tokenimriver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/journal"
)

// Config is what the workers need.
type Config struct {
	// Client makes the calls, with its own API key (or key source); it is
	// never stored in a job.
	Client *tokenim.Client
	// OnOutcome, when set, is called once a job has its final outcome: the
	// call succeeded, or it failed for good (a decline, a validation error,
	// an outcome still unknown when the key's lifetime ran out). It runs in
	// the worker, before River marks the job; an error from it is logged by
	// River and the job is retried (its call then replays under the same
	// key), so it must be idempotent.
	OnOutcome func(ctx context.Context, o Outcome) error
	// KeyLifetime is how long after a job was inserted its key alone
	// protects a retry: the platform keeps a key 24 hours
	// (docs/tokenim-api.md §2). Default journal.IdempotencyWindow (23 h).
	// A payment or refund retried later is first looked up by the key it
	// carries in its metadata, and re-sent only when the key made nothing:
	// journal.RedrivePayment, the same code path as the journal's Resume.
	KeyLifetime time.Duration
	// Backoff is the wait before retry n (n counts from 1) of a call whose
	// outcome is unknown or that may succeed later; default River's own,
	// n⁴ seconds.
	Backoff func(attempt int) time.Duration
	// now is the clock (tests drive it).
	now func() time.Time
}

// DefaultKeyLifetime is Config.KeyLifetime's default.
const DefaultKeyLifetime = journal.IdempotencyWindow

// Outcome is what a money-moving job ended with, recorded as the job's
// River output (Job.Output) and handed to Config.OnOutcome.
type Outcome struct {
	Kind string `json:"kind"`
	// ObjectID is the payment, refund or dispute the call made or changed;
	// a declined payment's id too.
	ObjectID string `json:"object_id,omitempty"`
	// Status is the object's status after the call.
	Status string `json:"status,omitempty"`
	// OrderID is the order of a payment job.
	OrderID        string `json:"order_id,omitempty"`
	IdempotencyKey string `json:"idempotency_key"`
	// Code, DeclineCode and Message describe a failure: the platform's
	// error code (card_declined, amount_invalid, …) and its message.
	Code        string `json:"code,omitempty"`
	DeclineCode string `json:"decline_code,omitempty"`
	Message     string `json:"message,omitempty"`
}

// Succeeded reports whether the call succeeded.
func (o Outcome) Succeeded() bool { return o.Code == "" }

// OutcomeOf reads a finished job's Outcome from its River output. ok is
// false while the job has none (not worked yet, or retrying).
func OutcomeOf(job *rivertype.JobRow) (o Outcome, ok bool, err error) {
	out := job.Output()
	if len(out) == 0 {
		return Outcome{}, false, nil
	}
	if err := json.Unmarshal(out, &o); err != nil {
		return Outcome{}, false, fmt.Errorf("tokenimriver: job %d output is not an outcome: %w", job.ID, err)
	}
	return o, true, nil
}

// AddWorkers registers the workers of every job kind of this package.
func AddWorkers(workers *river.Workers, cfg Config) error {
	if cfg.Client == nil {
		return errors.New("tokenimriver: Config.Client is nil")
	}
	if cfg.KeyLifetime <= 0 {
		cfg.KeyLifetime = DefaultKeyLifetime
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.Backoff == nil {
		cfg.Backoff = func(n int) time.Duration {
			d := time.Duration(n)
			return d * d * d * d * time.Second
		}
	}
	w := &base{cfg: cfg}
	for _, err := range []error{
		river.AddWorkerSafely(workers, &paymentWorker{base: w}),
		river.AddWorkerSafely(workers, &refundWorker{base: w}),
		river.AddWorkerSafely(workers, &confirmWorker{base: w}),
		river.AddWorkerSafely(workers, &evidenceWorker{base: w}),
	} {
		if err != nil {
			return fmt.Errorf("tokenimriver: %w", err)
		}
	}
	return nil
}

// base holds what every worker shares: the outcome handling and the retry
// schedule.
type base struct{ cfg Config }

// finish turns a call's result into the job's end: nil (completed), an
// error River retries with the same key, or a cancel with the outcome.
func (b *base) finish(ctx context.Context, o Outcome, err error) error {
	if err != nil {
		if tokenim.IsRetryable(err) {
			return err // River retries at NextRetry, with the same key
		}
		var apiErr *tokenim.Error
		if errors.As(err, &apiErr) {
			o.Code, o.DeclineCode = string(apiErr.Code), string(apiErr.DeclineCode)
			if o.ObjectID == "" {
				o.ObjectID = apiErr.PaymentID
			}
		} else {
			o.Code = "invalid_request"
		}
		o.Message = err.Error()
		return b.end(ctx, o, river.JobCancel(err))
	}
	return b.end(ctx, o, nil)
}

// expired reports whether job's key alone no longer protects a retry.
func (b *base) expired(job *rivertype.JobRow) bool {
	return b.cfg.now().Sub(job.CreatedAt) >= b.cfg.KeyLifetime
}

// end records o and calls OnOutcome; ret is what the job returns.
func (b *base) end(ctx context.Context, o Outcome, ret error) error {
	if err := river.RecordOutput(ctx, o); err != nil {
		return err
	}
	if b.cfg.OnOutcome != nil {
		if err := b.cfg.OnOutcome(ctx, o); err != nil {
			return fmt.Errorf("tokenimriver: OnOutcome: %w", err)
		}
	}
	return ret
}

// nextRetry is Config.Backoff from now.
func (b *base) nextRetry(job *rivertype.JobRow) time.Time {
	return b.cfg.now().Add(b.cfg.Backoff(job.Attempt))
}

type paymentWorker struct {
	river.WorkerDefaults[PaymentCreateArgs]
	*base
}

func (w *paymentWorker) Work(ctx context.Context, job *river.Job[PaymentCreateArgs]) error {
	o := Outcome{Kind: KindPaymentCreate, OrderID: job.Args.OrderID, IdempotencyKey: job.Args.IdempotencyKey}
	p, err := job.Args.params()
	if err != nil {
		return w.finish(ctx, o, err)
	}
	pay, err := journal.RedrivePayment(ctx, w.cfg.Client, p, job.Args.IdempotencyKey, w.expired(job.JobRow))
	if pay != nil {
		o.ObjectID, o.Status = pay.ID, string(pay.Status)
	}
	return w.finish(ctx, o, err)
}

func (w *paymentWorker) NextRetry(job *river.Job[PaymentCreateArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}

type refundWorker struct {
	river.WorkerDefaults[RefundCreateArgs]
	*base
}

func (w *refundWorker) Work(ctx context.Context, job *river.Job[RefundCreateArgs]) error {
	a := job.Args
	o := Outcome{Kind: KindRefundCreate, IdempotencyKey: a.IdempotencyKey}
	re, err := journal.RedriveRefund(ctx, w.cfg.Client, &tokenim.RefundCreateParams{PaymentID: a.PaymentID, Amount: a.Amount,
		Remaining: a.Remaining, Reason: a.Reason, Metadata: a.Metadata}, a.IdempotencyKey, w.expired(job.JobRow))
	if re != nil {
		o.ObjectID, o.Status = re.ID, string(re.Status)
	}
	return w.finish(ctx, o, err)
}

func (w *refundWorker) NextRetry(job *river.Job[RefundCreateArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}

type confirmWorker struct {
	river.WorkerDefaults[PaymentConfirmArgs]
	*base
}

func (w *confirmWorker) Work(ctx context.Context, job *river.Job[PaymentConfirmArgs]) error {
	// A confirm re-sent after its key expired cannot move money twice:
	// the platform refuses to confirm a payment that no longer requires
	// action (409 payment_unexpected_state).
	o := Outcome{Kind: KindPaymentConfirm, ObjectID: job.Args.PaymentID, IdempotencyKey: job.Args.IdempotencyKey}
	pay, err := w.cfg.Client.Payments.Confirm(ctx, job.Args.PaymentID, &tokenim.PaymentConfirmParams{OTP: job.Args.OTP},
		tokenim.WithIdempotencyKey(job.Args.IdempotencyKey))
	if pay != nil {
		o.Status = string(pay.Status)
	}
	return w.finish(ctx, o, err)
}

func (w *confirmWorker) NextRetry(job *river.Job[PaymentConfirmArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}

type evidenceWorker struct {
	river.WorkerDefaults[DisputeEvidenceArgs]
	*base
}

func (w *evidenceWorker) Work(ctx context.Context, job *river.Job[DisputeEvidenceArgs]) error {
	// Evidence moves no money; a submission re-sent after its key expired
	// is refused by the dispute's state (409 dispute_not_open).
	o := Outcome{Kind: KindDisputeEvidence, ObjectID: job.Args.DisputeID, IdempotencyKey: job.Args.IdempotencyKey}
	call := w.cfg.Client.Disputes.UpdateEvidence
	if job.Args.Submit {
		call = w.cfg.Client.Disputes.SubmitEvidence
	}
	d, err := call(ctx, job.Args.DisputeID, &job.Args.Evidence, tokenim.WithIdempotencyKey(job.Args.IdempotencyKey))
	if d != nil {
		o.Status = string(d.Status)
	}
	return w.finish(ctx, o, err)
}

func (w *evidenceWorker) NextRetry(job *river.Job[DisputeEvidenceArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}
