package tokenim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrorCode is the machine-readable `code` of a problem response.
type ErrorCode string

// Every error code of API version 2026-11-01, plus the extension codes listed
// in docs/contract-decisions.md.
const (
	CodeInvalidRequest         ErrorCode = "invalid_request"
	CodeAmountInvalid          ErrorCode = "amount_invalid"
	CodeCurrencyUnsupported    ErrorCode = "currency_unsupported"
	CodeInvalidCardNumber      ErrorCode = "invalid_card_number"
	CodeMetadataInvalid        ErrorCode = "metadata_invalid"
	CodeParameterUnknown       ErrorCode = "parameter_unknown"
	CodeAuthenticationRequired ErrorCode = "authentication_required"
	CodeInvalidAPIKey          ErrorCode = "invalid_api_key"
	CodeAPIKeyExpired          ErrorCode = "api_key_expired"
	CodeMerchantMismatch       ErrorCode = "merchant_mismatch"
	CodeAccountRestricted      ErrorCode = "account_restricted"
	// CodeHostNotAllowed and CodeCrossSiteRequest come only from the bundled
	// sandbox: a Host it does not serve (DNS rebinding) and a browser's
	// cross-site call of its control API (docs/contract-decisions.md).
	CodeHostNotAllowed           ErrorCode = "host_not_allowed"
	CodeCrossSiteRequest         ErrorCode = "cross_site_request"
	CodeCardDeclined             ErrorCode = "card_declined"
	CodeAuthenticationFailed     ErrorCode = "authentication_failed"
	CodeResourceMissing          ErrorCode = "resource_missing"
	CodeOrderAlreadyPaid         ErrorCode = "order_already_paid"
	CodePaymentInProgress        ErrorCode = "payment_in_progress"
	CodeOrderExpired             ErrorCode = "order_expired"
	CodeOrderNotPayable          ErrorCode = "order_not_payable"
	CodeOrderNotCancelable       ErrorCode = "order_not_cancelable"
	CodeDuplicateMerchantOrderID ErrorCode = "duplicate_merchant_order_id"
	CodePaymentNotRefundable     ErrorCode = "payment_not_refundable"
	CodeRefundExceedsRemaining   ErrorCode = "refund_exceeds_remaining"
	CodeRefundWindowExpired      ErrorCode = "refund_window_expired"
	CodeReceiptUnavailable       ErrorCode = "receipt_unavailable"
	CodeIdempotencyKeyInUse      ErrorCode = "idempotency_key_in_use"
	CodeIdempotencyKeyReused     ErrorCode = "idempotency_key_reused"
	CodePaymentUnexpectedState   ErrorCode = "payment_unexpected_state"
	CodePaymentDisputed          ErrorCode = "payment_disputed"
	CodePaymentNotDisputable     ErrorCode = "payment_not_disputable"
	CodeDisputeNotOpen           ErrorCode = "dispute_not_open"
	CodeRateLimited              ErrorCode = "rate_limited"
	CodeInternalError            ErrorCode = "internal_error"
	CodeServiceUnavailable       ErrorCode = "service_unavailable"
	CodeAPIKeyNotActive          ErrorCode = "api_key_not_active"
	CodeCannotRevokeCurrentKey   ErrorCode = "cannot_revoke_current_key"
	// CodeEndpointNotSubscribed: a resend to an endpoint that is disabled
	// or does not subscribe to the event's type (docs/tokenim-api.md §10).
	CodeEndpointNotSubscribed ErrorCode = "endpoint_not_subscribed"
	// CodeEventTooOld: a resend of an event older than 30 days.
	CodeEventTooOld ErrorCode = "event_too_old"
)

// CodeRemoteControlRefused and CodeControlTokenRequired come only from the
// bundled sandbox's /_sandbox/ paths: a caller not on its machine, and a
// request without its control token (docs/contract-decisions.md).
const (
	CodeRemoteControlRefused ErrorCode = "remote_control_refused"
	CodeControlTokenRequired ErrorCode = "control_token_required"
)

// DeclineCode says why a card was declined (the `decline_code` of a
// card_declined problem, and the `failure_code` of a failed payment).
type DeclineCode string

// Every decline code of API version 2026-11-01.
const (
	DeclineGenericDecline    DeclineCode = "generic_decline"
	DeclineInsufficientFunds DeclineCode = "insufficient_funds"
	DeclineExpiredCard       DeclineCode = "expired_card"
	DeclineIncorrectCVC      DeclineCode = "incorrect_cvc"
	DeclineCardFrozen        DeclineCode = "card_frozen"
	DeclineProcessingError   DeclineCode = "processing_error"
)

