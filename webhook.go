package tokenim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names of a Standard Webhooks delivery. Go canonicalises them in an
// http.Header ("Webhook-Id"); the verifier also finds them under the lower
// case keys some frameworks use when they build an http.Header by hand.
const (
	WebhookIDHeader        = "webhook-id"
	WebhookTimestampHeader = "webhook-timestamp"
	WebhookSignatureHeader = "webhook-signature"
)

// WebhookSecretPrefix marks a webhook signing secret. The rest of the secret
// is the standard base64 encoding of the HMAC key. The prefix is optional
// wherever a secret is accepted.
const WebhookSecretPrefix = "whsec_"

// DefaultWebhookTolerance is how far a webhook-timestamp may lie in the past
// or in the future before a delivery is rejected as a possible replay.
const DefaultWebhookTolerance = 5 * time.Minute

// DefaultWebhookMaxBodyBytes is the largest body WebhookHandler reads; the
// platform never sends more (events are small snapshots).
const DefaultWebhookMaxBodyBytes int64 = 1 << 20

// Limits on untrusted input. They keep verification cheap and its memory
// bounded whatever a caller sends; real deliveries are far below them.
const (
	maxWebhookIDLen         = 256
	maxWebhookTimestampLen  = 19   // the digits of math.MaxInt64
	maxWebhookSignatureLen  = 4096 // bytes of the webhook-signature header
	maxWebhookSignatures    = 16   // entries in the webhook-signature header
	maxWebhookSecrets       = 16
	minWebhookKeyLen        = 24 // bytes, per Standard Webhooks
	maxWebhookKeyLen        = 512
	webhookSigLen           = sha256.Size
	webhookSigBase64Len     = 44 // base64.StdEncoding.EncodedLen(webhookSigLen)
	webhookSignatureVersion = "v1"
)

// ErrWebhookVerification is the umbrella of every reason a delivery fails
// verification: errors.Is(err, ErrWebhookVerification) holds for each of
// ErrWebhookMissingHeader, ErrWebhookMalformedHeader,
// ErrWebhookNoMatchingSignature, ErrWebhookTimestampTooOld and
// ErrWebhookTimestampTooNew.
var ErrWebhookVerification = errors.New("tokenim: webhook verification failed")

// Reasons a delivery fails verification. The errors returned wrap one of
// them, so test with errors.Is; their text never contains a secret, an
// expected signature or a raw header value.
var (
	// ErrWebhookMissingHeader: webhook-id, webhook-timestamp or
	// webhook-signature is absent or empty.
	ErrWebhookMissingHeader error = &webhookVerificationError{"missing webhook header"}
	// ErrWebhookMalformedHeader: a header is present but unusable (too long,
	// repeated, not a unix time, no well-formed v1 signature).
	ErrWebhookMalformedHeader error = &webhookVerificationError{"malformed webhook header"}
	// ErrWebhookNoMatchingSignature: no v1 signature in the header was made
	// with any of the verifier's secrets over these id, timestamp and body.
	ErrWebhookNoMatchingSignature error = &webhookVerificationError{"no matching webhook signature"}
	// ErrWebhookTimestampTooOld: webhook-timestamp is further in the past
	// than the tolerance allows.
	ErrWebhookTimestampTooOld error = &webhookVerificationError{"webhook timestamp too old"}
	// ErrWebhookTimestampTooNew: webhook-timestamp is further in the future
	// than the tolerance allows.
	ErrWebhookTimestampTooNew error = &webhookVerificationError{"webhook timestamp too new"}
)

// ErrWebhookBadSecret reports a signing secret that cannot be used: empty,
// not base64, or a key shorter than 24 or longer than 512 bytes. It is a
// configuration error, not a verification failure.
var ErrWebhookBadSecret = errors.New("tokenim: bad webhook secret")

// ErrWebhookInvalidPayload reports a verified body that is not an event
// (not JSON, or without id or type).
var ErrWebhookInvalidPayload = errors.New("tokenim: webhook payload is not an event")

