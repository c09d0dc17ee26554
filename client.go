package tokenim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Version is the version of this SDK, sent in the User-Agent.
const Version = "0.1.0"

// APIVersion is the Tokenim API version this SDK speaks, sent as
// Tokenim-Version on every call.
const APIVersion = "2026-11-01"

// Base URLs of the platform. A test key (sk_test_) defaults to the sandbox,
// a live key (sk_live_) to live.
const (
	DefaultLiveURL    = "https://api.tokenim.com"
	DefaultSandboxURL = "https://sandbox.tokenim.com"
)

const (
	defaultMaxRetries = 3
	defaultRetryMin   = 500 * time.Millisecond
	defaultRetryMax   = 8 * time.Second
	defaultTimeout    = 80 * time.Second
)

// Client talks to the Tokenim API. It is safe for concurrent use; create one
// per API key and reuse it.
//
// No format verb and no slog handler reaches the API key: the key is held
// only inside a function value (auth), which reflection cannot look into.
type Client struct {
	// Orders manages orders.
	Orders *OrdersService
	// Payments manages payments.
	Payments *PaymentsService
	// Refunds manages refunds.
	Refunds *RefundsService
	// Disputes answers disputes with evidence before their deadline.
	Disputes *DisputesService
	// Events lists events for reconciliation.
	Events *EventsService
	// WebhookEndpoints manages webhook endpoints.
	WebhookEndpoints *WebhookEndpointsService
	// WebhookDeliveries lists the deliveries of events to an endpoint.
	WebhookDeliveries *WebhookDeliveriesService
	// Status reads the platform status.
	Status *StatusService
	// APIKeys lists, rolls and revokes the merchant's API keys.
	APIKeys *APIKeysService
	// RequestLogs reads the record of the merchant's API calls.
	RequestLogs *RequestLogsService
	// Balance reads the merchant's balance.
	Balance *BalanceService
	// BalanceTransactions lists the movements of the merchant's money.
	BalanceTransactions *BalanceTransactionsService
	// Settlements reads the daily payouts and their statements.
	Settlements *SettlementsService

	common service

	// auth sets Authorization and Tokenim-Merchant-Id on a request. The key
	// lives only in this closure, so fmt and slog cannot print it; with
	// WithAPIKeyFunc it asks the caller's function for the key (keysource.go).
	auth       func(context.Context, http.Header) error
	mode       string // "test" or "live", from the key's prefix; "" with WithAPIKeyFunc
	merchantID string
	baseURL    string    // without trailing slash
	urls       *urlCache // absolute URLs of the routes without id
	userAgent  []string
	logger     *slog.Logger

	observer      Observer // nil: no hook runs
	serverAddress string   // host and port of baseURL, for the observer
	serverPort    int

	http             *http.Client // never follows redirects; its transport cannot close idle connections
	closeIdle        func()       // closes the caller's (or the shared) transport's idle connections
	maxRetries       int
	retryMin         time.Duration
	retryMax         time.Duration
	maxResponseBytes int64

	// Test hooks. now is the clock; jitter picks a wait in [0, max]; sleep
	// waits between polls of Payments.Wait; onWait, when set, sees every
	// retry wait the policy picks and returns the wait actually slept, so
	// tests record waits without sleeping them.
	now    func() time.Time
	jitter func(max time.Duration) time.Duration
	sleep  func(ctx context.Context, d time.Duration) error
	onWait func(time.Duration) time.Duration

	calls *sync.Pool // call states, each with go-retryablehttp configured for this client
}

// service is shared by every resource service (go-github style), so a new
// resource is one small file.
type service struct{ client *Client }

// String describes the client without its API key.
func (c Client) String() string {
	return "tokenim.Client{baseURL: " + c.baseURL + ", merchantID: " + c.merchantID + ", apiKey: " + c.keyLabel() + "}"
}

// Format prints String for every verb, so no verb reaches the key.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps the key out of slog output.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.baseURL), slog.String("merchant_id", c.merchantID),
		slog.String("api_key", c.keyLabel()))
}