// Sentinel errors, matched with errors.Is against any error this package
// returns.
var (
	// ErrDeclined matches a 402 card_declined.
	ErrDeclined = errors.New("tokenim: card declined")
	// ErrAuthentication matches any 401.
	ErrAuthentication = errors.New("tokenim: authentication failed")
	// ErrPermission matches any 403.
	ErrPermission = errors.New("tokenim: permission denied")
	// ErrNotFound matches any 404.
	ErrNotFound = errors.New("tokenim: resource not found")
	// ErrConflict matches any 409.
	ErrConflict = errors.New("tokenim: conflict with the resource's state")
	// ErrIdempotency matches idempotency_key_in_use and idempotency_key_reused.
	ErrIdempotency = errors.New("tokenim: idempotency key conflict")
	// ErrRateLimited matches any 429.
	ErrRateLimited = errors.New("tokenim: rate limited")
	// ErrUnavailable matches any 5xx.
	ErrUnavailable = errors.New("tokenim: service unavailable")
	// ErrInvalidRequest matches 400 and 405 answers and local *ValidationError.
	ErrInvalidRequest = errors.New("tokenim: invalid request")
	// ErrUnknownOutcome matches *UnknownOutcomeError.
	ErrUnknownOutcome = errors.New("tokenim: outcome unknown")
)

// Error is a problem+json (RFC 9457) answer from the platform, together with
// what the SDK knows about the call that got it.
type Error struct {
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Status      int         `json:"status"`
	Detail      string      `json:"detail"`
	Code        ErrorCode   `json:"code"`
	DeclineCode DeclineCode `json:"decline_code"`
	Param       string      `json:"param"`
	RequestID   string      `json:"request_id"`
	PaymentID   string      `json:"payment_id"`
	OrderID     string      `json:"order_id"`
	ExistingID  string      `json:"existing_id"`
	APIKeyID    string      `json:"api_key_id"`
	DisputeID   string      `json:"dispute_id"`

	// HTTPStatus is the status code of the response (Status repeats it when
	// the body was a problem document).
	HTTPStatus int `json:"-"`
	// IdempotencyKey is the key the call was sent with, if any.
	IdempotencyKey string `json:"-"`
	// RetryAfter is the response's Retry-After, zero when absent. A call
	// whose Retry-After is longer than the client's maximum wait (see
	// WithRetryWait) ends at once with this error: schedule the retry
	// yourself, with the same idempotency key.
	RetryAfter time.Duration `json:"-"`

	// shouldRetry holds Tokenim-Should-Retry when the response carried it.
	shouldRetry *bool
}

// Error formats the problem without any request body or secret.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("tokenim: ")
	b.WriteString(strconv.Itoa(e.HTTPStatus))
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(string(e.Code))
	}
	if e.DeclineCode != "" {
		b.WriteString(" (")
		b.WriteString(string(e.DeclineCode))
		b.WriteString(")")
	}
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	if e.Param != "" {
		b.WriteString(" [param ")
		b.WriteString(e.Param)
		b.WriteString("]")
	}
	if e.RequestID != "" {
		b.WriteString(" [request ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

// Is reports whether the problem belongs to the class of a sentinel error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrDeclined:
		return e.Code == CodeCardDeclined
	case ErrAuthentication:
		return e.HTTPStatus == http.StatusUnauthorized
	case ErrPermission:
		return e.HTTPStatus == http.StatusForbidden
	case ErrNotFound:
		return e.HTTPStatus == http.StatusNotFound
	case ErrConflict:
		return e.HTTPStatus == http.StatusConflict
	case ErrIdempotency:
		return e.Code == CodeIdempotencyKeyInUse || e.Code == CodeIdempotencyKeyReused
	case ErrRateLimited:
		return e.HTTPStatus == http.StatusTooManyRequests
	case ErrUnavailable:
		return e.HTTPStatus >= 500
	case ErrInvalidRequest:
		return e.HTTPStatus == http.StatusBadRequest || e.HTTPStatus == http.StatusMethodNotAllowed
	}
	return false
}

// retryable is the retry policy of docs/tokenim-api.md §3 for an answer: a
// Tokenim-Should-Retry header decides, except on a 2xx or 3xx (never
// retried); otherwise 408, 409 idempotency_key_in_use, 429, 500, 502, 503
// and 504 are retryable.
func (e *Error) retryable() bool {
	if e.HTTPStatus < 400 {
		return false
	}
	if e.shouldRetry != nil {
		return *e.shouldRetry
	}
	switch e.HTTPStatus {
	case http.StatusRequestTimeout, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		return e.Code == CodeIdempotencyKeyInUse
	}
	return false
}