// webhookVerificationError is the type of the verification sentinels; it
// makes each of them match ErrWebhookVerification.
type webhookVerificationError struct{ msg string }

func (e *webhookVerificationError) Error() string { return "tokenim: " + e.msg }

func (e *webhookVerificationError) Is(target error) bool { return target == ErrWebhookVerification }

// WebhookOption configures a WebhookVerifier. Every WebhookOption is also a
// WebhookHandlerOption.
type WebhookOption func(*webhookVerifierConfig)

func (o WebhookOption) applyWebhookHandler(c *webhookHandlerConfig) {
	if o != nil {
		o(&c.verifier)
	}
}

type webhookVerifierConfig struct {
	tolerance time.Duration
	now       func() time.Time
	err       error
}

// WithWebhookTolerance sets how far webhook-timestamp may lie from now, in
// either direction (default DefaultWebhookTolerance). It must be positive:
// a verifier that ignores timestamps accepts replays forever.
func WithWebhookTolerance(d time.Duration) WebhookOption {
	return func(c *webhookVerifierConfig) {
		if d <= 0 {
			c.err = fmt.Errorf("tokenim: webhook tolerance must be positive, got %v", d)
			return
		}
		c.tolerance = d
	}
}

// WithWebhookClock sets the clock the timestamp tolerance is measured
// against (default time.Now); tests use it to simulate clock skew.
func WithWebhookClock(now func() time.Time) WebhookOption {
	return func(c *webhookVerifierConfig) {
		if now == nil {
			c.err = errors.New("tokenim: webhook clock must not be nil")
			return
		}
		c.now = now
	}
}

// WebhookVerifier checks Standard Webhooks signatures made with one or more
// secrets (several during a secret rotation). It is safe for concurrent use.
// Printing it never shows a secret.
type WebhookVerifier struct {
	keys      []*webhookKey
	tolerance time.Duration
	now       func() time.Time
}

// webhookKey is one decoded secret with a pool of HMAC states keyed by it,
// so that verifying allocates nothing after warm-up.
type webhookKey struct {
	pool sync.Pool // of *webhookMAC
}

type webhookMAC struct {
	h      hash.Hash
	prefix []byte // scratch for "{id}.{timestamp}."
	sum    []byte
}

func newWebhookKey(key []byte) *webhookKey {
	k := &webhookKey{}
	k.pool.New = func() any {
		return &webhookMAC{
			h:      hmac.New(sha256.New, key),
			prefix: make([]byte, 0, maxWebhookIDLen+maxWebhookTimestampLen+2),
			sum:    make([]byte, 0, webhookSigLen),
		}
	}
	return k
}

// sign computes the raw HMAC of "{id}.{timestamp}.{body}" into dst (which
// must hold webhookSigLen bytes). The signed content is written into the
// hash piece by piece rather than concatenated into a copy of the body.
func (k *webhookKey) sign(dst *[webhookSigLen]byte, id, timestamp string, body []byte) {
	m := k.pool.Get().(*webhookMAC)
	m.h.Reset()
	m.prefix = append(m.prefix[:0], id...)
	m.prefix = append(m.prefix, '.')
	m.prefix = append(m.prefix, timestamp...)
	m.prefix = append(m.prefix, '.')
	m.h.Write(m.prefix)
	m.h.Write(body)
	m.sum = m.h.Sum(m.sum[:0])
	copy(dst[:], m.sum)
	k.pool.Put(m)
}