// Option configures a Client in NewClient.
type Option func(*config) error

type config struct {
	baseURL          string
	merchantID       string
	httpClient       *http.Client
	maxRetries       int
	retryMin         time.Duration
	retryMax         time.Duration
	timeout          time.Duration
	timeoutSet       bool
	maxResponseBytes int64
	logger           *slog.Logger
	observer         Observer
	appInfo          string
	keyFunc          func(context.Context) (string, error)
}

// DefaultMaxResponseBytes is how large a successful answer may be unless
// WithMaxResponseBytes says otherwise. The largest answer of the API (a list
// page of 100 objects with full metadata) stays far below it.
const DefaultMaxResponseBytes = 16 << 20

// WithBaseURL sets the API base URL (for example a sandbox's URL). It must be
// an absolute http or https URL without query or fragment.
func WithBaseURL(u string) Option {
	return func(s *config) error {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" || p.User != nil {
			return &ValidationError{Field: "base URL", Reason: "must be an absolute http:// or https:// URL without credentials, query or fragment"}
		}
		s.baseURL = strings.TrimSuffix(p.String(), "/")
		return nil
	}
}

// WithMerchantID sets the merchant id (mch_…) sent as Tokenim-Merchant-Id.
// It is required.
func WithMerchantID(id string) Option {
	return func(s *config) error {
		if !strings.HasPrefix(id, "mch_") || len(id) == len("mch_") || !isToken(id) {
			return &ValidationError{Field: "merchant id", Reason: "must look like mch_… (visible ASCII, no spaces)"}
		}
		s.merchantID = id
		return nil
	}
}

// WithHTTPClient sets the HTTP client that carries each attempt. The SDK's
// retry layer sits above it and uses a copy: the caller's client is never
// changed. Whatever its CheckRedirect says, the SDK never follows a redirect
// (docs/tokenim-api.md §1).
func WithHTTPClient(hc *http.Client) Option {
	return func(s *config) error {
		if hc == nil {
			return &ValidationError{Field: "http client", Reason: "must not be nil"}
		}
		s.httpClient = hc
		return nil
	}
}

// WithMaxRetries sets how many times a retryable call is repeated (default 3;
// 0 disables retries).
func WithMaxRetries(n int) Option {
	return func(s *config) error {
		if n < 0 || n > 10 {
			return &ValidationError{Field: "max retries", Reason: "must be between 0 and 10"}
		}
		s.maxRetries = n
		return nil
	}
}

// WithRetryWait sets the backoff base and cap (defaults 0.5 s and 8 s). The
// cap is also the longest Retry-After the client waits out: a longer one ends
// the call with the answer, its RetryAfter set (docs/tokenim-api.md §3).
func WithRetryWait(min, max time.Duration) Option {
	return func(s *config) error {
		if min <= 0 || max < min {
			return &ValidationError{Field: "retry wait", Reason: "needs 0 < min <= max"}
		}
		s.retryMin, s.retryMax = min, max
		return nil
	}
}

// WithTimeout bounds each attempt (connection, request and response body;
// default: the Timeout of the WithHTTPClient client if set, else 80 s). The
// caller's context bounds the whole call.
func WithTimeout(d time.Duration) Option {
	return func(s *config) error {
		if d <= 0 {
			return &ValidationError{Field: "timeout", Reason: "must be positive"}
		}
		s.timeout, s.timeoutSet = d, true
		return nil
	}
}

// WithMaxResponseBytes bounds the body of a successful answer (default
// DefaultMaxResponseBytes); a larger one ends the call with an error saying
// so, instead of filling memory.
func WithMaxResponseBytes(n int64) Option {
	return func(s *config) error {
		if n < 1<<10 {
			return &ValidationError{Field: "max response bytes", Reason: "must be at least 1024"}
		}
		s.maxResponseBytes = n
		return nil
	}
}

// WithLogger logs each attempt at debug level and retries at info level.
// Logging is off by default. Keys, card data and bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *config) error {
		s.logger = l
		return nil
	}
}