// IsDeclined reports whether err is a card decline (402 card_declined).
func IsDeclined(err error) bool { return errors.Is(err, ErrDeclined) }

// IsRetryable reports whether repeating the same call (with the same
// idempotency key) may succeed: retryable problem answers, lost responses and
// connection failures. Cancelled or expired contexts and validation errors are
// not retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr.retryable()
	}
	var te *transportError
	if errors.As(err, &te) {
		return te.retryable
	}
	var uo *UnknownOutcomeError
	if errors.As(err, &uo) {
		return true
	}
	var ve *ValidationError
	if errors.As(err, &ve) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var timeout interface{ Timeout() bool }
	return errors.As(err, &timeout) && timeout.Timeout()
}

// UnknownOutcomeError reports a POST that the platform may or may not have
// executed: its last attempt got no response, or an earlier attempt got none
// and the retries ended on an answer that says nothing of it (503, 429, 409
// idempotency_key_in_use, or the context ending). Repeat the call with
// WithIdempotencyKey(IdempotencyKey) to learn the outcome without executing
// it twice; never repeat it with a new key.
type UnknownOutcomeError struct {
	Method         string
	Path           string
	IdempotencyKey string
	// Attempts counts the attempts the client made. net/http may itself
	// resend a keyed POST once on a fresh connection when a reused one
	// drops, so the platform may have seen more; the key makes that safe.
	Attempts int
	// Err is the last attempt's failure: a transport or context error, or
	// the *Error of the last answer.
	Err error
}

// Error says the outcome is unknown and how to resolve it.
func (e *UnknownOutcomeError) Error() string {
	key := "none; the call cannot be resumed safely"
	if e.IdempotencyKey != "" {
		key = strconv.Quote(e.IdempotencyKey)
	}
	return fmt.Sprintf("tokenim: %s %s: outcome unknown after %d attempt(s), retry with idempotency key %s: %v",
		e.Method, e.Path, e.Attempts, key, e.Err)
}

// Unwrap returns Err.
func (e *UnknownOutcomeError) Unwrap() error { return e.Err }

// Is matches ErrUnknownOutcome.
func (e *UnknownOutcomeError) Is(target error) bool { return target == ErrUnknownOutcome }

// ValidationError reports a parameter rejected locally, before any request.
type ValidationError struct {
	Field  string
	Reason string
}

// Error names the field and what is wrong with it.
func (e *ValidationError) Error() string {
	return "tokenim: invalid " + e.Field + ": " + e.Reason
}

// Is matches ErrInvalidRequest.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 1 << 20

// decodeError builds an *Error from a non-2xx response. The body is read but
// never quoted: a non-JSON body yields a message naming only status and
// content type.
func decodeError(resp *http.Response, body []byte, now time.Time) *Error {
	e := &Error{}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isJSON := mediaType == "application/problem+json" || mediaType == "application/json"
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		// The API never redirects (docs/tokenim-api.md §1): this is the wrong
		// host or a proxy, and following it would hand it the key and body.
		*e = Error{
			Title: http.StatusText(resp.StatusCode),
			Detail: fmt.Sprintf("unexpected redirect %d, not followed: the API never redirects; check the base URL (WithBaseURL)",
				resp.StatusCode),
		}
	case !isJSON || json.Unmarshal(body, e) != nil || (e.Code == "" && e.Title == "" && e.Detail == ""):
		*e = Error{
			Title: http.StatusText(resp.StatusCode),
			Detail: fmt.Sprintf("unexpected %d response with content type %q and no problem document",
				resp.StatusCode, resp.Header.Get("Content-Type")),
		}
	}
	e.HTTPStatus = resp.StatusCode
	if e.Status == 0 {
		e.Status = resp.StatusCode
	}
	if id := resp.Header.Get("Request-Id"); e.RequestID == "" {
		e.RequestID = id
	}
	e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	e.shouldRetry = parseShouldRetry(resp.Header)
	sentSecretsOf(resp).scrubError(e) // a detail that echoes the card (redact.go)
	return e
}

// readErrorBody reads at most maxErrorBody bytes of an error body.
func readErrorBody(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	return b
}

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	const most = 24 * time.Hour // a longer Retry-After is a broken header, not a plan
	if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(most/time.Second) {
			secs = int64(most / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), most), true
}

// parseShouldRetry reads Tokenim-Should-Retry; nil when absent or unreadable.
func parseShouldRetry(h http.Header) *bool {
	raw := h.Get("Tokenim-Should-Retry")
	if raw == "" { // the common case; ParseBool would allocate an error
		return nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return nil
	}
	return &v
}
