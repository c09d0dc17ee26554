package tokenim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// DefaultWebhookMaxBodyBytes is the largest body WebhookHandler reads; the
// platform never sends more (events are small snapshots).
const DefaultWebhookMaxBodyBytes int64 = 1 << 20

// WebhookHandlerOption configures a WebhookHandler. Like every option of
// this package it is a function on a config that reports a bad value as an
// error from the constructor.
type WebhookHandlerOption func(*webhookHandlerConfig) error

type webhookHandlerConfig struct {
	maxBody  int64
	store    WebhookIDStore
	logger   *slog.Logger
	observer WebhookObserver
}

// WithWebhookMaxBodyBytes sets the largest body the handler reads (default
// DefaultWebhookMaxBodyBytes); a larger one is answered 413.
func WithWebhookMaxBodyBytes(n int64) WebhookHandlerOption {
	return func(c *webhookHandlerConfig) error {
		if n <= 0 {
			return fmt.Errorf("tokenim: webhook max body bytes must be positive, got %d", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithWebhookIDStore sets where the handler records the webhook-ids it has
// handled (default: a new MemoryWebhookIDStore). Use a shared store when
// several processes receive webhooks for one endpoint.
func WithWebhookIDStore(s WebhookIDStore) WebhookHandlerOption {
	return func(c *webhookHandlerConfig) error {
		if s == nil {
			return errors.New("tokenim: webhook id store must not be nil")
		}
		c.store = s
		return nil
	}
}

// WithWebhookLogger makes the handler log why it rejected or failed a
// delivery (default: no logging). Log lines never contain a secret or a
// signature.
func WithWebhookLogger(l *slog.Logger) WebhookHandlerOption {
	return func(c *webhookHandlerConfig) error {
		c.logger = l
		return nil
	}
}

// WebhookHandler is an http.Handler that receives Tokenim webhooks: it
// checks the method and body size, verifies the signature with its
// WebhookVerifier, suppresses duplicate deliveries by webhook-id and calls
// the merchant's function once per event. It answers:
//
//   - 200 when fn succeeded, or the event was already handled;
//   - 400 when verification or decoding failed (the body says nothing more);
//   - 405 for a method other than POST, 413 for a body over the limit;
//   - 409 while another delivery of the same event is being handled, so
//     that the platform retries later instead of counting it delivered;
//   - 500 when fn returned an error or panicked, so that the platform retries.
type WebhookHandler struct {
	verifier *WebhookVerifier
	fn       func(context.Context, *Event) error
	maxBody  int64
	store    WebhookIDStore
	logger   *slog.Logger
	observer WebhookObserver // nil: deliveries are not reported
}

// NewWebhookHandler returns a handler that calls fn, with the request's
// context, for each delivery that verifier accepts. The verifier holds the
// secrets, the timestamp tolerance and the clock; opts set the handler's
// own limits, its WebhookIDStore and its logger.
func NewWebhookHandler(verifier *WebhookVerifier, fn func(context.Context, *Event) error, opts ...WebhookHandlerOption) (*WebhookHandler, error) {
	if verifier == nil {
		return nil, errors.New("tokenim: webhook handler needs a verifier (NewWebhookVerifier)")
	}
	if fn == nil {
		return nil, errors.New("tokenim: webhook handler function must not be nil")
	}
	cfg := webhookHandlerConfig{maxBody: DefaultWebhookMaxBodyBytes}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.store == nil {
		cfg.store = &MemoryWebhookIDStore{}
	}
	return &WebhookHandler{verifier: verifier, fn: fn, maxBody: cfg.maxBody, store: cfg.store, logger: cfg.logger, observer: cfg.observer}, nil
}

// Format prints a summary without key material, for every verb, by value
// or by pointer. A nil *WebhookHandler prints as <nil>.
func (h WebhookHandler) Format(f fmt.State, verb rune) { io.WriteString(f, h.String()) }

// String is the summary Format prints.
func (h WebhookHandler) String() string {
	var v WebhookVerifier
	if h.verifier != nil {
		v = *h.verifier
	}
	return fmt.Sprintf("tokenim.WebhookHandler{verifier: %s, max_body_bytes: %d}", v.String(), h.maxBody)
}

// LogValue makes slog log the summary, whatever the handler.
func (h WebhookHandler) LogValue() slog.Value { return slog.StringValue(h.String()) }

// ServeHTTP handles one delivery; see WebhookHandler for the answers.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var d WebhookDelivery
	if h.observer != nil {
		start := time.Now()
		// Deferred, so that a delivery whose function aborted the answer
		// (panic(http.ErrAbortHandler)) is reported too.
		defer func() {
			d.Duration = time.Since(start)
			h.observer.ObserveWebhook(r.Context(), d)
		}()
	}
	h.serve(w, r, &d)
}

// serve handles one delivery and records in d what became of it.
func (h *WebhookHandler) serve(w http.ResponseWriter, r *http.Request, d *WebhookDelivery) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		d.reject(w, http.StatusMethodNotAllowed, "method not allowed", WebhookReasonMethodNotAllowed)
		return
	}
	if r.ContentLength > h.maxBody {
		d.reject(w, http.StatusRequestEntityTooLarge, "request body too large", WebhookReasonBodyTooLarge)
		return
	}
	src := r.Body
	if src == nil { // a hand-built request; servers always set a body
		src = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, src, h.maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			d.reject(w, http.StatusRequestEntityTooLarge, "request body too large", WebhookReasonBodyTooLarge)
			return
		}
		h.log(r.Context(), slog.LevelWarn, "tokenim: webhook: reading body failed", "error", err)
		d.reject(w, http.StatusBadRequest, "invalid webhook", WebhookReasonBodyUnreadable)
		return
	}
	id, err := h.verifier.verify(r.Header, body)
	if err != nil {
		// The reason goes to the merchant's log, never to the sender: it
		// would tell an attacker how close a forgery came.
		h.log(r.Context(), slog.LevelWarn, "tokenim: webhook rejected", "error", err)
		d.reject(w, http.StatusBadRequest, "invalid webhook", webhookRejection(err))
		return
	}
	d.Verified, d.WebhookID = true, id
	event, err := decodeWebhookEvent(body)
	if err != nil {
		h.log(r.Context(), slog.LevelError, "tokenim: webhook not decodable", "webhook_id", id, "error", err)
		d.reject(w, http.StatusBadRequest, "invalid webhook", WebhookReasonInvalidPayload)
		return
	}
	d.EventType = event.Type
	h.handle(w, r, id, event, d)
}

