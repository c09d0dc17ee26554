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
	// KeyLifetime bounds how long after a job was inserted its retries may
	// re-drive the call with its key: the platform keeps a key 24 hours
	// (docs/tokenim-api.md §2), after which the same key could execute
	// again. Default 23 h. When it has passed and the outcome is still
	// unknown, the job is cancelled with Outcome.Unknown set, never re-sent.
	KeyLifetime time.Duration
	// Backoff is the wait before retry n (n counts from 1) of a call whose
	// outcome is unknown or that may succeed later; default River's own,
	// n⁴ seconds. Retries never go past KeyLifetime.
	Backoff func(attempt int) time.Duration
	// now is the clock (tests drive it).
	now func() time.Time
}

// DefaultKeyLifetime is Config.KeyLifetime's default.
const DefaultKeyLifetime = 23 * time.Hour

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
	// Unknown is set when the key's lifetime passed with the outcome still
	// unknown: the merchant must look the object up (Payments.List by
	// order) before doing anything else.
	Unknown bool `json:"unknown,omitempty"`
}

// Succeeded reports whether the call succeeded.
func (o Outcome) Succeeded() bool { return o.Code == "" && !o.Unknown }

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
func (b *base) finish(ctx context.Context, job *rivertype.JobRow, o Outcome, err error) error {
	if err != nil {
		if tokenim.IsRetryable(err) {
			if b.cfg.now().Sub(job.CreatedAt) < b.cfg.KeyLifetime {
				return err // River retries at NextRetry, with the same key
			}
			o.Unknown, o.Message = true, err.Error()
			return b.end(ctx, o, river.JobCancel(fmt.Errorf("tokenimriver: outcome still unknown after the idempotency key's lifetime; look %s up before acting: %w", describe(o), err)))
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

func describe(o Outcome) string {
	if o.OrderID != "" {
		return "order " + o.OrderID + "'s payments"
	}
	return o.Kind + " " + o.ObjectID
}

// nextRetry is Config.Backoff cut so that no retry falls after the key's
// lifetime: the last one is made just before it ends.
func (b *base) nextRetry(job *rivertype.JobRow) time.Time {
	now := b.cfg.now()
	next := now.Add(b.cfg.Backoff(job.Attempt))
	if last := job.CreatedAt.Add(b.cfg.KeyLifetime - time.Minute); next.After(last) {
		if now.Before(last) {
			return last
		}
		return now // lifetime over: the next attempt cancels instead of calling
	}
	return next
}

type paymentWorker struct {
	river.WorkerDefaults[PaymentCreateArgs]
	*base
}

func (w *paymentWorker) Work(ctx context.Context, job *river.Job[PaymentCreateArgs]) error {
	o := Outcome{Kind: KindPaymentCreate, OrderID: job.Args.OrderID, IdempotencyKey: job.Args.IdempotencyKey}
	if w.cfg.now().Sub(job.CreatedAt) >= w.cfg.KeyLifetime && job.Attempt > 1 {
		return w.finish(ctx, job.JobRow, o, &lifetimeOver{})
	}
	p, err := job.Args.params()
	if err != nil {
		return w.finish(ctx, job.JobRow, o, err)
	}
	pay, err := w.cfg.Client.Payments.Create(ctx, p, tokenim.WithIdempotencyKey(job.Args.IdempotencyKey))
	if pay != nil {
		o.ObjectID, o.Status = pay.ID, string(pay.Status)
	}
	return w.finish(ctx, job.JobRow, o, err)
}

func (w *paymentWorker) NextRetry(job *river.Job[PaymentCreateArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}

type refundWorker struct {
	river.WorkerDefaults[RefundCreateArgs]
	*base
}

func (w *refundWorker) Work(ctx context.Context, job *river.Job[RefundCreateArgs]) error {
	o := Outcome{Kind: KindRefundCreate, IdempotencyKey: job.Args.IdempotencyKey}
	if w.cfg.now().Sub(job.CreatedAt) >= w.cfg.KeyLifetime && job.Attempt > 1 {
		o.ObjectID = job.Args.PaymentID
		return w.finish(ctx, job.JobRow, o, &lifetimeOver{})
	}
	a := job.Args
	re, err := w.cfg.Client.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: a.PaymentID, Amount: a.Amount,
		Remaining: a.Remaining, Reason: a.Reason, Metadata: a.Metadata}, tokenim.WithIdempotencyKey(a.IdempotencyKey))
	if re != nil {
		o.ObjectID, o.Status = re.ID, string(re.Status)
	}
	return w.finish(ctx, job.JobRow, o, err)
}

func (w *refundWorker) NextRetry(job *river.Job[RefundCreateArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}

type confirmWorker struct {
	river.WorkerDefaults[PaymentConfirmArgs]
	*base
}

func (w *confirmWorker) Work(ctx context.Context, job *river.Job[PaymentConfirmArgs]) error {
	o := Outcome{Kind: KindPaymentConfirm, ObjectID: job.Args.PaymentID, IdempotencyKey: job.Args.IdempotencyKey}
	if w.cfg.now().Sub(job.CreatedAt) >= w.cfg.KeyLifetime && job.Attempt > 1 {
		return w.finish(ctx, job.JobRow, o, &lifetimeOver{})
	}
	pay, err := w.cfg.Client.Payments.Confirm(ctx, job.Args.PaymentID, &tokenim.PaymentConfirmParams{OTP: job.Args.OTP},
		tokenim.WithIdempotencyKey(job.Args.IdempotencyKey))
	if pay != nil {
		o.Status = string(pay.Status)
	}
	return w.finish(ctx, job.JobRow, o, err)
}

func (w *confirmWorker) NextRetry(job *river.Job[PaymentConfirmArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}

type evidenceWorker struct {
	river.WorkerDefaults[DisputeEvidenceArgs]
	*base
}

func (w *evidenceWorker) Work(ctx context.Context, job *river.Job[DisputeEvidenceArgs]) error {
	o := Outcome{Kind: KindDisputeEvidence, ObjectID: job.Args.DisputeID, IdempotencyKey: job.Args.IdempotencyKey}
	if w.cfg.now().Sub(job.CreatedAt) >= w.cfg.KeyLifetime && job.Attempt > 1 {
		return w.finish(ctx, job.JobRow, o, &lifetimeOver{})
	}
	call := w.cfg.Client.Disputes.UpdateEvidence
	if job.Args.Submit {
		call = w.cfg.Client.Disputes.SubmitEvidence
	}
	d, err := call(ctx, job.Args.DisputeID, &job.Args.Evidence, tokenim.WithIdempotencyKey(job.Args.IdempotencyKey))
	if d != nil {
		o.Status = string(d.Status)
	}
	return w.finish(ctx, job.JobRow, o, err)
}

func (w *evidenceWorker) NextRetry(job *river.Job[DisputeEvidenceArgs]) time.Time {
	return w.nextRetry(job.JobRow)
}

// lifetimeOver stands for "the last attempt's outcome is unknown and the key
// may no longer be re-sent": retryable, so finish cancels with Unknown set.
type lifetimeOver struct{}

func (*lifetimeOver) Error() string {
	return "the previous attempt's outcome is unknown and the idempotency key's lifetime has passed"
}

// Timeout makes lifetimeOver retryable for tokenim.IsRetryable.
func (*lifetimeOver) Timeout() bool { return true }