// decodeWebhookSecret turns "whsec_<base64>" (prefix optional) into the HMAC
// key; which names the secret in errors ("secret 2"). Its errors never
// repeat the secret.
func decodeWebhookSecret(secret, which string) ([]byte, error) {
	enc := strings.TrimPrefix(secret, WebhookSecretPrefix)
	if enc == "" {
		return nil, fmt.Errorf("%w: %s is empty", ErrWebhookBadSecret, which)
	}
	if len(enc) > base64.StdEncoding.EncodedLen(maxWebhookKeyLen) {
		return nil, fmt.Errorf("%w: %s is longer than %d bytes", ErrWebhookBadSecret, which, maxWebhookKeyLen)
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not standard base64 after the optional %s prefix", ErrWebhookBadSecret, which, WebhookSecretPrefix)
	}
	if len(key) < minWebhookKeyLen || len(key) > maxWebhookKeyLen {
		return nil, fmt.Errorf("%w: %s is a %d-byte key, %d to %d bytes required", ErrWebhookBadSecret, which, len(key), minWebhookKeyLen, maxWebhookKeyLen)
	}
	return key, nil
}

// NewWebhookVerifier returns a verifier that accepts a delivery signed with
// any of secrets ("whsec_<base64>", prefix optional). Pass both the old and
// the new secret while a rotation is in progress.
func NewWebhookVerifier(secrets []string, opts ...WebhookOption) (*WebhookVerifier, error) {
	cfg := webhookVerifierConfig{tolerance: DefaultWebhookTolerance, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return newWebhookVerifier(secrets, cfg)
}

func newWebhookVerifier(secrets []string, cfg webhookVerifierConfig) (*WebhookVerifier, error) {
	if cfg.err != nil {
		return nil, cfg.err
	}
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret given", ErrWebhookBadSecret)
	}
	if len(secrets) > maxWebhookSecrets {
		return nil, fmt.Errorf("%w: %d secrets given, at most %d allowed", ErrWebhookBadSecret, len(secrets), maxWebhookSecrets)
	}
	v := &WebhookVerifier{tolerance: cfg.tolerance, now: cfg.now}
	for i, s := range secrets {
		key, err := decodeWebhookSecret(s, "secret "+strconv.Itoa(i+1))
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, newWebhookKey(key))
	}
	return v, nil
}

// Format prints a summary without key material, for every verb, so that
// %v, %+v and %#v of a verifier (or of a struct holding one) leak nothing.
func (v *WebhookVerifier) Format(f fmt.State, verb rune) {
	if v == nil {
		io.WriteString(f, "tokenim.WebhookVerifier(nil)")
		return
	}
	fmt.Fprintf(f, "tokenim.WebhookVerifier{secrets: %d, tolerance: %s}", len(v.keys), v.tolerance)
}

// webhookHeader returns the single value of a webhook header. Absent or
// empty is ErrWebhookMissingHeader; repeated or longer than max is
// ErrWebhookMalformedHeader.
func webhookHeader(h http.Header, name, canonicalName string, max int) (string, error) {
	// Direct map lookups: http.Header.Values would canonicalise the name
	// anew (an allocation) on every call.
	vals := h[canonicalName]
	if len(vals) == 0 {
		vals = h[name] // a hand-built header with lower case keys
	}
	switch {
	case len(vals) == 0 || vals[0] == "":
		return "", fmt.Errorf("%w: %s", ErrWebhookMissingHeader, name)
	case len(vals) > 1:
		return "", fmt.Errorf("%w: %s appears %d times", ErrWebhookMalformedHeader, name, len(vals))
	case len(vals[0]) > max:
		return "", fmt.Errorf("%w: %s longer than %d bytes", ErrWebhookMalformedHeader, name, max)
	}
	return vals[0], nil
}

// webhookIDBytes marks the bytes allowed in a webhook-id: visible ASCII but '.'.
var webhookIDBytes = func() (ok [256]bool) {
	for c := '!'; c <= '~'; c++ {
		ok[c] = c != '.'
	}
	return ok
}()

// checkWebhookID rejects ids that could make the signed content ambiguous:
// a '.' in the id would let "{id}.{ts}.{body}" be split differently.
func checkWebhookID(id string) error {
	for i := 0; i < len(id); i++ {
		if !webhookIDBytes[id[i]] {
			return fmt.Errorf("%w: %s must be visible ASCII without '.'", ErrWebhookMalformedHeader, WebhookIDHeader)
		}
	}
	return nil
}

