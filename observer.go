package tokenim

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Observer watches the calls a Client makes, for tracing and metrics: the
// module github.com/tokenim/tokenim-go/otel implements it with
// OpenTelemetry, so this package takes no dependency. Set one with
// WithObserver; a client without one pays nothing for the hooks.
//
// The client calls StartCall once per API call, StartAttempt and EndAttempt
// around every attempt (retries included) and EndCall once the call has its
// result. The hooks run on the caller's goroutine, in that order, and should
// return quickly. A call rejected locally before any request (a
// *ValidationError) is not observed.
//
// What the hooks see never holds an API key, a webhook secret, a request
// or response body, or card data: only the route, ids in the URL, the
// idempotency key (an identifier, not a secret), status and codes.
type Observer interface {
	// StartCall returns the context the call's attempts run under: ctx, or
	// a context derived from it (for example carrying a span). It becomes
	// the context of the HTTP requests and of the other hooks.
	StartCall(ctx context.Context, call CallInfo) context.Context
	// StartAttempt is called before each attempt is sent. h adds headers to
	// this attempt only, such as W3C trace context; it cannot read or
	// replace the headers the SDK sets (Authorization among them), and it
	// works only until StartAttempt returns. The context it returns is
	// handed to EndAttempt.
	StartAttempt(ctx context.Context, call CallInfo, attempt int, h HeaderSetter) context.Context
	// EndAttempt is called once the attempt has an answer (its status and
	// headers; for a 2xx the body is read after) or has failed.
	EndAttempt(ctx context.Context, call CallInfo, attempt AttemptResult)
	// EndCall is called once with the call's result, after any retries and
	// after a 2xx body was decoded.
	EndCall(ctx context.Context, call CallInfo, result CallResult)
}

// CallInfo names one API call for an Observer.
type CallInfo struct {
	// Operation is the SDK method, such as "Payments.Create"; "Client.Do"
	// for requests made with NewRequest and Do.
	Operation string
	// Method is the HTTP method.
	Method string
	// URLTemplate is the route with its placeholders, such as
	// "/v1/payments/{id}/confirm", without any query: low-cardinality, fit
	// for a span name or a metric attribute. For Client.Do it is the path
	// as given, without its query.
	URLTemplate string
	// URL is the absolute URL sent, with ids and any list query (filters,
	// cursors; never a secret).
	URL string
	// ServerAddress and ServerPort are the host and port of the base URL.
	ServerAddress string
	ServerPort    int
	// IdempotencyKey is the key of a POST (the same on every attempt),
	// empty for other methods.
	IdempotencyKey string
}

// AttemptResult is how one attempt ended.
type AttemptResult struct {
	// Attempt counts from 1; attempt 2 is the first retry.
	Attempt int
	// StatusCode is the answer's status, 0 when none came.
	StatusCode int
	// RequestID is the answer's Request-Id, if any.
	RequestID string
	// ErrorCode and DeclineCode come from a problem answer.
	ErrorCode   ErrorCode
	DeclineCode DeclineCode
	// Replayed reports an answer replayed for the idempotency key.
	Replayed bool
	// Err is the transport failure when no answer came (nil otherwise).
	Err error
	// Duration runs from sending to the answer's headers (or the failure).
	Duration time.Duration
	// Retry reports that the client will try again after RetryWait.
	Retry     bool
	RetryWait time.Duration
}

// CallResult is how one API call ended.
type CallResult struct {
	// Attempts counts the attempts made.
	Attempts int
	// StatusCode is the last answer's status, 0 when none came.
	StatusCode int
	// RequestID is the last answer's Request-Id, if any.
	RequestID string
	// ErrorCode and DeclineCode are those of the returned *Error (a decline
	// is ErrorCode card_declined with its DeclineCode).
	ErrorCode   ErrorCode
	DeclineCode DeclineCode
	// Replayed reports that the last answer was replayed for the
	// idempotency key.
	Replayed bool
	// OutcomeUnknown reports an *UnknownOutcomeError: the POST may or may
	// not have executed; repeat it with IdempotencyKey.
	OutcomeUnknown bool
	// Err is the error the call returns, nil on success. Its text never
	// holds a secret or a body.
	Err error
	// Duration runs from StartCall to the end of the call.
	Duration time.Duration
}