// WithAppInfo adds the merchant's application to the User-Agent, as
// "name/version (+url)". Version and url may be empty.
func WithAppInfo(name, version, url string) Option {
	return func(s *config) error {
		if name == "" || !isToken(name) || (version != "" && !isToken(version)) || (url != "" && !isToken(url)) {
			return &ValidationError{Field: "app info", Reason: "name is required; name, version and url must be visible ASCII without spaces"}
		}
		info := name
		if version != "" {
			info += "/" + version
		}
		if url != "" {
			info += " (+" + url + ")"
		}
		s.appInfo = info
		return nil
	}
}

// NewClient returns a client for apiKey (sk_test_… or sk_live_…). It checks
// the key and every option before any request and returns the first error;
// no error text contains the key.
//
// apiKey is empty when WithAPIKeyFunc supplies the key for each call instead.
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	var mode string
	switch {
	case apiKey == "":
		// Checked after the options: WithAPIKeyFunc may supply the keys.
	case strings.HasPrefix(apiKey, "sk_test_"):
		mode = "test"
	case strings.HasPrefix(apiKey, "sk_live_"):
		mode = "live"
	default:
		return nil, &ValidationError{Field: "api key", Reason: "must start with sk_test_ or sk_live_"}
	}
	if mode != "" && (len(apiKey) == len("sk_test_") || !isToken(apiKey)) {
		return nil, &ValidationError{Field: "api key", Reason: "must be sk_test_ or sk_live_ followed by visible ASCII characters"}
	}
	s := config{
		maxRetries:       defaultMaxRetries,
		retryMin:         defaultRetryMin,
		retryMax:         defaultRetryMax,
		timeout:          defaultTimeout,
		maxResponseBytes: DefaultMaxResponseBytes,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
	}
	switch {
	case apiKey == "" && s.keyFunc == nil:
		return nil, &ValidationError{Field: "api key", Reason: "is empty"}
	case apiKey != "" && s.keyFunc != nil:
		return nil, &ValidationError{Field: "api key", Reason: "give either a key or WithAPIKeyFunc, not both (pass \"\" as the key)"}
	case s.keyFunc != nil && s.baseURL == "":
		return nil, &ValidationError{Field: "base URL", Reason: "is required with WithAPIKeyFunc (WithBaseURL), since no key says test or live"}
	}
	if s.merchantID == "" {
		return nil, &ValidationError{Field: "merchant id", Reason: "is required (WithMerchantID)"}
	}
	if s.baseURL == "" {
		s.baseURL = DefaultSandboxURL
		if mode == "live" {
			s.baseURL = DefaultLiveURL
		}
	}
	if s.keyFunc != nil {
		if checkKeyMatchesHost("test", s.baseURL) != nil && checkKeyMatchesHost("live", s.baseURL) != nil {
			return nil, &ValidationError{Field: "base URL", Reason: "no key can be sent to it: a live key needs https://, a test key a host other than api.tokenim.com"}
		}
	} else if err := checkKeyMatchesHost(mode, s.baseURL); err != nil {
		return nil, err
	}

	hc := &http.Client{}
	if s.httpClient != nil {
		copied := *s.httpClient // never mutate the caller's client
		hc = &copied
	}
	if hc.Transport == nil {
		hc.Transport = defaultTransport()
	}
	if s.timeoutSet || hc.Timeout == 0 { // keep a timeout the caller's client already has
		hc.Timeout = s.timeout
	}
	// A 3xx comes back as an answer, never followed: net/http would re-send
	// the body (card data) and the key to wherever Location points
	// (docs/tokenim-api.md §1).
	hc.CheckRedirect = neverFollow
	closeIdle := func() {}
	if ci, ok := hc.Transport.(interface{ CloseIdleConnections() }); ok {
		closeIdle = ci.CloseIdleConnections
	}
	// The attempt timeout moves into attemptTransport: net/http arms a
	// timer and a goroutine per request for a Client.Timeout over a
	// transport it does not know, a context deadline costs far less.
	hc.Transport = &attemptTransport{rt: hc.Transport, timeout: hc.Timeout}
	hc.Timeout = 0

	ua := "tokenim-go/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	if s.appInfo != "" {
		ua += " " + s.appInfo
	}
	authHeader, merchantHeader := []string{"Bearer " + apiKey}, []string{s.merchantID}
	auth := func(_ context.Context, h http.Header) error {
		h["Authorization"] = authHeader
		h["Tokenim-Merchant-Id"] = merchantHeader
		return nil
	}
	if s.keyFunc != nil {
		auth = keyFuncAuth(s.keyFunc, s.baseURL, merchantHeader)
	}
	c := &Client{
		auth:             auth,
		mode:             mode,
		merchantID:       s.merchantID,
		baseURL:          s.baseURL,
		urls:             new(urlCache),
		userAgent:        []string{ua},
		logger:           s.logger,
		observer:         s.observer,
		http:             hc,
		closeIdle:        closeIdle,
		maxRetries:       s.maxRetries,
		retryMin:         s.retryMin,
		retryMax:         s.retryMax,
		maxResponseBytes: s.maxResponseBytes,
		now:              time.Now,
		jitter:           randomJitter,
		sleep:            sleepContext,
	}
	c.calls = &sync.Pool{New: c.newPooledCall}
	c.serverAddress, c.serverPort = serverOf(c.baseURL)
	c.common.client = c
	c.Orders = (*OrdersService)(&c.common)
	c.Payments = (*PaymentsService)(&c.common)
	c.Refunds = (*RefundsService)(&c.common)
	c.Disputes = (*DisputesService)(&c.common)
	c.Events = (*EventsService)(&c.common)
	c.WebhookEndpoints = (*WebhookEndpointsService)(&c.common)
	c.WebhookDeliveries = (*WebhookDeliveriesService)(&c.common)
	c.Status = (*StatusService)(&c.common)
	c.APIKeys = (*APIKeysService)(&c.common)
	c.RequestLogs = (*RequestLogsService)(&c.common)
	c.Balance = (*BalanceService)(&c.common)
	c.BalanceTransactions = (*BalanceTransactionsService)(&c.common)
	c.Settlements = (*SettlementsService)(&c.common)
	return c, nil
}

