package sandbox

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Defaults used when no option overrides them.
const (
	// DefaultAPIKey is the API key of the default merchant.
	DefaultAPIKey = "sk_test_sandbox_4eC39HqLyjWDarjtT1zdp7dc"
	// DefaultMerchantID is the id of the default merchant.
	DefaultMerchantID = "mch_sandbox"
	// APIVersion is echoed in Tokenim-Version and stamped on events.
	APIVersion = "2026-11-01"
	// DefaultIdempotencyCapacity is how many live (unexpired) idempotency
	// keys a merchant may hold. A key is never forgotten before its 24 h
	// expire; a keyed POST that would need one more answers 503
	// service_unavailable with Retry-After and executes nothing.
	DefaultIdempotencyCapacity = 100000

	maxRequestLog = 10000
	maxBody       = 1 << 20
)

// Option configures a Sandbox.
type Option func(*config)

type config struct {
	apiKey        string
	merchantID    string
	webhookSecret string
	seed          int64
	seeded        bool
	startTime     time.Time
	frozen        bool
	rateLimit     float64
	idemCapacity  int
	webhookURL    string
	logger        *slog.Logger
}

// WithAPIKey sets the default merchant's API key (sk_test_…).
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithMerchantID sets the default merchant's id (mch_…).
func WithMerchantID(id string) Option { return func(c *config) { c.merchantID = id } }

// WithWebhookSecret sets the secret (whsec_…) that WithWebhookEndpoint signs with.
func WithWebhookSecret(secret string) Option { return func(c *config) { c.webhookSecret = secret } }

// WithSeed makes generated ids reproducible.
func WithSeed(seed int64) Option { return func(c *config) { c.seed, c.seeded = seed, true } }

// WithStartTime starts the sandbox clock at t (it then flows with real time).
func WithStartTime(t time.Time) Option { return func(c *config) { c.startTime = t } }

// WithFrozenClock starts the sandbox clock frozen at t; only Advance moves it.
func WithFrozenClock(t time.Time) Option {
	return func(c *config) { c.startTime, c.frozen = t, true }
}

// WithRateLimit limits each merchant to perSecond requests (burst = rate); 0 is off.
func WithRateLimit(perSecond float64) Option { return func(c *config) { c.rateLimit = perSecond } }

// WithIdempotencyCapacity sets how many live idempotency keys a merchant may
// hold (DefaultIdempotencyCapacity when n <= 0). Past it a new keyed POST
// answers 503 with Retry-After; no live key is ever evicted.
func WithIdempotencyCapacity(n int) Option { return func(c *config) { c.idemCapacity = n } }

// WithWebhookEndpoint registers an endpoint at url for the default merchant,
// subscribed to "*" and signed with the sandbox's webhook secret.
func WithWebhookEndpoint(url string) Option { return func(c *config) { c.webhookURL = url } }

// WithLogger logs one line per request (never keys, secrets or bodies).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// Merchant is one account of the sandbox. Its String form hides the key.
type Merchant struct {
	ID     string
	APIKey string
}

// String returns the merchant id; the API key is never printed.
func (m Merchant) String() string { return m.ID }

// GoString hides the API key from %#v.
func (m Merchant) GoString() string { return "sandbox.Merchant{ID:" + m.ID + "}" }

// Sandbox is the fake platform: its state and an http.Handler. It has no
// listener; see NewServer and Start for one.
type Sandbox struct {
	cfg      config
	clock    *Clock
	sched    *scheduler
	faults   faultState
	delivery deliverer
	log      *slog.Logger
	table    []route

	idMu sync.Mutex
	rng  *mrand.Rand

	mu          sync.Mutex // guards everything below
	merchants   map[string]*merchant
	byKey       map[string]*merchant
	maintenance bool
	statusAt    time.Time
	rateLimit   float64
	requests    []RequestRecord
	reqNext     int // ring position once requests is full

	closeOnce sync.Once
}

