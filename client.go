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
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
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
type Client struct {
	// Orders manages orders.
	Orders *OrdersService
	// Payments manages payments.
	Payments *PaymentsService
	// Refunds manages refunds.
	Refunds *RefundsService
	// Events lists events for reconciliation.
	Events *EventsService
	// WebhookEndpoints manages webhook endpoints.
	WebhookEndpoints *WebhookEndpointsService
	// Status reads the platform status.
	Status *StatusService

	common service

	apiKey     string
	authHeader []string
	merchantID []string
	baseURL    string // without trailing slash
	userAgent  []string
	logger     *slog.Logger

	http       *retryablehttp.Client
	maxRetries int
	retryMin   time.Duration
	retryMax   time.Duration

	// Test hooks: the clock, the sleeper used between retries and the
	// jitter source. Tests replace them so that no test sleeps for real.
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(max time.Duration) time.Duration
}

// service is shared by every resource service (go-github style), so a new
// resource is one small file.
type service struct{ client *Client }

// String describes the client without its API key.
func (c Client) String() string {
	return fmt.Sprintf("tokenim.Client{baseURL: %s, merchantID: %s, apiKey: %s}", c.baseURL, strings.Join(c.merchantID, ""), redactKey(c.apiKey))
}

// GoString is String, so %#v never prints the key.
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb, so no verb reaches the key.
func (c Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue keeps the key out of slog output.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.baseURL), slog.String("api_key", redactKey(c.apiKey)))
}

// redactKey keeps only the mode prefix of a key.
func redactKey(k string) string {
	switch {
	case strings.HasPrefix(k, "sk_test_"):
		return "sk_test_[REDACTED]"
	case strings.HasPrefix(k, "sk_live_"):
		return "sk_live_[REDACTED]"
	}
	return "[REDACTED]"
}

// Option configures a Client in NewClient.
type Option func(*settings) error

type settings struct {
	baseURL    string
	merchantID string
	httpClient *http.Client
	maxRetries int
	retryMin   time.Duration
	retryMax   time.Duration
	timeout    time.Duration
	timeoutSet bool
	logger     *slog.Logger
	appInfo    string
}

