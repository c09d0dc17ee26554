package sandbox

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"sync"
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
	// keys a merchant may hold: about 200 bytes of heap each, a coded copy
	// of the stored answer included. A key is never forgotten before its
	// 24 h expire; a keyed POST that would need one more answers 503
	// service_unavailable with Retry-After and executes nothing.
	DefaultIdempotencyCapacity = 16_000_000

	maxBody = 1 << 20
)

// Option configures a Sandbox. An option whose value cannot work makes New
// fail (see New).
type Option func(*config) error

// config holds the credentials behind a pointer so that no reflection path
// (fmt printing a Sandbox by value, a struct holding one) reaches them.
type config struct {
	creds        *credentials
	merchantID   string
	allowedHosts []string
	logLimit     int // 0: maxLog
	seed         int64
	seeded       bool
	startTime    time.Time
	frozen       bool
	rateLimit    float64
	idemCapacity int
	webhookURL   string
	logger       *slog.Logger

	remoteControl bool   // WithRemoteControl (access.go)
	controlToken  sealed // WithControlToken (access.go)
}

// credentials are the configured secrets. Each is a sealed value, which fmt
// prints as a code address whatever the verb and depth (a string, even
// behind a pointer, is printed by fmt's bad-verb fallback).
type credentials struct {
	apiKey        sealed
	webhookSecret sealed
}

// sealed holds a secret string; call it to read the secret.
type sealed func() string

func seal(secret string) sealed { return func() string { return secret } }

func (s sealed) open() string {
	if s == nil {
		return ""
	}
	return s()
}

// WithAPIKey sets the default merchant's API key (sk_test_…).
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if !wellFormedKey(key) || !strings.HasPrefix(key, "sk_test_") {
			return errors.New("sandbox: WithAPIKey: the key must be sk_test_ followed by visible ASCII characters")
		}
		c.creds.apiKey = seal(key)
		return nil
	}
}

// WithMerchantID sets the default merchant's id (mch_…).
func WithMerchantID(id string) Option {
	return func(c *config) error {
		if len(id) <= len("mch_") || !strings.HasPrefix(id, "mch_") {
			return errors.New("sandbox: WithMerchantID: the id must start with mch_ and have more after it")
		}
		c.merchantID = id
		return nil
	}
}

// WithWebhookSecret sets the secret that WithWebhookEndpoint signs with. It
// must be whsec_ followed by padded standard base64 of 24–64 bytes
// (docs/tokenim-api.md §1); anything else makes New fail.
func WithWebhookSecret(secret string) Option {
	return func(c *config) error {
		if err := CheckWebhookSecret(secret); err != nil {
			return fmt.Errorf("sandbox: WithWebhookSecret: %w", err)
		}
		c.creds.webhookSecret = seal(secret)
		return nil
	}
}

// CheckWebhookSecret reports why secret is not a webhook secret the sandbox
// signs with: whsec_ followed by padded standard base64 (RFC 4648 §4) of 24
// to 64 bytes (docs/tokenim-api.md §1). The sandbox hands secrets out, so it
// insists on the whsec_ form; the SDK's verifier also takes the bare base64.
// The error never repeats the secret.
func CheckWebhookSecret(secret string) error {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return errors.New("a webhook secret must start with whsec_")
	}
	key, err := base64.StdEncoding.Strict().DecodeString(raw)
	if err != nil {
		return errors.New("a webhook secret must be whsec_ followed by padded standard base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return errors.New("a webhook secret must encode 24 to 64 bytes, not " + strconv.Itoa(len(key)))
	}
	return nil
}

// WithAllowedHosts names the Host values (host names or IP addresses,
// without port) the sandbox answers besides loopback ones (localhost,
// 127.0.0.0/8, [::1]), e.g. a container name. Every other Host gets 403, so a
// web page cannot reach the sandbox through DNS rebinding.
func WithAllowedHosts(hosts ...string) Option {
	return func(c *config) error {
		for _, h := range hosts {
			if h = strings.TrimSpace(h); h != "" {
				c.allowedHosts = append(c.allowedHosts, strings.ToLower(strings.Trim(h, "[]")))
			}
		}
		return nil
	}
}

// WithSeed makes generated ids reproducible.
func WithSeed(seed int64) Option {
	return func(c *config) error { c.seed, c.seeded = seed, true; return nil }
}

