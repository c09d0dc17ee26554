package tokenim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Retries (contract §3) are driven here rather than inside
// retryablehttp.Client.Do. Its loop waits with a bare time.NewTimer between
// attempts: the wait cannot be injected (tests would sleep for real), it does
// not know the caller's deadline (it would start a wait that ends after the
// deadline instead of returning at once), and when CheckRetry asks for one
// more retry than RetryMax allows it closes the transport's idle connections.
// So each attempt is one retryablehttp.Client.Do with RetryMax 0 and a
// CheckRetry that never retries; retryablehttp supplies the rewindable request
// body, and the loop in send applies our CheckRetry (checkRetry) and Backoff
// (backoff), which keep retryablehttp's signatures, with an injectable sleeper.
func newRetryableClient(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil, // ours goes through slog, without keys or bodies
		RetryMax:     0,
		CheckRetry:   singleAttempt,
		Backoff:      retryablehttp.DefaultBackoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

func singleAttempt(context.Context, *http.Response, error) (bool, error) { return false, nil }

var (
	_ retryablehttp.CheckRetry = (*Client)(nil).checkRetry
	_ retryablehttp.Backoff    = (*Client)(nil).backoff
)

// send performs req with retries and returns the last response, unread.
func (c *Client) send(req *Request) (*http.Response, error) {
	ctx := req.ctx
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("tokenim: %s %s: %w", req.Method, req.Path, err)
	}
	// A POST without a key could execute twice if repeated.
	canRetry := req.Method != http.MethodPost || req.IdempotencyKey != ""
	for attempt := 0; ; attempt++ {
		hreq, err := c.newAttempt(req)
		if err != nil {
			return nil, fmt.Errorf("tokenim: %s %s: build request: %w", req.Method, req.Path, err)
		}
		resp, doErr := c.http.Do(hreq)
		req.attempts = attempt + 1
		c.logAttempt(req, attempt+1, resp, doErr)

		retry, checkErr := c.checkRetry(ctx, resp, doErr)
		if checkErr != nil || !retry || !canRetry || attempt >= c.maxRetries {
			if doErr != nil {
				return nil, c.noResponseError(req, attempt+1, doErr)
			}
			return resp, nil
		}

		wait := c.backoff(c.retryMin, c.retryMax, attempt, resp)
		// lastErr keeps a retryable answer (decoded before its body is
		// drained) so that a call ended by its context still reports it.
		var lastErr error = doErr
		if resp != nil {
			apiErr := decodeError(resp, readErrorBody(resp.Body), c.now())
			apiErr.IdempotencyKey = req.IdempotencyKey
			lastErr = apiErr
			drainClose(resp.Body)
		}
		if deadline, ok := ctx.Deadline(); ok && c.now().Add(wait).After(deadline) {
			err := fmt.Errorf("next attempt in %s would start after the context deadline: %w", wait, context.DeadlineExceeded)
			return nil, c.endedByContext(req, attempt+1, err, resp == nil, lastErr)
		}
		if c.logger != nil {
			c.logger.LogAttrs(ctx, slog.LevelInfo, "tokenim: retrying",
				slog.String("method", req.Method), slog.String("path", req.Path),
				slog.Int("attempt", attempt+1), slog.Duration("wait", wait),
				slog.String("idempotency_key", req.IdempotencyKey))
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, c.endedByContext(req, attempt+1, fmt.Errorf("waiting to retry: %w", err), resp == nil, lastErr)
		}
	}
}

// endedByContext reports a call whose context ended between attempts. If the
// last attempt got no response the outcome of a POST is unknown; otherwise
// the last answer is kept in the chain next to the context error.
func (c *Client) endedByContext(req *Request, attempts int, ctxErr error, noResponse bool, lastErr error) error {
	if noResponse {
		return c.noResponseError(req, attempts, fmt.Errorf("%w (last attempt: %w)", ctxErr, lastErr))
	}
	return fmt.Errorf("tokenim: %s %s: %w (last answer: %w)", req.Method, req.Path, ctxErr, lastErr)
}

// newAttempt builds the HTTP request of one attempt with every contract header.
func (c *Client) newAttempt(req *Request) (*retryablehttp.Request, error) {
	var body any // a nil []byte in an interface would make the body chunked
	if req.body != nil {
		body = req.body
	}
	hreq, err := retryablehttp.NewRequestWithContext(req.ctx, req.Method, c.baseURL+req.Path, body)
	if err != nil {
		return nil, err
	}
	h := hreq.Header
	if !req.noAuth {
		h["Authorization"] = c.authHeader
		h["Tokenim-Merchant-Id"] = c.merchantID
	}
	h["Tokenim-Version"] = apiVersionHeader
	h["User-Agent"] = c.userAgent
	h["Accept"] = acceptHeader
	if req.body != nil {
		h["Content-Type"] = contentTypeJSON
	}
	if req.IdempotencyKey != "" && req.Method == http.MethodPost {
		h["Idempotency-Key"] = []string{req.IdempotencyKey}
	}
	return hreq, nil
}