// checkKeyMatchesHost keeps a live key away from plain http and the sandbox
// host, and a test key away from the live host (docs/tokenim-api.md §1). Host
// names are compared normalised (case, trailing dot, any port), so
// https://SANDBOX.tokenim.com.:443 is the sandbox too.
func checkKeyMatchesHost(mode, baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return &ValidationError{Field: "base URL", Reason: "must be an absolute http:// or https:// URL"}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	switch {
	case mode == "live" && u.Scheme != "https":
		return &ValidationError{Field: "base URL", Reason: "a live key is never sent over http://; use https://"}
	case mode == "live" && host == "sandbox.tokenim.com":
		return &ValidationError{Field: "api key", Reason: "a live key does not work against the sandbox; use a sk_test_ key"}
	case mode == "test" && host == "api.tokenim.com":
		return &ValidationError{Field: "api key", Reason: "a test key does not work against live; use a sk_live_ key or the sandbox URL"}
	}
	return nil
}

func neverFollow(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// attemptTransport carries attempts for go-retryablehttp and bounds each by
// timeout, from sending the request to closing the answer's body. It has no
// CloseIdleConnections on purpose: go-retryablehttp calls it on every failed
// call, which on a shared transport would drop the idle connections of every
// other client.
type attemptTransport struct {
	rt      http.RoundTripper
	timeout time.Duration
}

// RoundTrip sends one attempt.
func (t *attemptTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if d, ok := r.Context().Deadline(); ok && time.Until(d) <= t.timeout {
		return t.rt.RoundTrip(r) // the caller's deadline comes first anyway
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.timeout)
	resp, err := t.rt.RoundTrip(r.WithContext(ctx))
	if err != nil {
		// Ask before cancel: afterwards every context reports an error, and
		// every failure (a refused dial, a dropped connection) would read
		// as a timeout.
		expired := ctx.Err() == context.DeadlineExceeded && r.Context().Err() == nil
		cancel()
		if expired {
			return nil, &attemptTimeoutError{err: err, timeout: t.timeout}
		}
		return nil, closedOrAsIs(err)
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// attemptTimeoutError is an attempt that ran out of its own time (WithTimeout)
// while the caller's context was alive: a timeout, worth retrying.
type attemptTimeoutError struct {
	err     error
	timeout time.Duration
}

func (e *attemptTimeoutError) Error() string {
	return "attempt timed out after " + e.timeout.String() + " (WithTimeout): " + e.err.Error()
}
func (e *attemptTimeoutError) Unwrap() error { return e.err }
func (e *attemptTimeoutError) Timeout() bool { return true }

// closedOrAsIs names a connection the server closed (or reset) before it
// answered: once the request was sent, its outcome is unknown
// (docs/tokenim-api.md §3). Other errors are returned unchanged.
func closedOrAsIs(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		if !neverSent(err) {
			return &connectionClosedError{err: err}
		}
	}
	return err
}

// connectionClosedError is a connection that closed before an answer came.
type connectionClosedError struct{ err error }

func (e *connectionClosedError) Error() string {
	return "the connection closed before an answer: " + e.err.Error()
}
func (e *connectionClosedError) Unwrap() error { return e.err }

// cancelOnClose ends an attempt's context once its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// CloseIdleConnections closes the keep-alive connections the client's
// transport holds idle, so a program or test that is done with the client
// leaves no connection or goroutine behind. The client stays usable: a later
// call opens a new connection. Clients built without WithHTTPClient share one
// transport, whose idle connections this closes for all of them.
func (c *Client) CloseIdleConnections() { c.closeIdle() }

var (
	defaultTransportOnce sync.Once
	sharedTransport      *http.Transport
)

// defaultTransport is one pooled transport shared by clients built without
// WithHTTPClient, so many clients do not each hold their own idle pool.
func defaultTransport() http.RoundTripper {
	defaultTransportOnce.Do(func() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		sharedTransport = t
	})
	return sharedTransport
}

// isToken reports whether s is non-empty visible ASCII (0x21–0x7E).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// RequestOption adjusts one call.
type RequestOption func(*requestConfig) error

type requestConfig struct {
	idempotencyKey string
	response       *Response
}

// WithIdempotencyKey sends key as the call's Idempotency-Key (POST only)
// instead of a random one. Use it to resume a call whose outcome was unknown.
// The key must be 1–255 visible ASCII characters.
func WithIdempotencyKey(key string) RequestOption {
	return func(s *requestConfig) error {
		if err := validateIdempotencyKey(key); err != nil {
			return err
		}
		s.idempotencyKey = key
		return nil
	}
}

// WithResponse fills r with the response metadata after the call, also when
// the call returns an error.
func WithResponse(r *Response) RequestOption {
	return func(s *requestConfig) error {
		s.response = r
		return nil
	}
}

// Response is the metadata of the last response a call received.
type Response struct {
	StatusCode     int
	RequestID      string
	IdempotencyKey string
	Replayed       bool
	Header         http.Header
}

// Request is one API call prepared by NewRequest. Its body is encoded once
// and re-sent unchanged on every attempt. Calling Do again on it repeats the
// call with the same key.
//
// No format verb and no slog handler shows the body (it may hold card data):
// it is held only inside a function value.
type Request struct {
	// Method and Path (with any query string) name the route.
	Method string
	Path   string
	// IdempotencyKey is sent as Idempotency-Key on a POST. NewRequest fills it
	// (the caller's key or a fresh UUIDv4); a POST whose key is cleared is
	// never retried.
	IdempotencyKey string

	ctx      context.Context
	body     func() []byte
	response *Response
}

// String names the request's route and key, never its body.
func (r Request) String() string {
	n := 0
	if r.body != nil {
		n = len(r.body())
	}
	return "tokenim.Request{Method: " + r.Method + ", Path: " + r.Path + ", IdempotencyKey: " + r.IdempotencyKey +
		", Body: " + strconv.Itoa(n) + " bytes}"
}

// Format prints String for every verb.
func (r Request) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue keeps the body out of slog output.
func (r Request) LogValue() slog.Value { return slog.StringValue(r.String()) }

// NewRequest prepares a call of method on path ("/v1/…", optionally with a
// query string). body, if not nil, is encoded as JSON.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any, opts ...RequestOption) (*Request, error) {
	cl, err := c.newCall(ctx, endpoint{op: "Client.Do", method: method, route: path}, "", body, opts)
	if err != nil {
		return nil, err
	}
	// Read what the Request keeps before release hands cl back to the pool.
	b, key, resp := cl.body, cl.key, cl.response
	cl.release()
	return &Request{Method: method, Path: path, IdempotencyKey: key, ctx: ctx, body: func() []byte { return b }, response: resp}, nil
}

