package tokenim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// endpoint names one route of the API for the shared call path.
type endpoint struct {
	op       string // "Payments.Create": the call's name, for logs and observers
	method   string
	route    string // "/v1/payments/{id}/confirm": the URL template
	idPrefix string // the prefix of {id} ("pay_"), or of starting_after for a list
	noAuth   bool   // sent without key and merchant id (GET /v1/status)
}

// template is ep's URL template: its route, or for a route nested under a
// parent object whose id the service filled in (lister.under) the template
// from nestedTemplates, so that no id reaches an observer's labels.
func (ep endpoint) template() (string, bool) {
	if t, ok := nestedTemplates[ep.op]; ok {
		return t, true
	}
	return ep.route, false
}

// fetch is the whole mechanics of a Get, Create, Cancel or Confirm: it
// validates id against the route, sends body and decodes the answer into a
// new T.
func fetch[T any](ctx context.Context, c *Client, ep endpoint, id string, body any, opts []RequestOption) (*T, error) {
	cl, err := c.newCall(ctx, ep, id, body, opts)
	if err != nil {
		return nil, err
	}
	defer cl.release()
	v := new(T)
	cl.fresh = true
	if err := cl.run(v); err != nil {
		return nil, err
	}
	return v, nil
}

// call is one API call across its attempts. go-retryablehttp runs the loop,
// rewinds the body and waits; call is the policy it consults after every
// attempt (checkRetry, then backoff) and the state the outcome rules of
// docs/tokenim-api.md §3 need.
type call struct {
	// rc runs this call's loop. It is configured once, when the client's
	// pool makes the call state (newPooledCall), and never written per
	// request: its CheckRetry and Backoff are this call's checkRetry and
	// backoff. It lives in the call so that one allocation holds both.
	rc retryablehttp.Client
	c  *Client

	callState
}

// callState is what one API call sets; release clears it.
type callState struct {
	ctx      context.Context
	ep       endpoint
	path     string // the route with {id} filled, plus any query
	key      string // Idempotency-Key of a POST
	body     []byte
	response *Response // the caller's WithResponse target

	attempts   int
	lostAnswer bool          // an attempt of this POST may have reached the platform and got no answer
	last       error         // the last attempt's failure: its decoded *Error, or the transport error
	retrying   bool          // checkRetry asked for another attempt, so the loop is waiting
	wait       time.Duration // the wait checkRetry picked, which backoff hands to the loop
	stopped    error         // why checkRetry ended the call before its wait (the deadline)
	capped     cappedReader  // reads a 2xx body, in the call's allocation
	wantMeta   bool          // Do returns the metadata even without WithResponse
	fresh      bool          // the value to decode into is new (fetch), so decodePayment may fill it
	meta       *Response     // the final response's metadata, when wanted

	// Observation, used only when the client has an Observer.
	info            CallInfo
	final           *http.Response  // the last answer, for EndCall
	attemptCtx      context.Context // StartAttempt's context, for EndAttempt
	callStart       time.Time
	attemptStart    time.Time
	req             *http.Request // the attempt HeaderSetter writes to, during StartAttempt only
	observedHeaders []string      // what the observer set on the last attempt
}

// newPooledCall makes a call state for c's pool, with go-retryablehttp
// configured once from c's options.
func (c *Client) newPooledCall() any {
	cl := &call{c: c}
	cl.rc = retryablehttp.Client{
		HTTPClient:   c.http,
		RetryMax:     c.maxRetries,
		RetryWaitMin: c.retryMin,
		RetryWaitMax: c.retryMax,
		CheckRetry:   cl.checkRetry,
		Backoff:      cl.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if c.observer != nil {
		cl.rc.RequestLogHook = cl.observeAttemptStart
	}
	return cl
}

// newCallState takes a call state from the client's pool.
func (c *Client) newCallState() *call { return c.calls.Get().(*call) }

// release returns the call to its pool once nothing refers to it: the
// returned error and value hold copies, never the call.
func (cl *call) release() {
	cl.callState = callState{}
	cl.c.calls.Put(cl)
}

// run makes the call, reporting it to the client's observer if it has one.
func (cl *call) run(v any) error {
	obs := cl.c.observer
	if obs == nil {
		return cl.send(v)
	}
	cl.callStart = time.Now()
	cl.info = cl.callInfo()
	if ctx := obs.StartCall(cl.ctx, cl.info); ctx != nil {
		cl.ctx = ctx
	}
	err := cl.send(v)
	cl.observeEnd(cl.final, err)
	return err
}

// send sends the call through go-retryablehttp and decodes a 2xx into v.
func (cl *call) send(v any) error {
	if err := cl.ctx.Err(); err != nil {
		return fmt.Errorf("tokenim: %s %s: %w", cl.ep.method, cl.path, err)
	}
	req, err := cl.newHTTPRequest()
	if err != nil {
		return fmt.Errorf("tokenim: %s %s: build request: %w", cl.ep.method, cl.path, err)
	}
	if _, raw := v.(*rawBody); raw {
		req.Header["Accept"] = acceptRaw // the caller checks the content type
	}
	resp, err := cl.rc.Do(req)
	cl.final = resp
	cl.setMeta(resp)
	if resp != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return cl.decode(resp, v)
	}
	if resp != nil {
		drainClose(resp.Body) // checkRetry has decoded it into cl.last
	}
	return cl.fail(err)
}