// WithBaseURL sets the API base URL (for example a sandbox's URL). It must be
// an absolute http or https URL without query or fragment.
func WithBaseURL(u string) Option {
	return func(s *settings) error {
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
	return func(s *settings) error {
		if !strings.HasPrefix(id, "mch_") || len(id) == len("mch_") || !isToken(id) {
			return &ValidationError{Field: "merchant id", Reason: "must look like mch_… (visible ASCII, no spaces)"}
		}
		s.merchantID = id
		return nil
	}
}

// WithHTTPClient sets the HTTP client that carries each attempt. The SDK's
// retry layer sits above it; its Transport is used as is.
func WithHTTPClient(hc *http.Client) Option {
	return func(s *settings) error {
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
	return func(s *settings) error {
		if n < 0 || n > 10 {
			return &ValidationError{Field: "max retries", Reason: "must be between 0 and 10"}
		}
		s.maxRetries = n
		return nil
	}
}

// WithRetryWait sets the backoff base and cap (defaults 0.5 s and 8 s). The
// cap also bounds any Retry-After the platform asks for.
func WithRetryWait(min, max time.Duration) Option {
	return func(s *settings) error {
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
	return func(s *settings) error {
		if d <= 0 {
			return &ValidationError{Field: "timeout", Reason: "must be positive"}
		}
		s.timeout, s.timeoutSet = d, true
		return nil
	}
}

// WithLogger logs each attempt at debug level and retries at info level.
// Logging is off by default. Keys, card data and bodies are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) error {
		s.logger = l
		return nil
	}
}

// WithAppInfo adds the merchant's application to the User-Agent, as
// "name/version (+url)". Version and url may be empty.
func WithAppInfo(name, version, url string) Option {
	return func(s *settings) error {
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
func NewClient(apiKey string, opts ...Option) (*Client, error) {
	var mode string
	switch {
	case apiKey == "":
		return nil, &ValidationError{Field: "api key", Reason: "is empty"}
	case strings.HasPrefix(apiKey, "sk_test_"):
		mode = "test"
	case strings.HasPrefix(apiKey, "sk_live_"):
		mode = "live"
	default:
		return nil, &ValidationError{Field: "api key", Reason: "must start with sk_test_ or sk_live_"}
	}
	if len(apiKey) == len("sk_test_") || !isToken(apiKey) {
		return nil, &ValidationError{Field: "api key", Reason: "must be sk_test_ or sk_live_ followed by visible ASCII characters"}
	}
	s := settings{
		maxRetries: defaultMaxRetries,
		retryMin:   defaultRetryMin,
		retryMax:   defaultRetryMax,
		timeout:    defaultTimeout,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&s); err != nil {
			return nil, err
		}
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
	u, _ := url.Parse(s.baseURL)
	switch {
	case mode == "live" && u.Scheme != "https":
		return nil, &ValidationError{Field: "base URL", Reason: "a live key is never sent over http://; use https://"}
	case mode == "live" && u.Host == "sandbox.tokenim.com":
		return nil, &ValidationError{Field: "api key", Reason: "a live key does not work against the sandbox; use a sk_test_ key"}
	case mode == "test" && u.Host == "api.tokenim.com":
		return nil, &ValidationError{Field: "api key", Reason: "a test key does not work against live; use a sk_live_ key or the sandbox URL"}
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

	ua := "tokenim-go/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	if s.appInfo != "" {
		ua += " " + s.appInfo
	}
	c := &Client{
		apiKey:     apiKey,
		authHeader: []string{"Bearer " + apiKey},
		merchantID: []string{s.merchantID},
		baseURL:    s.baseURL,
		userAgent:  []string{ua},
		logger:     s.logger,
		http:       newRetryableClient(hc),
		maxRetries: s.maxRetries,
		retryMin:   s.retryMin,
		retryMax:   s.retryMax,
		now:        time.Now,
		sleep:      sleepContext,
		jitter:     randomJitter,
	}
	c.common.client = c
	c.Orders = (*OrdersService)(&c.common)
	c.Payments = (*PaymentsService)(&c.common)
	c.Refunds = (*RefundsService)(&c.common)
	c.Events = (*EventsService)(&c.common)
	c.WebhookEndpoints = (*WebhookEndpointsService)(&c.common)
	c.Status = (*StatusService)(&c.common)
	return c, nil
}

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
type RequestOption func(*requestSettings)

type requestSettings struct {
	idempotencyKey string
	keySet         bool
	response       *Response
}

// WithIdempotencyKey sends key as the call's Idempotency-Key (POST only)
// instead of a random one. Use it to resume a call whose outcome was unknown.
// The key must be 1–255 visible ASCII characters.
func WithIdempotencyKey(key string) RequestOption {
	return func(s *requestSettings) { s.idempotencyKey, s.keySet = key, true }
}

// WithResponse fills r with the response metadata after the call, also when
// the call returns an error.
func WithResponse(r *Response) RequestOption {
	return func(s *requestSettings) { s.response = r }
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
// and re-sent unchanged on every attempt. A Request is used by one Do at a
// time; calling Do again on it repeats the call with the same key.
type Request struct {
	// Method and Path (with any query string) name the route.
	Method string
	Path   string
	// IdempotencyKey is sent as Idempotency-Key on a POST. NewRequest fills it
	// (the caller's key or a fresh UUIDv4); a POST whose key is cleared is
	// never retried.
	IdempotencyKey string

	ctx      context.Context
	body     []byte
	noAuth   bool
	response *Response
	attempts int // set by send
}

// String names the request's route and key, never its body (which may hold
// card data).
func (r *Request) String() string {
	return fmt.Sprintf("tokenim.Request{Method: %s, Path: %s, IdempotencyKey: %s, Body: %d bytes}", r.Method, r.Path, r.IdempotencyKey, len(r.body))
}

// GoString is String, so %#v never prints the body.
func (r *Request) GoString() string { return r.String() }

// Format prints String for every verb.
func (r *Request) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// LogValue keeps the body out of slog output.
func (r *Request) LogValue() slog.Value { return slog.StringValue(r.String()) }

// NewRequest prepares a call of method on path ("/v1/…", optionally with a
// query string). body, if not nil, is encoded as JSON.
func (c *Client) NewRequest(ctx context.Context, method, path string, body any, opts ...RequestOption) (*Request, error) {
	if ctx == nil {
		return nil, &ValidationError{Field: "context", Reason: "must not be nil"}
	}
	if !strings.HasPrefix(path, "/") {
		return nil, &ValidationError{Field: "path", Reason: "must start with /"}
	}
	var rs requestSettings
	for _, o := range opts {
		if o != nil {
			o(&rs)
		}
	}
	r := &Request{Method: method, Path: path, ctx: ctx, response: rs.response}
	if body != nil {
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		err := enc.Encode(body)
		if err == nil {
			r.body = bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		}
		bufPool.Put(buf)
		if err != nil {
			return nil, fmt.Errorf("tokenim: %s %s: encode body: %w", method, path, err)
		}
	}
	if method == http.MethodPost {
		if rs.keySet {
			if err := validateIdempotencyKey(rs.idempotencyKey); err != nil {
				return nil, err
			}
			r.IdempotencyKey = rs.idempotencyKey
		} else {
			r.IdempotencyKey = newIdempotencyKey()
		}
	}
	return r, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Do sends req, retrying as the contract allows, and decodes a successful
// JSON answer into v (if not nil). A non-2xx answer is returned as *Error; a
// POST whose last attempt got no answer as *UnknownOutcomeError. The returned
// *Response describes the last response received (nil if none).
func (c *Client) Do(req *Request, v any) (*Response, error) {
	if req == nil || req.ctx == nil {
		return nil, &ValidationError{Field: "request", Reason: "must come from NewRequest"}
	}
	resp, err := c.send(req)
	var meta *Response
	if resp != nil {
		meta = &Response{
			StatusCode:     resp.StatusCode,
			RequestID:      resp.Header.Get("Request-Id"),
			IdempotencyKey: req.IdempotencyKey,
			Replayed:       resp.Header.Get("Idempotent-Replayed") == "true",
			Header:         resp.Header,
		}
	}
	if req.response != nil {
		if meta != nil {
			*req.response = *meta
		} else {
			*req.response = Response{IdempotencyKey: req.IdempotencyKey}
		}
	}
	if err != nil {
		return meta, err
	}
	defer drainClose(resp.Body)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := decodeError(resp, readErrorBody(resp.Body), c.now())
		apiErr.IdempotencyKey = req.IdempotencyKey
		return meta, apiErr
	}
	if v == nil {
		return meta, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		if ctxErr := req.ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		var syntaxErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		if req.Method == http.MethodPost && !errors.As(err, &syntaxErr) && !errors.As(err, &typeErr) {
			// The platform answered 2xx but the body was cut off: the effect
			// happened and only a replay with the same key can show it.
			return meta, &UnknownOutcomeError{Method: req.Method, Path: req.Path, IdempotencyKey: req.IdempotencyKey,
				Attempts: req.attempts, Err: fmt.Errorf("read response (request %s): %w", meta.RequestID, err)}
		}
		return meta, fmt.Errorf("tokenim: %s %s: decode response (request %s): %w", req.Method, req.Path, meta.RequestID, err)
	}
	return meta, nil
}

// call is the shape of every service method: build, send, decode.
func (c *Client) call(ctx context.Context, method, path string, body, v any, opts []RequestOption) error {
	req, err := c.NewRequest(ctx, method, path, body, opts...)
	if err != nil {
		return err
	}
	_, err = c.Do(req, v)
	return err
}

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