// Do sends req, retrying as the contract allows, and decodes a successful
// JSON answer into v (if not nil). A non-2xx answer is returned as *Error; a
// POST whose outcome is unknown as *UnknownOutcomeError. The returned
// *Response describes the last response received (nil if none).
func (c *Client) Do(req *Request, v any) (*Response, error) {
	if req == nil || req.ctx == nil || req.body == nil {
		return nil, &ValidationError{Field: "request", Reason: "must come from NewRequest"}
	}
	cl := c.newCallState()
	defer cl.release()
	cl.c, cl.ctx, cl.ep = c, req.ctx, endpoint{op: "Client.Do", method: req.Method, route: req.Path}
	cl.path, cl.key, cl.body, cl.response, cl.wantMeta = req.Path, req.IdempotencyKey, req.body(), req.response, true
	err := cl.run(v)
	return cl.meta, err
}

// newCall validates and encodes one call of ep: id fills the route's {id}.
func (c *Client) newCall(ctx context.Context, ep endpoint, id string, body any, opts []RequestOption) (*call, error) {
	if ctx == nil {
		return nil, &ValidationError{Field: "context", Reason: "must not be nil"}
	}
	path := ep.route
	if ep.idPrefix != "" {
		if err := validateID("id", ep.idPrefix, id); err != nil {
			return nil, err
		}
		path = strings.Replace(path, "{id}", id, 1)
	}
	if !strings.HasPrefix(path, "/") {
		return nil, &ValidationError{Field: "path", Reason: "must start with /"}
	}
	var rc requestConfig
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&rc); err != nil {
			return nil, err
		}
	}
	cl := c.newCallState()
	cl.c, cl.ctx, cl.ep, cl.path, cl.key, cl.response = c, ctx, ep, path, rc.idempotencyKey, rc.response
	if body != nil {
		var err error
		if cl.body, err = encodeJSON(body); err != nil {
			cl.release()
			return nil, fmt.Errorf("tokenim: %s %s: encode body: %w", ep.method, path, err)
		}
	}
	if ep.method == http.MethodPost && cl.key == "" {
		cl.key = newIdempotencyKey()
	}
	return cl, nil
}

// encodeJSON encodes v once for every attempt, without HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(wireForm(v)); err != nil { // card data in clear, on the wire only (payments.go)
		return nil, err
	}
	return bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// drainClose reads what is left of a body (bounded) and closes it, so the
// connection can be reused.
func drainClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	lr := limitedPool.Get().(*io.LimitedReader)
	lr.R, lr.N = body, 64<<10
	_, _ = io.Copy(io.Discard, lr)
	lr.R = nil
	limitedPool.Put(lr)
	_ = body.Close()
}

// limitedPool saves drainClose an allocation per call on the hot path.
var limitedPool = sync.Pool{New: func() any { return new(io.LimitedReader) }}