// newHTTPRequest builds the request every attempt sends, with every contract
// header; go-retryablehttp rewinds its body for each attempt.
func (cl *call) newHTTPRequest() (*retryablehttp.Request, error) {
	var body any // a nil []byte in an interface would make the body chunked
	if cl.body != nil {
		body = cl.body // go-retryablehttp gives every attempt a reader of its own
	}
	req, err := retryablehttp.NewRequestWithContext(cl.ctx, cl.ep.method, cl.url(), body)
	if err != nil {
		return nil, err
	}
	h := req.Header
	if !cl.ep.noAuth {
		if err := cl.c.auth(cl.ctx, h); err != nil {
			return nil, err
		}
	}
	h["Tokenim-Version"] = apiVersionHeader
	h["User-Agent"] = cl.c.userAgent
	h["Accept"] = acceptHeader
	if cl.body != nil {
		h["Content-Type"] = contentTypeJSON
	}
	if cl.key != "" && cl.ep.method == http.MethodPost {
		h["Idempotency-Key"] = []string{cl.key}
	}
	return req, nil
}

// url is the absolute URL of the call. The URL of a route without id or
// query (every Create, every unfiltered List) is built once per client.
func (cl *call) url() string {
	if _, nested := cl.ep.template(); nested || cl.path != cl.ep.route {
		return cl.c.baseURL + cl.path
	}
	return cl.c.urls.get(cl.c.baseURL, cl.path)
}

// urlCache maps a constant route to its absolute URL. Reads take no lock:
// a new route copies the map, which happens a handful of times per client.
type urlCache struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

// maxCachedURLs bounds the cache: Client.Do takes any path.
const maxCachedURLs = 64

func (u *urlCache) get(base, route string) string {
	if m := u.m.Load(); m != nil {
		if full, ok := (*m)[route]; ok {
			return full
		}
	}
	full := base + route
	u.mu.Lock()
	defer u.mu.Unlock()
	old := u.m.Load()
	if old != nil && len(*old) >= maxCachedURLs {
		return full
	}
	m := make(map[string]string, 8)
	if old != nil {
		maps.Copy(m, *old)
	}
	m[route] = full
	u.m.Store(&m)
	return full
}

var (
	apiVersionHeader = []string{APIVersion}
	acceptHeader     = []string{"application/json"}
	contentTypeJSON  = []string{"application/json"}
)

var (
	_ retryablehttp.CheckRetry = (*call)(nil).checkRetry
	_ retryablehttp.Backoff    = (*call)(nil).backoff
)

// checkRetry is consulted by go-retryablehttp after every attempt: it
// applies the policy and reports the attempt to the observer, if any.
func (cl *call) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, stop := cl.decideRetry(ctx, resp, err)
	if cl.c.observer != nil {
		cl.observeAttemptEnd(resp, err, retry)
	}
	return retry, stop
}

// decideRetry is the retry policy of docs/tokenim-api.md §3. It decodes a
// non-2xx answer once (into cl.last), decides whether to try again and picks
// the wait, ending the call instead when the wait is longer than the maximum
// (a long Retry-After) or would outlive the context's deadline.
func (cl *call) decideRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c := cl.c
	cl.attempts++
	cl.retrying = false
	c.logAttempt(cl, resp, err)
	switch {
	case err != nil:
		cl.last = err
		if cl.ep.method == http.MethodPost && !neverSent(err) {
			cl.lostAnswer = true
		}
		if ctx.Err() != nil || isPermanentTransportError(err) {
			return false, nil
		}
	case resp.StatusCode <= 299:
		// A success is final, whatever a header says: retrying it could only
		// turn a done payment into an error.
		return false, nil
	default:
		apiErr := decodeError(resp, readErrorBody(resp.Body), c.now())
		apiErr.IdempotencyKey = cl.key
		cl.last = apiErr
		if !apiErr.retryable() || ctx.Err() != nil {
			return false, nil
		}
		if apiErr.RetryAfter > c.retryMax {
			// Not waited out: the caller schedules it (docs/tokenim-api.md §3).
			return false, nil
		}
	}
	// A POST without a key could execute twice if repeated.
	if (cl.ep.method == http.MethodPost && cl.key == "") || cl.attempts > c.maxRetries {
		return false, nil
	}
	wait := c.nextWait(cl.attempts-1, resp)
	if deadline, ok := ctx.Deadline(); ok && c.now().Add(wait).After(deadline) {
		cl.stopped = fmt.Errorf("next attempt in %s would start after the context deadline: %w", wait, context.DeadlineExceeded)
		return false, nil
	}
	if c.logger != nil {
		c.logger.LogAttrs(ctx, slog.LevelInfo, "tokenim: retrying",
			slog.String("op", cl.ep.op), slog.String("method", cl.ep.method), slog.String("path", cl.path),
			slog.Int("attempt", cl.attempts), slog.Duration("wait", wait), slog.String("idempotency_key", cl.key))
	}
	if c.onWait != nil {
		wait = c.onWait(wait)
	}
	cl.wait, cl.retrying = wait, true

	return true, nil
}