var (
	apiVersionHeader = []string{APIVersion}
	acceptHeader     = []string{"application/json"}
	contentTypeJSON  = []string{"application/json"}
)

// noResponseError reports an attempt that got no response. For a POST the
// outcome is unknown unless the connection provably never carried the request.
func (c *Client) noResponseError(req *Request, attempts int, err error) error {
	permanent := isPermanentTransportError(err)
	if req.Method == http.MethodPost && !permanent {
		return &UnknownOutcomeError{Method: req.Method, Path: req.Path, IdempotencyKey: req.IdempotencyKey, Attempts: attempts, Err: err}
	}
	if !permanent && req.ctx.Err() == nil {
		// The caller's context is alive, so this was the network or the
		// per-attempt timeout (which net/http also reports as
		// context.DeadlineExceeded): worth trying again later.
		return &transportError{msg: "tokenim: " + req.Method + " " + req.Path + ": " + err.Error(), err: err}
	}
	return fmt.Errorf("tokenim: %s %s: %w", req.Method, req.Path, err)
}

// transportError is a failure to get any answer while the caller's context
// was still alive; IsRetryable reports it as retryable.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// checkRetry is the retry policy of contract §3, as a retryablehttp.CheckRetry.
// A 409 body is peeked (and put back) to find idempotency_key_in_use.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return false, ctxErr
	}
	if err != nil {
		return !isPermanentTransportError(err), nil
	}
	if sr := parseShouldRetry(resp.Header); sr != nil {
		return *sr, nil
	}
	if resp.StatusCode == http.StatusConflict {
		return peekCode(resp) == CodeIdempotencyKeyInUse, nil
	}
	return retryableStatus(resp.StatusCode, ""), nil
}

// isPermanentTransportError reports failures that repeating cannot fix and
// that prove nothing reached the server: TLS verification, bad URLs, redirect
// loops.
func isPermanentTransportError(err error) bool {
	var verr *tls.CertificateVerificationError
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	var cerr x509.CertificateInvalidError
	var rerr tls.RecordHeaderError
	if errors.As(err, &verr) || errors.As(err, &uerr) || errors.As(err, &herr) || errors.As(err, &cerr) || errors.As(err, &rerr) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "unsupported protocol scheme") ||
		strings.Contains(msg, "stopped after") ||
		strings.Contains(msg, "invalid header")
}

// peekCode reads the problem code of resp and leaves the body readable.
func peekCode(resp *http.Response) ErrorCode {
	b := readErrorBody(resp.Body)
	resp.Body = &replayBody{Reader: bytes.NewReader(b), orig: resp.Body}
	var p struct {
		Code ErrorCode `json:"code"`
	}
	_ = json.Unmarshal(b, &p)
	return p.Code
}

type replayBody struct {
	*bytes.Reader
	orig io.Closer
}

// Close closes the original body.
func (r *replayBody) Close() error { return r.orig.Close() }

// backoff is the wait before retry number attempt+1, as a retryablehttp.Backoff:
// Retry-After (seconds or HTTP-date) when present, capped at max; otherwise
// exponential backoff with full jitter, random in [0, min(max, min·2^attempt)].
func (c *Client) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
			return minDuration(d, max)
		}
	}
	ceiling := max
	if attempt < 30 {
		if d := min << attempt; d > 0 && d < max {
			ceiling = d
		}
	}
	return c.jitter(ceiling)
}

func minDuration(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// randomJitter returns a uniformly random duration in [0, max].
func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(mrand.Int64N(int64(max) + 1))
}

// sleepContext waits d, or less if ctx ends first (then it returns ctx.Err()).
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// logAttempt logs one attempt at debug level: route, status, request id and
// idempotency key; never headers, bodies or the key.
func (c *Client) logAttempt(req *Request, attempt int, resp *http.Response, err error) {
	if c.logger == nil || !c.logger.Enabled(req.ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method), slog.String("path", req.Path),
		slog.Int("attempt", attempt), slog.String("idempotency_key", req.IdempotencyKey),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.String("request_id", resp.Header.Get("Request-Id")))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.logger.LogAttrs(req.ctx, slog.LevelDebug, "tokenim: request", attrs...)
}

// newIdempotencyKey returns a random UUIDv4.
func newIdempotencyKey() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hexdigits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexdigits[b>>4], hexdigits[b&0x0f]
		j += 2
	}
	return string(out[:])
}

// validateIdempotencyKey checks the contract's 1–255 visible ASCII rule.
func validateIdempotencyKey(k string) error {
	if len(k) == 0 || len(k) > 255 || !isToken(k) {
		return &ValidationError{Field: "Idempotency-Key", Reason: "must be 1-255 visible ASCII characters"}
	}
	return nil
}