// reject answers status with msg and records the delivery as rejected.
func (d *WebhookDelivery) reject(w http.ResponseWriter, status int, msg, reason string) {
	http.Error(w, msg, status)
	d.Result, d.Reason, d.StatusCode = WebhookRejected, reason, status
}

// fail answers 500 and records the delivery as failed.
func (d *WebhookDelivery) fail(w http.ResponseWriter, msg, reason string) {
	http.Error(w, msg, http.StatusInternalServerError)
	d.Result, d.Reason, d.StatusCode = WebhookFailed, reason, http.StatusInternalServerError
}

func (h *WebhookHandler) handle(w http.ResponseWriter, r *http.Request, id string, event *Event, d *WebhookDelivery) {
	ctx := r.Context()
	// The store calls after fn must not be cut short by a client that hung
	// up: a lost Release would block every retry until the entry expires.
	storeCtx := context.WithoutCancel(ctx)
	state, err := h.store.Reserve(ctx, id)
	if err != nil {
		h.log(ctx, slog.LevelError, "tokenim: webhook id store failed", "webhook_id", id, "error", err)
		d.fail(w, "temporarily unavailable", WebhookReasonStoreError)
		return
	}
	switch state {
	case WebhookIDDone:
		w.WriteHeader(http.StatusOK)
		d.Result, d.StatusCode = WebhookDuplicate, http.StatusOK
		return
	case WebhookIDInProgress:
		w.Header().Set("Retry-After", "5")
		http.Error(w, "delivery in progress", http.StatusConflict)
		d.Result, d.StatusCode = WebhookInProgress, http.StatusConflict
		return
	case WebhookIDReserved:
	default:
		h.log(ctx, slog.LevelError, "tokenim: webhook id store returned an unknown state", "webhook_id", id, "state", int(state))
		d.fail(w, "temporarily unavailable", WebhookReasonStoreError)
		return
	}

	if err := h.call(ctx, event); err != nil {
		if rerr := h.store.Release(storeCtx, id); rerr != nil {
			h.log(ctx, slog.LevelError, "tokenim: webhook id store release failed", "webhook_id", id, "error", rerr)
		}
		if errors.Is(err, errWebhookAbort) {
			d.Result, d.Reason = WebhookFailed, WebhookReasonHandlerAborted
			panic(http.ErrAbortHandler)
		}
		reason := WebhookReasonHandlerPanic
		if !errors.Is(err, errWebhookPanic) { // a panic was logged with its stack
			reason = WebhookReasonHandlerError
			h.log(ctx, slog.LevelError, "tokenim: webhook handler failed", "webhook_id", id, "event_type", string(event.Type), "error", err)
		}
		d.fail(w, "handler failed", reason)
		return
	}
	if err := h.store.Done(storeCtx, id); err != nil {
		// fn has run; answering an error would make the platform deliver
		// it again, so only log.
		h.log(ctx, slog.LevelError, "tokenim: webhook id store done failed", "webhook_id", id, "error", err)
	}
	w.WriteHeader(http.StatusOK)
	d.Result, d.StatusCode = WebhookProcessed, http.StatusOK
}

// errWebhookAbort carries fn's panic(http.ErrAbortHandler) past the
// release of its reservation, to be re-raised for net/http; errWebhookPanic
// marks any other panic of fn.
var (
	errWebhookAbort = errors.New("tokenim: webhook handler aborted")
	errWebhookPanic = errors.New("tokenim: webhook handler panicked")
)

// call runs fn, turning a panic into an error so that one bad event does not
// take the process down and the reservation is released.
func (h *WebhookHandler) call(ctx context.Context, event *Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				err = errWebhookAbort
				return
			}
			h.log(ctx, slog.LevelError, "tokenim: webhook handler panicked", "webhook_id", event.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = errWebhookPanic
		}
	}()
	return h.fn(ctx, event)
}

func (h *WebhookHandler) log(ctx context.Context, level slog.Level, msg string, args ...any) {
	if h.logger != nil {
		h.logger.Log(ctx, level, msg, args...)
	}
}