// HeaderSetter adds headers to one attempt for an Observer. It cannot read
// the request, and it ignores the headers the SDK sets itself
// (Authorization, Tokenim-Merchant-Id, Idempotency-Key, …), so an observer
// can neither see nor change them. Its Set matches the carrier of
// OpenTelemetry propagators.
type HeaderSetter struct{ cl *call }

// Set sets header key to value on the attempt, unless the SDK owns key.
func (h HeaderSetter) Set(key, value string) {
	if h.cl == nil || h.cl.req == nil {
		return
	}
	key = textproto.CanonicalMIMEHeaderKey(key)
	if sdkHeader(key) {
		return
	}
	h.cl.req.Header[key] = []string{value}
	h.cl.observedHeaders = append(h.cl.observedHeaders, key)
}

// sdkHeader reports the headers the SDK writes (docs/tokenim-api.md §1) and
// the ones net/http derives from the request: an observer may not set them.
func sdkHeader(key string) bool {
	switch key {
	case "Authorization", "Tokenim-Merchant-Id", "Tokenim-Version", "Idempotency-Key", "User-Agent",
		"Accept", "Content-Type", "Content-Length", "Transfer-Encoding", "Host", "Connection", "Cookie":
		return true
	}
	return strings.HasPrefix(key, "Tokenim-")
}

// WithObserver makes the client report every call and attempt to o (see
// Observer). The otel module's observer gives traces and metrics.
func WithObserver(o Observer) Option {
	return func(s *config) error {
		if o == nil {
			return &ValidationError{Field: "observer", Reason: "must not be nil"}
		}
		s.observer = o
		return nil
	}
}

// serverOf returns the host and port a base URL addresses, the port
// defaulting to the scheme's.
func serverOf(baseURL string) (string, int) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", 0
	}
	port, _ := strconv.Atoi(u.Port())
	if port == 0 {
		port = 443
		if u.Scheme == "http" {
			port = 80
		}
	}
	return u.Hostname(), port
}

// callInfo describes the call for its observer.
func (cl *call) callInfo() CallInfo {
	route, _ := cl.ep.template()
	template, _, _ := strings.Cut(route, "?")
	return CallInfo{
		Operation:      cl.ep.op,
		Method:         cl.ep.method,
		URLTemplate:    template,
		URL:            cl.url(),
		ServerAddress:  cl.c.serverAddress,
		ServerPort:     cl.c.serverPort,
		IdempotencyKey: cl.key,
	}
}

// observeAttemptStart is the call's go-retryablehttp RequestLogHook, set
// only when the client has an observer: it starts the attempt's
// observation and lets the observer add its headers.
func (cl *call) observeAttemptStart(_ retryablehttp.Logger, req *http.Request, _ int) {
	if len(cl.observedHeaders) > 0 || cl.attempts > 0 {
		// go-retryablehttp's retry copies the request but shares its
		// header map with the attempt before, which net/http may still
		// hold: give this attempt its own, without the last one's
		// observer headers.
		req.Header = req.Header.Clone()
		for _, k := range cl.observedHeaders {
			delete(req.Header, k)
		}
		cl.observedHeaders = cl.observedHeaders[:0]
	}
	cl.req = req
	cl.attemptStart = time.Now()
	cl.attemptCtx = cl.c.observer.StartAttempt(cl.ctx, cl.info, cl.attempts+1, HeaderSetter{cl})
	cl.req = nil
}

// observeAttemptEnd reports the attempt checkRetry has just judged.
func (cl *call) observeAttemptEnd(resp *http.Response, err error, retry bool) {
	r := AttemptResult{Attempt: cl.attempts, Err: err, Duration: time.Since(cl.attemptStart), Retry: retry}
	if retry {
		r.RetryWait = cl.wait
	}
	if resp != nil {
		r.StatusCode = resp.StatusCode
		r.RequestID = resp.Header.Get("Request-Id")
		r.Replayed = resp.Header.Get("Idempotent-Replayed") == "true"
		if apiErr, ok := cl.last.(*Error); ok && resp.StatusCode > 299 {
			r.ErrorCode, r.DeclineCode = apiErr.Code, apiErr.DeclineCode
		}
	}
	ctx := cl.attemptCtx
	if ctx == nil {
		ctx = cl.ctx
	}
	cl.c.observer.EndAttempt(ctx, cl.info, r)
	cl.attemptCtx = nil
}