// backoff is the call's Backoff: go-retryablehttp calls it right after
// checkRetry asked for another attempt, and it returns the wait checkRetry
// picked. The pick cannot move here: it needs the call's deadline, and the
// loop passes Backoff no context (nor, after a transport error, an answer).
func (cl *call) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration { return cl.wait }

// nextWait is the wait before retry number attempt+1: Retry-After (seconds or
// HTTP-date) when present, otherwise exponential backoff with full jitter,
// random in [0, min(retryMax, retryMin·2^attempt)].
func (c *Client) nextWait(attempt int, resp *http.Response) time.Duration {
	if resp != nil {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
			return d
		}
	}
	ceiling := c.retryMax
	if attempt < 30 {
		if d := c.retryMin << attempt; d > 0 && d < c.retryMax {
			ceiling = d
		}
	}
	return c.jitter(ceiling)
}

// fail turns how the attempts ended into the call's error. doErr is what
// go-retryablehttp returned: the context's error when it ended a wait.
func (cl *call) fail(doErr error) error {
	switch {
	case cl.retrying:
		return cl.endedByContext(fmt.Errorf("waiting to retry: %w", doErr))
	case cl.stopped != nil:
		return cl.endedByContext(cl.stopped)
	}
	if apiErr, ok := cl.last.(*Error); ok {
		if cl.lostAnswer && apiErr.retryable() {
			// An earlier attempt may have committed; this answer (503, 429,
			// 409 in use…) says nothing of it. Only a replay with the key can.
			return cl.unknownOutcome(apiErr)
		}
		return apiErr
	}
	err := cl.last
	if err == nil {
		err = doErr
	}
	prefix := "tokenim: " + cl.ep.method + " " + cl.path + ": "
	switch {
	case cl.lostAnswer:
		return cl.unknownOutcome(err)
	case cl.ctx.Err() != nil:
		return fmt.Errorf("%s%w", prefix, err)
	case neverSent(err):
		return &transportError{neverSent: true, retryable: !isPermanentTransportError(err), err: err,
			msg: prefix + "could not reach " + cl.c.baseURL + ", so nothing was sent (check the base URL, WithBaseURL, and the network): " + err.Error()}
	case isPermanentTransportError(err):
		return fmt.Errorf("%s%w", prefix, err)
	}
	// The caller's context is alive, so this was the network or the
	// per-attempt timeout (which net/http also reports as
	// context.DeadlineExceeded): worth trying again later.
	return &transportError{retryable: true, err: err, msg: prefix + err.Error()}
}

// endedByContext reports a call whose context ended between attempts. If an
// attempt may have landed without an answer the outcome of a POST is
// unknown; otherwise the last answer is kept in the chain next to the
// context's error.
func (cl *call) endedByContext(ctxErr error) error {
	if cl.lostAnswer {
		return cl.unknownOutcome(fmt.Errorf("%w (last attempt: %w)", ctxErr, cl.last))
	}
	return fmt.Errorf("tokenim: %s %s: %w (last answer: %w)", cl.ep.method, cl.path, ctxErr, cl.last)
}

// unknownOutcome is the one constructor of UnknownOutcomeError.
func (cl *call) unknownOutcome(err error) *UnknownOutcomeError {
	return &UnknownOutcomeError{Method: cl.ep.method, Path: cl.path, IdempotencyKey: cl.key, Attempts: cl.attempts, Err: err}
}

