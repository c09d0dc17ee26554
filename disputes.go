package tokenim

import (
	"cmp"
	"context"
	"iter"
	"net/http"
	"slices"
	"sync"
	"time"
)

// DisputesService answers disputes: a customer challenged a card payment
// with their bank, and the merchant must send evidence before
// EvidenceDueBy or lose the money (docs/tokenim-api.md §8).
// API: /v1/disputes
type DisputesService service

// DisputeStatus is the state of a dispute.
type DisputeStatus string

// Dispute states: needs_response → under_review → won | lost; needs_response
// → lost when accepted or when EvidenceDueBy passes.
const (
	DisputeStatusNeedsResponse DisputeStatus = "needs_response"
	DisputeStatusUnderReview   DisputeStatus = "under_review"
	DisputeStatusWon           DisputeStatus = "won"
	DisputeStatusLost          DisputeStatus = "lost"
)

// Open reports whether the dispute still awaits an outcome (needs_response
// or under_review); a payment with an open dispute cannot be refunded.
func (s DisputeStatus) Open() bool {
	return s == DisputeStatusNeedsResponse || s == DisputeStatusUnderReview
}

// DisputeReason is why the customer disputed the payment.
type DisputeReason string

// Dispute reasons.
const (
	DisputeReasonFraudulent         DisputeReason = "fraudulent"
	DisputeReasonProductNotReceived DisputeReason = "product_not_received"
	DisputeReasonDuplicate          DisputeReason = "duplicate"
	DisputeReasonUnrecognized       DisputeReason = "unrecognized"
	DisputeReasonOther              DisputeReason = "other"
)

// MaxEvidenceLength is the most characters (not bytes) an evidence field
// may hold (docs/tokenim-api.md §8).
const MaxEvidenceLength = 20000

// DisputeEvidence is what the merchant sends the bank. When staging, an
// empty field is not sent and keeps its staged value; read back, an empty
// field was never staged.
type DisputeEvidence struct {
	ProductDescription     string `json:"product_description,omitempty"`
	CustomerCommunication  string `json:"customer_communication,omitempty"`
	ShippingTrackingNumber string `json:"shipping_tracking_number,omitempty"`
	RefundPolicy           string `json:"refund_policy,omitempty"`
	UncategorizedText      string `json:"uncategorized_text,omitempty"`
}

func (e *DisputeEvidence) validate() error {
	if e == nil {
		return nil
	}
	for _, f := range []struct{ name, text string }{
		{"evidence.product_description", e.ProductDescription},
		{"evidence.customer_communication", e.CustomerCommunication},
		{"evidence.shipping_tracking_number", e.ShippingTrackingNumber},
		{"evidence.refund_policy", e.RefundPolicy},
		{"evidence.uncategorized_text", e.UncategorizedText},
	} {
		if err := validateMaxLen(f.name, f.text, MaxEvidenceLength); err != nil {
			return err
		}
	}
	return nil
}