// observeEnd reports the call's result.
func (cl *call) observeEnd(resp *http.Response, err error) {
	r := CallResult{Attempts: cl.attempts, Err: err, Duration: time.Since(cl.callStart)}
	if resp != nil {
		r.StatusCode = resp.StatusCode
		r.RequestID = resp.Header.Get("Request-Id")
		r.Replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		r.ErrorCode, r.DeclineCode = apiErr.Code, apiErr.DeclineCode
		if r.StatusCode == 0 {
			r.StatusCode = apiErr.HTTPStatus
		}
	}
	var unknown *UnknownOutcomeError
	r.OutcomeUnknown = errors.As(err, &unknown)
	cl.c.observer.EndCall(cl.ctx, cl.info, r)
}

// WebhookObserver is told of every delivery a WebhookHandler receives, for
// metrics: the otel module's observer counts them by result. Set one with
// WithWebhookObserver. ObserveWebhook runs on the request's goroutine once
// the answer is written, and should return quickly.
type WebhookObserver interface {
	ObserveWebhook(ctx context.Context, d WebhookDelivery)
}

// WebhookResult is what the handler did with a delivery.
type WebhookResult string

// The results of a delivery; the answer each gets is in WebhookHandler.
const (
	// WebhookProcessed: verified, new, and the merchant's function succeeded.
	WebhookProcessed WebhookResult = "processed"
	// WebhookDuplicate: verified, and the event was already handled.
	WebhookDuplicate WebhookResult = "duplicate"
	// WebhookInProgress: verified, and another delivery of the event is
	// being handled; the platform is asked to retry.
	WebhookInProgress WebhookResult = "in_progress"
	// WebhookRejected: not accepted before verification or by it; Reason
	// says why. A run of these means a wrong secret, clock skew or forgery.
	WebhookRejected WebhookResult = "rejected"
	// WebhookFailed: verified, but the merchant's function or the
	// WebhookIDStore failed (Reason says which); the platform retries.
	WebhookFailed WebhookResult = "failed"
)

// Reasons of a rejected or failed delivery, low-cardinality words fit for a
// metric attribute.
const (
	WebhookReasonMethodNotAllowed    = "method_not_allowed"
	WebhookReasonBodyTooLarge        = "body_too_large"
	WebhookReasonBodyUnreadable      = "body_unreadable"
	WebhookReasonMissingHeader       = "missing_header"
	WebhookReasonMalformedHeader     = "malformed_header"
	WebhookReasonNoMatchingSignature = "no_matching_signature"
	WebhookReasonTimestampTooOld     = "timestamp_too_old"
	WebhookReasonTimestampTooNew     = "timestamp_too_new"
	WebhookReasonInvalidPayload      = "invalid_payload"
	WebhookReasonHandlerError        = "handler_error"
	WebhookReasonHandlerPanic        = "handler_panic"
	WebhookReasonHandlerAborted      = "handler_aborted"
	WebhookReasonStoreError          = "store_error"
)

// WebhookDelivery is how a WebhookHandler dealt with one delivery. It holds
// no header value, body or secret.
type WebhookDelivery struct {
	Result WebhookResult
	// Reason is one of the WebhookReason… words for a rejected or failed
	// delivery, empty otherwise.
	Reason string
	// Verified reports that the signature was checked and good.
	Verified bool
	// WebhookID and EventType are known once the delivery is verified.
	WebhookID string
	EventType EventType
	// StatusCode is the answer the handler gave.
	StatusCode int
	// Duration runs from the request reaching the handler to the answer.
	Duration time.Duration
}

// WithWebhookObserver makes the handler report every delivery to o.
func WithWebhookObserver(o WebhookObserver) WebhookHandlerOption {
	return func(c *webhookHandlerConfig) error {
		if o == nil {
			return errors.New("tokenim: webhook observer must not be nil")
		}
		c.observer = o
		return nil
	}
}

// webhookRejection names why verification refused a delivery.
func webhookRejection(err error) string {
	switch {
	case errors.Is(err, ErrWebhookMissingHeader):
		return WebhookReasonMissingHeader
	case errors.Is(err, ErrWebhookNoMatchingSignature):
		return WebhookReasonNoMatchingSignature
	case errors.Is(err, ErrWebhookTimestampTooOld):
		return WebhookReasonTimestampTooOld
	case errors.Is(err, ErrWebhookTimestampTooNew):
		return WebhookReasonTimestampTooNew
	}
	return WebhookReasonMalformedHeader
}