// WithStartTime starts the sandbox clock at t (it then flows with real time).
func WithStartTime(t time.Time) Option { return func(c *config) error { c.startTime = t; return nil } }

// WithFrozenClock starts the sandbox clock frozen at t; only Advance moves it.
func WithFrozenClock(t time.Time) Option {
	return func(c *config) error { c.startTime, c.frozen = t, true; return nil }
}

// WithRateLimit limits each merchant to perSecond requests (burst = rate); 0 is off.
func WithRateLimit(perSecond float64) Option {
	return func(c *config) error { c.rateLimit = perSecond; return nil }
}

// WithIdempotencyCapacity sets how many live idempotency keys a merchant may
// hold (DefaultIdempotencyCapacity when n <= 0). Past it a new keyed POST
// answers 503 with Retry-After; no live key is ever evicted.
func WithIdempotencyCapacity(n int) Option {
	return func(c *config) error { c.idemCapacity = n; return nil }
}

// WithWebhookEndpoint registers an endpoint at url for the default merchant,
// subscribed to "*" and signed with the sandbox's webhook secret.
func WithWebhookEndpoint(url string) Option {
	return func(c *config) error { c.webhookURL = url; return nil }
}

// WithLogger logs one line per request (never keys, secrets or bodies).
func WithLogger(l *slog.Logger) Option { return func(c *config) error { c.logger = l; return nil } }

// Merchant is one account of the sandbox. Its key is held behind an
// unexported pointer and every way of printing a Merchant (fmt verbs, slog,
// encoding/json) shows only the id.
type Merchant struct {
	ID  string
	key *credentials
}

// APIKey returns the merchant's API key (sk_test_…).
func (m Merchant) APIKey() string {
	if m.key == nil {
		return ""
	}
	return m.key.apiKey.open()
}

// String returns the merchant id; the API key is never printed.
func (m Merchant) String() string { return m.ID }

// GoString hides the API key from %#v.
func (m Merchant) GoString() string { return "sandbox.Merchant{ID:" + strconv.Quote(m.ID) + "}" }

// Format prints the id for every verb (String for %v %s %d %x …, GoString
// for %#v), so no verb falls back to printing fields.
func (m Merchant) Format(f fmt.State, verb rune) { formatSafe(f, verb, m.String(), m.GoString()) }

// LogValue shows only the merchant id in slog records.
func (m Merchant) LogValue() slog.Value { return slog.StringValue(m.ID) }

// formatSafe writes str (quoted for %q, goStr for %#v) whatever the verb.
func formatSafe(f fmt.State, verb rune, str, goStr string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = f.Write([]byte(goStr))
	case verb == 'q':
		_, _ = f.Write([]byte(strconv.Quote(str)))
	default:
		_, _ = f.Write([]byte(str))
	}
}

// Sandbox is the fake platform: its state and an http.Handler. It has no
// listener; see NewServer and Start for one.
type Sandbox struct {
	// *state holds everything behind one unexported pointer: printing a
	// Sandbox by reflection shows an address, never a key, and never reads
	// state that the sandbox's goroutines are writing.
	*state
}

// state is the sandbox's configuration and data.
type state struct {
	cfg      *config
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
	byKey       map[[sha256.Size]byte]*apiKey // by keyDigest: the map never holds a key itself
	maintenance bool
	statusAt    time.Time
	rateLimit   float64
	requests    ringLog[RequestRecord]
	dash        dashboardState // the dashboard's session and CSRF keys (access.go)

	closeOnce sync.Once
}

// New returns a Sandbox with one default merchant and no listener. Like
// httptest.NewServer it panics when it cannot start: an option's value
// cannot work (the message names the option, never a secret). Open returns
// that as an error instead.
func New(opts ...Option) *Sandbox {
	s, err := Open(opts...)
	if err != nil {
		panic(err.Error())
	}
	return s
}