// Dispute is a customer's challenge of a succeeded card payment.
type Dispute struct {
	ID        string `json:"id"`
	Object    string `json:"object"`
	PaymentID string `json:"payment_id"`
	OrderID   string `json:"order_id"`
	// Amount is the disputed money: the payment's amount minus its
	// non-failed refunds when the dispute opened. It is withdrawn from the
	// balance with Fee, and comes back (without Fee) only if won.
	Amount   int64    `json:"amount"`
	Currency Currency `json:"currency"`
	// Fee is 1500 minor units of Currency, kept also when the dispute is won.
	Fee           int64           `json:"fee"`
	Reason        DisputeReason   `json:"reason"`
	Status        DisputeStatus   `json:"status"`
	Evidence      DisputeEvidence `json:"evidence"`
	EvidenceDueBy time.Time       `json:"evidence_due_by"`
	SubmittedAt   *time.Time      `json:"submitted_at"`
	CreatedAt     time.Time       `json:"created_at"`
	ClosedAt      *time.Time      `json:"closed_at"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// disputeEvidenceParams is the body of POST /v1/disputes/{id}/evidence.
type disputeEvidenceParams struct {
	Evidence *DisputeEvidence `json:"evidence,omitempty"`
	Submit   bool             `json:"submit,omitempty"`
}

// DisputeListParams filter Disputes.List and Disputes.All. API: GET /v1/disputes
type DisputeListParams struct {
	ListParams
	Status    DisputeStatus `url:"status,omitempty"`
	PaymentID string        `url:"payment_id,omitempty"`
}

func (p *DisputeListParams) validateFilters() error {
	return validateIDFilter("payment_id", "pay_", p.PaymentID)
}

var disputesList = newLister[DisputeListParams](endpoint{"Disputes.List", http.MethodGet, "/v1/disputes", "dp_", false}, func(d *Dispute) string { return d.ID })

var disputeEvidenceEndpoint = endpoint{"Disputes.Evidence", http.MethodPost, "/v1/disputes/{id}/evidence", "dp_", false}

// Get retrieves a dispute. API: GET /v1/disputes/{id}
func (s *DisputesService) Get(ctx context.Context, id string, opts ...RequestOption) (*Dispute, error) {
	return fetch[Dispute](ctx, s.client, endpoint{"Disputes.Get", http.MethodGet, "/v1/disputes/{id}", "dp_", false}, id, nil, opts)
}

// List returns one page of disputes, newest first. API: GET /v1/disputes
func (s *DisputesService) List(ctx context.Context, params *DisputeListParams, opts ...RequestOption) (*List[Dispute], error) {
	return disputesList.page(ctx, s.client, params, opts)
}

// All iterates over every dispute matching params, fetching pages lazily.
// API: GET /v1/disputes
func (s *DisputesService) All(ctx context.Context, params *DisputeListParams, opts ...RequestOption) iter.Seq2[*Dispute, error] {
	return disputesList.all(ctx, s.client, params, opts)
}

// UpdateEvidence stages evidence without submitting it: each non-empty field
// replaces its staged value, the others stay. Stage as facts arrive, then
// call SubmitEvidence before EvidenceDueBy.
// API: POST /v1/disputes/{id}/evidence
//
// The value is the *Dispute with its staged evidence, still needs_response.
// Errors:
//   - the dispute no longer needs a response (submitted, accepted, or its
//     deadline passed): an *Error matching ErrConflict with Code
//     dispute_not_open and DisputeID set.
//   - a field longer than MaxEvidenceLength characters: *ValidationError
//     naming it, nothing sent.
//   - a lost answer: *UnknownOutcomeError; staging again is harmless.
func (s *DisputesService) UpdateEvidence(ctx context.Context, id string, evidence *DisputeEvidence, opts ...RequestOption) (*Dispute, error) {
	if err := cmp.Or(validateID("id", "dp_", id), requireParams(evidence, "evidence"), evidence.validate()); err != nil {
		return nil, err
	}
	return fetch[Dispute](ctx, s.client, disputeEvidenceEndpoint, id, &disputeEvidenceParams{Evidence: evidence}, opts)
}

// SubmitEvidence stages the non-empty fields of evidence (nil: none) and
// submits everything staged for review; it can succeed once per dispute.
// The bank decides later: the dispute.closed event (or Get) shows won or
// lost. API: POST /v1/disputes/{id}/evidence
//
// The value is the *Dispute, now under_review. Errors:
//   - the dispute no longer needs a response (already submitted, accepted, or
//     EvidenceDueBy passed — the money is then lost): an *Error matching
//     ErrConflict with Code dispute_not_open and DisputeID set.
//   - a field longer than MaxEvidenceLength characters: *ValidationError
//     naming it, nothing sent.
//   - a lost answer: *UnknownOutcomeError; repeat with
//     WithIdempotencyKey(uo.IdempotencyKey) to learn whether it was
//     submitted — a new key would answer dispute_not_open after a success.
func (s *DisputesService) SubmitEvidence(ctx context.Context, id string, evidence *DisputeEvidence, opts ...RequestOption) (*Dispute, error) {
	if err := cmp.Or(validateID("id", "dp_", id), evidence.validate()); err != nil {
		return nil, err
	}
	return fetch[Dispute](ctx, s.client, disputeEvidenceEndpoint, id, &disputeEvidenceParams{Evidence: evidence, Submit: true}, opts)
}

// Accept concedes the dispute: it is lost at once and its amount and fee
// stay withdrawn. API: POST /v1/disputes/{id}/accept
//
// The value is the lost *Dispute. A dispute that no longer needs a response
// is an *Error matching ErrConflict with Code dispute_not_open; a lost
// answer is an *UnknownOutcomeError (repeat with its idempotency key).
func (s *DisputesService) Accept(ctx context.Context, id string, opts ...RequestOption) (*Dispute, error) {
	return fetch[Dispute](ctx, s.client, endpoint{"Disputes.Accept", http.MethodPost, "/v1/disputes/{id}/accept", "dp_", false}, id, nil, opts)
}

// DisputeDeadline is a dispute that still needs a response and the time
// left to answer it.
type DisputeDeadline struct {
	Dispute *Dispute
	// Left is EvidenceDueBy minus the time asked about; always > 0.
	Left time.Duration
}

// DisputeDeadlines tracks which disputes still need a response, fed from
// webhook events (Observe) or a list (Add). It is safe for concurrent use,
// so every webhook handler goroutine can feed one. Events arrive at least
// once and unordered: a snapshot never moves a dispute back to an earlier
// status, so a late dispute.created cannot revive an answered dispute.
type DisputeDeadlines struct {
	mu    sync.Mutex
	known map[string]*Dispute
}

// disputeRank orders statuses so that later snapshots win.
func disputeRank(s DisputeStatus) int {
	switch s {
	case DisputeStatusNeedsResponse:
		return 0
	case DisputeStatusUnderReview:
		return 1
	}
	return 2
}

// Add records a dispute snapshot.
func (dl *DisputeDeadlines) Add(d *Dispute) {
	if d == nil || d.ID == "" {
		return
	}
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if dl.known == nil {
		dl.known = map[string]*Dispute{}
	}
	if old := dl.known[d.ID]; old == nil || disputeRank(d.Status) > disputeRank(old.Status) {
		dl.known[d.ID] = d
	}
}

// Observe records the dispute of a dispute.* event; other events are
// ignored. The error is a dispute event whose snapshot does not decode.
func (dl *DisputeDeadlines) Observe(ev *Event) error {
	if ev == nil || len(ev.Type) < len("dispute.") || ev.Type[:len("dispute.")] != "dispute." {
		return nil
	}
	d, err := ev.Dispute()
	if err != nil {
		return err
	}
	dl.Add(d)
	return nil
}

// Due returns the disputes still needing a response with time left at now,
// the most urgent first (by EvidenceDueBy, then id).
func (dl *DisputeDeadlines) Due(now time.Time) []DisputeDeadline {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	var out []DisputeDeadline
	for _, d := range dl.known {
		if left := d.EvidenceDueBy.Sub(now); d.Status == DisputeStatusNeedsResponse && left > 0 {
			out = append(out, DisputeDeadline{Dispute: d, Left: left})
		}
	}
	slices.SortFunc(out, func(a, b DisputeDeadline) int {
		return cmp.Or(a.Dispute.EvidenceDueBy.Compare(b.Dispute.EvidenceDueBy), cmp.Compare(a.Dispute.ID, b.Dispute.ID))
	})
	return out
}

// NeedingResponse lists the disputes that still need a response and have
// time left at now, the most urgent first: the merchant's to-do list, where
// missing a deadline loses the money. Pass the platform's notion of now
// (time.Now() in production, the sandbox clock in tests).
// API: GET /v1/disputes?status=needs_response
func (s *DisputesService) NeedingResponse(ctx context.Context, now time.Time, opts ...RequestOption) ([]DisputeDeadline, error) {
	var dl DisputeDeadlines
	for d, err := range s.All(ctx, &DisputeListParams{Status: DisputeStatusNeedsResponse, ListParams: ListParams{Limit: 100}}, opts...) {
		if err != nil {
			return nil, err
		}
		dl.Add(d)
	}
	return dl.Due(now), nil
}