// setMeta records the metadata of the final response for Do and WithResponse.
func (cl *call) setMeta(resp *http.Response) {
	if cl.response == nil && !cl.wantMeta {
		return
	}
	if resp != nil {
		cl.meta = &Response{
			StatusCode:     resp.StatusCode,
			RequestID:      resp.Header.Get("Request-Id"),
			IdempotencyKey: cl.key,
			Replayed:       resp.Header.Get("Idempotent-Replayed") == "true",
			Header:         resp.Header,
		}
	}
	if cl.response != nil {
		if cl.meta != nil {
			*cl.response = *cl.meta
		} else {
			*cl.response = Response{IdempotencyKey: cl.key}
		}
	}
}

// decode reads a 2xx answer into v, at most maxResponseBytes of it.
func (cl *call) decode(resp *http.Response, v any) error {
	defer drainClose(resp.Body)
	if v == nil {
		return nil
	}
	cl.capped = cappedReader{r: resp.Body, left: cl.c.maxResponseBytes}
	var err error
	if raw, ok := v.(*rawBody); ok {
		raw.contentType = resp.Header.Get("Content-Type")
		raw.data, err = io.ReadAll(&cl.capped)
	} else if p, ok := v.(*Payment); ok && cl.fresh {
		err = decodePayment(&cl.capped, resp.ContentLength, cl.c.maxResponseBytes, p)
	} else {
		err = json.NewDecoder(&cl.capped).Decode(v)
	}
	if err == nil {
		return nil
	}
	prefix := "tokenim: " + cl.ep.method + " " + cl.path + ": "
	requestID := resp.Header.Get("Request-Id")
	if errors.Is(err, errResponseTooLarge) {
		return fmt.Errorf("%sthe %d answer (request %s) is larger than %d bytes, the limit set by WithMaxResponseBytes: %w",
			prefix, resp.StatusCode, requestID, cl.c.maxResponseBytes, err)
	}
	if ctxErr := cl.ctx.Err(); ctxErr != nil {
		err = ctxErr
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if cl.ep.method == http.MethodPost && !errors.As(err, &syntaxErr) && !errors.As(err, &typeErr) {
		// The platform answered 2xx but the body was cut off: the effect
		// happened and only a replay with the same key can show it.
		return cl.unknownOutcome(fmt.Errorf("read response (request %s): %w", requestID, err))
	}
	return fmt.Errorf("%sdecode response (request %s): %w", prefix, requestID, err)
}

var errResponseTooLarge = errors.New("response body too large")

// acceptRaw is the Accept of a call read into a rawBody: a statement
// (text/csv), or a problem (application/problem+json) when it fails.
var acceptRaw = []string{"text/csv, application/problem+json;q=0.9, */*;q=0.1"}

// rawBody receives a 2xx answer that is not JSON — a settlement's text/csv
// statement (docs/tokenim-api.md §9) — as its bytes and content type, read
// whole within WithMaxResponseBytes: fetch[rawBody] is the call.
type rawBody struct {
	contentType string
	data        []byte
}

// cappedReader fails with errResponseTooLarge past left bytes.
type cappedReader struct {
	r    io.Reader
	left int64
}

func (r *cappedReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		var one [1]byte
		n, err := r.r.Read(one[:])
		if n > 0 {
			return 0, errResponseTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.r.Read(p)
	r.left -= int64(n)
	return n, err
}

// transportError is a failure to get any answer while the caller's context
// was still alive. One that proves nothing was sent (name resolution,
// connection refused, TLS handshake) matches ErrUnavailable.
type transportError struct {
	msg       string
	err       error
	neverSent bool
	retryable bool
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// Is matches ErrUnavailable when the request provably never left.
func (e *transportError) Is(target error) bool { return e.neverSent && target == ErrUnavailable }

// neverSent reports failures that prove the request never reached the
// platform: name resolution, a refused or failed dial, a TLS handshake
// failure, a bad URL (docs/tokenim-api.md §3).
func neverSent(err error) bool {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var alert tls.AlertError
	if errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &alert) ||
		(errors.As(err, &opErr) && opErr.Op == "dial") || isPermanentTransportError(err) {
		return true
	}
	return strings.Contains(err.Error(), "TLS handshake") // net/http's handshake timeout has no type
}

// isPermanentTransportError reports failures that repeating cannot fix and
// that prove nothing reached the server: TLS verification, bad URLs.
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
	return strings.Contains(msg, "unsupported protocol scheme") || strings.Contains(msg, "invalid header")
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
func (c *Client) logAttempt(cl *call, resp *http.Response, err error) {
	if c.logger == nil || !c.logger.Enabled(cl.ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("op", cl.ep.op), slog.String("method", cl.ep.method), slog.String("path", cl.path),
		slog.Int("attempt", cl.attempts), slog.String("idempotency_key", cl.key),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode), slog.String("request_id", resp.Header.Get("Request-Id")))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.logger.LogAttrs(cl.ctx, slog.LevelDebug, "tokenim: request", attrs...)
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