// parseWebhookTimestamp accepts only canonical decimal unix seconds: no sign,
// no leading zeros, no spaces, no overflow. Requiring the canonical form
// means the string we sign is the one every other implementation signs.
func parseWebhookTimestamp(s string) (int64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("%w: %s is not unix seconds", ErrWebhookMalformedHeader, WebhookTimestampHeader)
	}
	var ts int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %s is not unix seconds", ErrWebhookMalformedHeader, WebhookTimestampHeader)
		}
		d := int64(c - '0')
		if ts > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("%w: %s is out of range", ErrWebhookMalformedHeader, WebhookTimestampHeader)
		}
		ts = ts*10 + d
	}
	return ts, nil
}

// parseWebhookSignatures collects into sigs the base64 part of each v1
// entry of a webhook-signature header that has the length of an encoded
// HMAC-SHA256, and returns how many there are. Entries are separated by one
// or more spaces. Entries of other versions ("v1a", "v2") and v1 entries of
// another length are skipped, so that a signature scheme the platform adds
// later does not break verification. More than maxWebhookSignatures entries,
// or no candidate at all, is ErrWebhookMalformedHeader.
func parseWebhookSignatures(header string, sigs *[maxWebhookSignatures]string) (int, error) {
	if len(header) > maxWebhookSignatureLen {
		return 0, fmt.Errorf("%w: %s longer than %d bytes", ErrWebhookMalformedHeader, WebhookSignatureHeader, maxWebhookSignatureLen)
	}
	n, entries := 0, 0
	for rest := header; rest != ""; {
		var entry string
		entry, rest, _ = strings.Cut(rest, " ")
		if entry == "" {
			continue // runs of spaces
		}
		entries++
		if entries > maxWebhookSignatures {
			return 0, fmt.Errorf("%w: %s has more than %d entries", ErrWebhookMalformedHeader, WebhookSignatureHeader, maxWebhookSignatures)
		}
		version, sig, ok := strings.Cut(entry, ",")
		if ok && version == webhookSignatureVersion && len(sig) == webhookSigBase64Len {
			sigs[n] = sig
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: %s holds no v1 signature", ErrWebhookMalformedHeader, WebhookSignatureHeader)
	}
	return n, nil
}

// webhookSigEncoding decodes signatures strictly: each signature has exactly
// one valid spelling, the one every implementation produces.
var webhookSigEncoding = base64.StdEncoding.Strict()

// isWebhookSig reports whether s is the canonical base64 of a 32-byte HMAC.
func isWebhookSig(s string) bool {
	var enc [webhookSigBase64Len]byte
	var dec [webhookSigLen + 1]byte // DecodedLen(44) is 33
	if len(s) != len(enc) {
		return false
	}
	copy(enc[:], s)
	m, err := webhookSigEncoding.Decode(dec[:], enc[:])
	return err == nil && m == webhookSigLen
}

// Verify checks that body with the webhook headers in h was signed by
// Tokenim with one of the verifier's secrets, within the timestamp
// tolerance. A nil error means the body is authentic; otherwise the error
// matches ErrWebhookVerification and one of the ErrWebhook... reasons.
// Pass the body exactly as received: re-encoded JSON will not verify.
func (v *WebhookVerifier) Verify(h http.Header, body []byte) error {
	_, err := v.verify(h, body)
	return err
}

// verify is Verify returning the verified webhook-id.
func (v *WebhookVerifier) verify(h http.Header, body []byte) (string, error) {
	id, err := webhookHeader(h, WebhookIDHeader, "Webhook-Id", maxWebhookIDLen)
	if err != nil {
		return "", err
	}
	tsHeader, err := webhookHeader(h, WebhookTimestampHeader, "Webhook-Timestamp", maxWebhookTimestampLen)
	if err != nil {
		return "", err
	}
	sigHeader, err := webhookHeader(h, WebhookSignatureHeader, "Webhook-Signature", maxWebhookSignatureLen)
	if err != nil {
		return "", err
	}
	if err := checkWebhookID(id); err != nil {
		return "", err
	}
	ts, err := parseWebhookTimestamp(tsHeader)
	if err != nil {
		return "", err
	}
	// Timestamps are whole seconds: accept ts in [ceil(now-tol), floor(now+tol)].
	// Comparing unix seconds avoids time.Unix overflowing on huge values.
	now := v.now()
	earliest := now.Add(-v.tolerance)
	lo := earliest.Unix()
	if earliest.Nanosecond() > 0 {
		lo++
	}
	if ts < lo {
		return "", fmt.Errorf("%w: %s is more than %s in the past", ErrWebhookTimestampTooOld, WebhookTimestampHeader, v.tolerance)
	}
	if ts > now.Add(v.tolerance).Unix() {
		return "", fmt.Errorf("%w: %s is more than %s in the future", ErrWebhookTimestampTooNew, WebhookTimestampHeader, v.tolerance)
	}

	var sigs [maxWebhookSignatures]string
	n, err := parseWebhookSignatures(sigHeader, &sigs)
	if err != nil {
		return "", err
	}
	// Compare the canonical base64 text: encoding our HMAC once per secret is
	// cheaper than decoding every received signature, and text equality with
	// the canonical form is byte equality of the HMACs.
	var want [webhookSigLen]byte
	var wantEnc, got [webhookSigBase64Len]byte
	for _, k := range v.keys {
		k.sign(&want, id, tsHeader, body)
		base64.StdEncoding.Encode(wantEnc[:], want[:])
		for i := 0; i < n; i++ {
			copy(got[:], sigs[i])
			if hmac.Equal(wantEnc[:], got[:]) {
				return id, nil
			}
		}
	}
	for i := 0; i < n; i++ {
		if isWebhookSig(sigs[i]) {
			return "", ErrWebhookNoMatchingSignature
		}
	}
	return "", fmt.Errorf("%w: %s holds no well-formed v1 signature", ErrWebhookMalformedHeader, WebhookSignatureHeader)
}

// ParseEvent verifies the delivery (see Verify) and only then decodes body
// into an Event. An event type this SDK does not know decodes without error.
func (v *WebhookVerifier) ParseEvent(h http.Header, body []byte) (*Event, error) {
	if err := v.Verify(h, body); err != nil {
		return nil, err
	}
	return decodeWebhookEvent(body)
}

func decodeWebhookEvent(body []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWebhookInvalidPayload, err)
	}
	switch {
	case e.ID == "":
		return nil, fmt.Errorf("%w: no id", ErrWebhookInvalidPayload)
	case e.Type == "":
		return nil, fmt.Errorf("%w: no type", ErrWebhookInvalidPayload)
	}
	return &e, nil
}