// Open is New that returns an option's error instead of panicking.
func Open(opts ...Option) (*Sandbox, error) {
	cfg := &config{creds: &credentials{apiKey: seal(DefaultAPIKey)}, merchantID: DefaultMerchantID,
		idemCapacity: DefaultIdempotencyCapacity}
	for _, o := range opts {
		if o != nil {
			if err := o(cfg); err != nil {
				return nil, err
			}
		}
	}
	if cfg.creds.webhookSecret == nil {
		cfg.creds.webhookSecret = seal(newSecret())
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
	s := &Sandbox{&state{cfg: cfg, log: cfg.logger}}
	s.requests.limit = cfg.logLimit
	s.delivery.log.limit = cfg.logLimit
	s.rng = mrand.New(mrand.NewPCG(uint64(seed), 0x746f6b656e696d))
	s.table = s.routes()
	s.clock = newClock(cfg.startTime, cfg.frozen)
	s.sched = newScheduler(s.clock)
	s.delivery.init(s)
	s.sched.settle = s.delivery.wait
	s.sched.afterAdvance = s.sweepIdempotency
	s.resetLocked()
	s.sched.start()
	return s, nil
}

// newSecret returns a fresh whsec_ secret: base64 of 32 random bytes.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:])
}

// resetLocked builds a fresh state: each merchant gets its configured key
// back as its only key (docs/tokenim-api.md §7), merchants added in-process
// with AddMerchant stay (the test holds them), and merchants created through
// POST /_sandbox/merchants are dropped. The caller holds s.mu or owns s.
func (s *Sandbox) resetLocked() {
	old := s.merchants
	s.merchants = map[string]*merchant{}
	s.byKey = map[[sha256.Size]byte]*apiKey{}
	s.addMerchantLocked(s.cfg.merchantID, s.cfg.creds.apiKey.open())
	for id, m := range old {
		if id != s.cfg.merchantID && !m.viaControl {
			s.addMerchantLocked(id, m.apiKey)
		}
	}
	s.maintenance = false
	s.statusAt = s.clock.Now()
	s.rateLimit = s.cfg.rateLimit
	s.requests.reset()
	if s.cfg.webhookURL != "" {
		m := s.merchants[s.cfg.merchantID]
		s.addEndpointLocked(m, s.cfg.webhookURL, []string{"*"}, nil, s.cfg.creds.webhookSecret.open())
	}
}

func (s *Sandbox) addMerchantLocked(id, key string) *merchant {
	m := newMerchant(id, key, s.cfg.idemCapacity)
	s.merchants[id] = m
	s.addKeyLocked(m, keyIDFor(key), key)
	s.scheduleSettlement(m, s.clock.Now())
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
	s.dash.rotate()
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
	return Merchant{ID: s.cfg.merchantID, key: s.cfg.creds}
}

// AddMerchant creates another merchant with its own key; merchants never see
// each other's objects. It survives Reset.
func (s *Sandbox) AddMerchant() Merchant { return s.addMerchant(false) }

// addMerchant creates a merchant; viaControl marks one that Reset drops.
func (s *Sandbox) addMerchant(viaControl bool) Merchant {
	id := "mch_" + s.randomID(16)
	key := "sk_test_" + s.randomID(24)
	s.mu.Lock()
	s.addMerchantLocked(id, key).viaControl = viaControl
	s.mu.Unlock()
	return Merchant{ID: id, key: &credentials{apiKey: seal(key)}}
}

// RestrictMerchant restricts (or lifts the restriction on) a merchant: a
// restricted merchant gets 403 account_restricted on every call that takes
// money or creates something (docs/tokenim-api.md §1).
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
	s.requests.add(r)
	s.mu.Unlock()
}

// Requests returns the request log, oldest first (the last 10 000 requests).
func (s *Sandbox) Requests() []RequestRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.all()
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
	s.pruneEventsLocked(m, s.clock.Now())
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

// Format prints String for every verb (GoString for %#v).
func (s *Sandbox) Format(f fmt.State, verb rune) { formatSafe(f, verb, s.String(), s.GoString()) }

// LogValue shows only the default merchant id in slog records.
func (s *Sandbox) LogValue() slog.Value { return slog.StringValue(s.String()) }

// WebhookSecret returns the secret that signs deliveries to the endpoint
// registered by WithWebhookEndpoint.
func (s *Sandbox) WebhookSecret() string { return s.cfg.creds.webhookSecret.open() }

// keyDigest is what the sandbox looks API keys up by, so that printing its
// state by reflection shows no key.
func keyDigest(key string) [sha256.Size]byte { return sha256.Sum256([]byte(key)) }