// New returns a Sandbox with one default merchant and no listener.
func New(opts ...Option) *Sandbox {
	cfg := config{apiKey: DefaultAPIKey, merchantID: DefaultMerchantID, idemCapacity: DefaultIdempotencyCapacity}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.webhookSecret == "" {
		cfg.webhookSecret = newSecret()
	}
	if cfg.idemCapacity <= 0 {
		cfg.idemCapacity = DefaultIdempotencyCapacity
	}
	seed := cfg.seed
	if !cfg.seeded {
		var b [8]byte
		_, _ = rand.Read(b[:])
		for _, x := range b {
			seed = seed<<8 | int64(x)
		}
	}
	s := &Sandbox{cfg: cfg, log: cfg.logger}
	s.rng = mrand.New(mrand.NewPCG(uint64(seed), 0x746f6b656e696d))
	s.table = s.routes()
	s.clock = newClock(cfg.startTime, cfg.frozen)
	s.sched = newScheduler(s.clock)
	s.delivery.init(s)
	s.sched.settle = s.delivery.wait
	s.sched.afterAdvance = s.sweepIdempotency
	s.resetLocked()
	s.sched.start()
	return s
}

// newSecret returns a fresh whsec_ secret: base64 of 32 random bytes.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// resetLocked builds a fresh state keeping the configured credentials and
// those of merchants added since. The caller holds s.mu or owns s.
func (s *Sandbox) resetLocked() {
	old := s.merchants
	s.merchants = map[string]*merchant{}
	s.byKey = map[string]*merchant{}
	s.addMerchantLocked(s.cfg.merchantID, s.cfg.apiKey)
	for id, m := range old {
		if id != s.cfg.merchantID {
			s.addMerchantLocked(id, m.apiKey)
		}
	}
	s.maintenance = false
	s.statusAt = s.clock.Now()
	s.rateLimit = s.cfg.rateLimit
	s.requests = nil
	s.reqNext = 0
	if s.cfg.webhookURL != "" {
		m := s.merchants[s.cfg.merchantID]
		s.addEndpointLocked(m, s.cfg.webhookURL, []string{"*"}, nil, s.cfg.webhookSecret)
	}
}

func (s *Sandbox) addMerchantLocked(id, key string) *merchant {
	m := newMerchant(id, key, s.cfg.idemCapacity)
	s.merchants[id] = m
	s.byKey[key] = m
	return m
}

// Close stops timers and webhook deliveries and waits for them. It is
// idempotent.
func (s *Sandbox) Close() {
	s.closeOnce.Do(func() {
		s.sched.close()
		s.delivery.close()
	})
}

// Reset returns the sandbox to a fresh state with the same credentials:
// objects, events, idempotency keys, faults, maintenance, request log,
// deliveries and scheduled jobs are dropped. The clock is not moved back.
func (s *Sandbox) Reset() {
	s.sched.clear()
	s.faults.clear()
	s.delivery.reset()
	s.mu.Lock()
	s.resetLocked()
	s.mu.Unlock()
}

// sweepIdempotency drops every idempotency key that expired by now.
func (s *Sandbox) sweepIdempotency() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, m := range s.merchants {
		m.idem.sweep(now)
	}
}

// Clock returns the sandbox clock.
func (s *Sandbox) Clock() *Clock { return s.clock }

// Advance moves the sandbox clock by d and runs everything that falls due
// (order expiries, settlements, refunds, idempotency expiry, webhook
// retries) in time order before returning the new sandbox time. It waits for
// the webhook attempts it starts, so a webhook receiver must not call it from
// its handler.
func (s *Sandbox) Advance(d time.Duration) time.Time { return s.clock.Advance(d) }

// DefaultMerchant returns the merchant configured by the options.
func (s *Sandbox) DefaultMerchant() Merchant {
	return Merchant{ID: s.cfg.merchantID, APIKey: s.cfg.apiKey}
}

// AddMerchant creates another merchant with its own key; merchants never see
// each other's objects.
func (s *Sandbox) AddMerchant() Merchant {
	id := "mch_" + s.randomID(16)
	key := "sk_test_" + s.randomID(24)
	s.mu.Lock()
	s.addMerchantLocked(id, key)
	s.mu.Unlock()
	return Merchant{ID: id, APIKey: key}
}

// RestrictMerchant restricts (or lifts the restriction on) a merchant: a
// restricted merchant gets 403 account_restricted on every write.
func (s *Sandbox) RestrictMerchant(id string, restricted bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.merchants[id]
	if !ok {
		return errUnknownMerchant(id)
	}
	m.restricted = restricted
	return nil
}

type unknownMerchantError string

func (e unknownMerchantError) Error() string { return "sandbox: unknown merchant " + string(e) }

func errUnknownMerchant(id string) error { return unknownMerchantError(id) }

// SetMaintenance switches maintenance mode: every /v1/ call but status
// answers 503 service_unavailable.
func (s *Sandbox) SetMaintenance(on bool) {
	s.mu.Lock()
	if s.maintenance != on {
		s.maintenance = on
		s.statusAt = s.clock.Now()
	}
	s.mu.Unlock()
}