// ConstructEvent verifies a delivery against secrets with the default
// tolerance and then decodes it: the one call for a merchant who handles
// the HTTP request themselves. For many deliveries build a WebhookVerifier
// once instead.
func ConstructEvent(body []byte, h http.Header, secrets ...string) (*Event, error) {
	v, err := NewWebhookVerifier(secrets)
	if err != nil {
		return nil, err
	}
	return v.ParseEvent(h, body)
}

// SignWebhook returns the webhook-signature value ("v1,<base64>") Tokenim
// sends for id, ts and body signed with secret. Merchants use it to build
// signed requests in their own tests.
func SignWebhook(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := decodeWebhookSecret(secret, "secret")
	if err != nil {
		return "", err
	}
	if id == "" || len(id) > maxWebhookIDLen {
		return "", fmt.Errorf("tokenim: sign webhook: id must be 1 to %d bytes", maxWebhookIDLen)
	}
	if err := checkWebhookID(id); err != nil {
		return "", fmt.Errorf("tokenim: sign webhook: id must be visible ASCII without '.'")
	}
	if ts.Unix() < 0 {
		return "", errors.New("tokenim: sign webhook: timestamp before 1970")
	}
	var sum [webhookSigLen]byte
	newWebhookKey(key).sign(&sum, id, strconv.FormatInt(ts.Unix(), 10), body)
	return webhookSignatureVersion + "," + base64.StdEncoding.EncodeToString(sum[:]), nil
}