// SetRateLimit sets the per-merchant rate limit in requests per second
// (burst = rate); 0 turns it off.
func (s *Sandbox) SetRateLimit(perSecond float64) {
	if perSecond < 0 {
		perSecond = 0
	}
	s.mu.Lock()
	s.rateLimit = perSecond
	for _, m := range s.merchants {
		m.bucket = tokenBucket{}
	}
	s.mu.Unlock()
}

// RequestRecord is one /v1/ request as the sandbox saw it. Status is 0 when
// the connection was dropped before the request executed; a request dropped
// after commit keeps the status it executed with, and Fault names the fault.
type RequestRecord struct {
	Time           time.Time `json:"time"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	MerchantID     string    `json:"merchant_id"`
	IdempotencyKey string    `json:"idempotency_key"`
	Status         int       `json:"status"`
	Replayed       bool      `json:"replayed"`
	Fault          string    `json:"fault"`
}

func (s *Sandbox) record(r RequestRecord) {
	s.mu.Lock()
	if len(s.requests) < maxRequestLog {
		s.requests = append(s.requests, r)
	} else {
		s.requests[s.reqNext] = r
		s.reqNext = (s.reqNext + 1) % maxRequestLog
	}
	s.mu.Unlock()
}

// Requests returns the request log, oldest first (the last 10 000 requests).
func (s *Sandbox) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RequestRecord, 0, len(s.requests))
	out = append(out, s.requests[s.reqNext:]...)
	out = append(out, s.requests[:s.reqNext]...)
	return out
}

// Events returns a merchant's events newest first, exactly as GET /v1/events
// shows them; nil for an unknown merchant.
func (s *Sandbox) Events(merchantID string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.merchants[merchantID]
	if !ok {
		return nil
	}
	out := make([]json.RawMessage, 0, len(m.events))
	for i := len(m.events) - 1; i >= 0; i-- {
		out = append(out, append(json.RawMessage(nil), m.events[i].raw...))
	}
	return out
}

// randomID returns n random lowercase alphanumerics from the seeded source.
func (s *Sandbox) randomID(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	s.idMu.Lock()
	for i := range b {
		b[i] = alphabet[s.rng.IntN(len(alphabet))]
	}
	s.idMu.Unlock()
	return string(b)
}

func (s *Sandbox) newID(prefix string) string { return prefix + s.randomID(24) }

// String hides the credentials from %v.
func (s *Sandbox) String() string { return "sandbox.Sandbox{merchant:" + s.cfg.merchantID + "}" }

// GoString hides the credentials from %#v.
func (s *Sandbox) GoString() string { return s.String() }

// Server is a Sandbox listening on a loopback port, like httptest.Server.
type Server struct {
	*Sandbox
	// URL is the base URL, e.g. http://127.0.0.1:54321.
	URL string
	// APIKey and MerchantID are the default merchant's credentials.
	APIKey     string
	MerchantID string
	// WebhookSecret signs deliveries to the WithWebhookEndpoint endpoint.
	WebhookSecret string

	ts *httptest.Server
}

// NewServer starts a Sandbox on a loopback listener. Close it when done.
func NewServer(opts ...Option) *Server {
	sb := New(opts...)
	ts := httptest.NewServer(sb)
	return &Server{
		Sandbox:       sb,
		URL:           ts.URL,
		APIKey:        sb.cfg.apiKey,
		MerchantID:    sb.cfg.merchantID,
		WebhookSecret: sb.cfg.webhookSecret,
		ts:            ts,
	}
}

// Start is NewServer with tb.Cleanup(s.Close).
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := NewServer(opts...)
	tb.Cleanup(s.Close)
	return s
}

// Close closes the listener and every connection, then the Sandbox, and
// waits for its goroutines. It is idempotent.
func (s *Server) Close() {
	s.ts.Close()
	s.Sandbox.Close()
}

// Client returns an http.Client for the server (no retries of its own).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// String hides the credentials from %v.
func (s Server) String() string { return "sandbox.Server{URL:" + s.URL + "}" }

// GoString hides the credentials from %#v.
func (s Server) GoString() string { return s.String() }

// WebhookSecret returns the secret that signs deliveries to the endpoint
// registered by WithWebhookEndpoint.
func (s *Sandbox) WebhookSecret() string { return s.cfg.webhookSecret }