// NewSignedWebhookRequest builds the POST request Tokenim would deliver to
// url for event, signed with secret and timestamped now, for testing a
// webhook handler (for example with httptest.NewRecorder). The webhook-id is
// the event's id.
func NewSignedWebhookRequest(url, secret string, event *Event) (*http.Request, error) {
	if event == nil {
		return nil, errors.New("tokenim: signed webhook request: event is nil")
	}
	body, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("tokenim: signed webhook request: %w", err)
	}
	now := time.Now()
	sig, err := SignWebhook(secret, event.ID, now, body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("tokenim: signed webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(WebhookIDHeader, event.ID)
	req.Header.Set(WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(WebhookSignatureHeader, sig)
	return req, nil
}

// WebhookHandlerOption configures a WebhookHandler. Every WebhookOption
// (tolerance, clock) is one too.
type WebhookHandlerOption interface {
	applyWebhookHandler(*webhookHandlerConfig)
}

type webhookHandlerOptionFunc func(*webhookHandlerConfig)

func (f webhookHandlerOptionFunc) applyWebhookHandler(c *webhookHandlerConfig) {
	if f != nil {
		f(c)
	}
}

type webhookHandlerConfig struct {
	verifier webhookVerifierConfig
	maxBody  int64
	store    WebhookIDStore
	logger   *slog.Logger
	err      error
}

// WithWebhookMaxBodyBytes sets the largest body the handler reads (default
// DefaultWebhookMaxBodyBytes); a larger one is answered 413.
func WithWebhookMaxBodyBytes(n int64) WebhookHandlerOption {
	return webhookHandlerOptionFunc(func(c *webhookHandlerConfig) {
		if n <= 0 {
			c.err = fmt.Errorf("tokenim: webhook max body bytes must be positive, got %d", n)
			return
		}
		c.maxBody = n
	})
}

// WithWebhookIDStore sets where the handler records the webhook-ids it has
// handled (default: a new MemoryWebhookIDStore). Use a shared store when
// several processes receive webhooks for one endpoint.
func WithWebhookIDStore(s WebhookIDStore) WebhookHandlerOption {
	return webhookHandlerOptionFunc(func(c *webhookHandlerConfig) {
		if s == nil {
			c.err = errors.New("tokenim: webhook id store must not be nil")
			return
		}
		c.store = s
	})
}

// WithWebhookLogger makes the handler log why it rejected or failed a
// delivery (default: no logging). Log lines never contain a secret or a
// signature.
func WithWebhookLogger(l *slog.Logger) WebhookHandlerOption {
	return webhookHandlerOptionFunc(func(c *webhookHandlerConfig) { c.logger = l })
}

// WebhookHandler is an http.Handler that receives Tokenim webhooks: it
// checks the method and body size, verifies the signature, suppresses
// duplicate deliveries by webhook-id and calls the merchant's function
// once per event. It answers:
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
}

// NewWebhookHandler returns a handler that calls fn, with the request's
// context, for each verified event signed with one of secrets.
func NewWebhookHandler(fn func(context.Context, *Event) error, secrets []string, opts ...WebhookHandlerOption) (*WebhookHandler, error) {
	if fn == nil {
		return nil, errors.New("tokenim: webhook handler function must not be nil")
	}
	cfg := webhookHandlerConfig{
		verifier: webhookVerifierConfig{tolerance: DefaultWebhookTolerance, now: time.Now},
		maxBody:  DefaultWebhookMaxBodyBytes,
	}
	for _, o := range opts {
		if o != nil {
			o.applyWebhookHandler(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	v, err := newWebhookVerifier(secrets, cfg.verifier)
	if err != nil {
		return nil, err
	}
	if cfg.store == nil {
		cfg.store = &MemoryWebhookIDStore{}
	}
	return &WebhookHandler{verifier: v, fn: fn, maxBody: cfg.maxBody, store: cfg.store, logger: cfg.logger}, nil
}

// Format prints a summary without key material, for every verb.
func (h *WebhookHandler) Format(f fmt.State, verb rune) {
	if h == nil {
		io.WriteString(f, "tokenim.WebhookHandler(nil)")
		return
	}
	fmt.Fprintf(f, "tokenim.WebhookHandler{verifier: %v, max_body_bytes: %d}", h.verifier, h.maxBody)
}

// ServeHTTP handles one delivery; see WebhookHandler for the answers.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > h.maxBody {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
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
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		h.log(r.Context(), slog.LevelWarn, "tokenim: webhook: reading body failed", "error", err)
		http.Error(w, "invalid webhook", http.StatusBadRequest)
		return
	}
	id, err := h.verifier.verify(r.Header, body)
	if err != nil {
		// The reason goes to the merchant's log, never to the sender: it
		// would tell an attacker how close a forgery came.
		h.log(r.Context(), slog.LevelWarn, "tokenim: webhook rejected", "error", err)
		http.Error(w, "invalid webhook", http.StatusBadRequest)
		return
	}
	event, err := decodeWebhookEvent(body)
	if err != nil {
		h.log(r.Context(), slog.LevelError, "tokenim: webhook not decodable", "webhook_id", id, "error", err)
		http.Error(w, "invalid webhook", http.StatusBadRequest)
		return
	}
	h.handle(w, r, id, event)
}

func (h *WebhookHandler) handle(w http.ResponseWriter, r *http.Request, id string, event *Event) {
	ctx := r.Context()
	// The store calls after fn must not be cut short by a client that hung
	// up: a lost Release would block every retry until the entry expires.
	storeCtx := context.WithoutCancel(ctx)
	state, err := h.store.Reserve(ctx, id)
	if err != nil {
		h.log(ctx, slog.LevelError, "tokenim: webhook id store failed", "webhook_id", id, "error", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	switch state {
	case WebhookIDDone:
		w.WriteHeader(http.StatusOK)
		return
	case WebhookIDInProgress:
		w.Header().Set("Retry-After", "5")
		http.Error(w, "delivery in progress", http.StatusConflict)
		return
	case WebhookIDReserved:
	default:
		h.log(ctx, slog.LevelError, "tokenim: webhook id store returned an unknown state", "webhook_id", id, "state", int(state))
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}

	if err := h.call(ctx, event); err != nil {
		if rerr := h.store.Release(storeCtx, id); rerr != nil {
			h.log(ctx, slog.LevelError, "tokenim: webhook id store release failed", "webhook_id", id, "error", rerr)
		}
		if errors.Is(err, errWebhookAbort) {
			panic(http.ErrAbortHandler)
		}
		if !errors.Is(err, errWebhookPanic) { // a panic was logged with its stack
			h.log(ctx, slog.LevelError, "tokenim: webhook handler failed", "webhook_id", id, "event_type", string(event.Type), "error", err)
		}
		http.Error(w, "handler failed", http.StatusInternalServerError)
		return
	}
	if err := h.store.Done(storeCtx, id); err != nil {
		// fn has run; answering an error would make the platform deliver
		// it again, so only log.
		h.log(ctx, slog.LevelError, "tokenim: webhook id store done failed", "webhook_id", id, "error", err)
	}
	w.WriteHeader(http.StatusOK)
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
