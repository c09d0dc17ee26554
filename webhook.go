package tokenim

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// is the padded standard base64 (RFC 4648 §4) of a 24 to 64-byte HMAC key
// (docs/tokenim-api.md §1). The verifier also takes a secret without it.
const WebhookSecretPrefix = "whsec_"

// DefaultWebhookTolerance is how far a webhook-timestamp may lie in the past
// or in the future before a delivery is rejected as a possible replay.
const DefaultWebhookTolerance = 5 * time.Minute

// Limits on untrusted input. They keep verification cheap and its memory
// bounded whatever a caller sends; real deliveries are far below them.
const (
	maxWebhookIDLen         = 256
	maxWebhookTimestampLen  = 19   // the digits of math.MaxInt64
	maxWebhookSignatureLen  = 4096 // bytes of the webhook-signature header
	maxWebhookSignatures    = 16   // entries in the webhook-signature header
	maxWebhookSecrets       = 16
	minWebhookKeyLen        = 24 // bytes, docs/tokenim-api.md §1
	maxWebhookKeyLen        = 64 // bytes, docs/tokenim-api.md §1
	newWebhookKeyLen        = 32 // bytes of the keys NewWebhookSecret makes
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
// not padded standard base64 after the optional whsec_ prefix, or a key
// shorter than 24 or longer than 64 bytes (docs/tokenim-api.md §1). It is a
// configuration error, not a verification failure; its text says what is
// wrong without quoting the secret.
var ErrWebhookBadSecret = errors.New("tokenim: bad webhook secret")

// webhookVerificationError is the type of the verification sentinels; it
// makes each of them match ErrWebhookVerification.
type webhookVerificationError struct{ msg string }

func (e *webhookVerificationError) Error() string { return "tokenim: " + e.msg }

func (e *webhookVerificationError) Is(target error) bool { return target == ErrWebhookVerification }

// WebhookOption configures a WebhookVerifier. Like every option of this
// package it is a function on a config that reports a bad value as an error
// from the constructor.
type WebhookOption func(*webhookConfig) error

type webhookConfig struct {
	tolerance time.Duration
	now       func() time.Time
	secrets   func(ctx context.Context) ([]string, error)
}

// WithWebhookSecretsFunc makes the verifier ask secrets for its signing
// secrets on every verification, so that they can come later than the
// verifier (an endpoint's secret comes with the endpoint, which needs the
// receiver's URL) and change without a restart (a rotation: return the old
// and the new secret while both sign). Pass nil as NewWebhookVerifier's
// secrets. It is the webhook side of the client's WithAPIKeyFunc; a
// WebhookSecrets holder has a Get to pass here.
//
// Every list secrets returns is checked like NewWebhookVerifier's: 1 to 16
// secrets of the form "whsec_<base64>" (docs/tokenim-api.md §1). A list that
// fails, or an error from secrets, fails that verification with an error
// that never quotes a secret and does not match ErrWebhookVerification.
// secrets runs under the context given to VerifyContext
// (context.Background for Verify); it must be safe for concurrent use and
// fast. The keys of the last list are kept, so an unchanged list costs a
// comparison of strings, not a decoding.
func WithWebhookSecretsFunc(secrets func(ctx context.Context) ([]string, error)) WebhookOption {
	return func(c *webhookConfig) error {
		if secrets == nil {
			return errors.New("tokenim: webhook secrets func must not be nil")
		}
		c.secrets = secrets
		return nil
	}
}

// WebhookSecrets holds the signing secrets of a verifier built
// WithWebhookSecretsFunc(s.Get): set them once the endpoint exists, replace
// them on a rotation. It is safe for concurrent use; the zero value holds
// none, and verification fails until Set is called. No format verb, slog
// handler or JSON encoding shows what it holds.
type WebhookSecrets struct {
	p atomic.Pointer[[]string] // fmt and slog cannot follow it
}

// Set replaces the secrets ("whsec_<base64>"); during a rotation give the
// old and the new one. They are checked at the next verification.
func (s *WebhookSecrets) Set(secrets ...string) {
	held := slices.Clone(secrets)
	s.p.Store(&held)
}

// Get returns the secrets Set last, in a slice the caller must not modify;
// it is the function to give WithWebhookSecretsFunc, and allocates
// nothing.
func (s *WebhookSecrets) Get(context.Context) ([]string, error) {
	held := s.p.Load()
	if held == nil {
		return nil, errors.New("no webhook secret set yet (WebhookSecrets.Set)")
	}
	return *held, nil
}

// String says how many secrets are held, never which.
func (s *WebhookSecrets) String() string {
	n := 0
	if held := s.p.Load(); held != nil {
		n = len(*held)
	}
	return fmt.Sprintf("tokenim.WebhookSecrets{secrets: %d}", n)
}

// WithWebhookTolerance sets how far webhook-timestamp may lie from now, in
// either direction (default DefaultWebhookTolerance). It must be positive:
// a verifier that ignores timestamps accepts replays forever.
func WithWebhookTolerance(d time.Duration) WebhookOption {
	return func(c *webhookConfig) error {
		if d <= 0 {
			return fmt.Errorf("tokenim: webhook tolerance must be positive, got %v", d)
		}
		c.tolerance = d
		return nil
	}
}

// WithWebhookClock sets the clock the timestamp tolerance is measured
// against (default time.Now); tests use it to simulate clock skew.
func WithWebhookClock(now func() time.Time) WebhookOption {
	return func(c *webhookConfig) error {
		if now == nil {
			return errors.New("tokenim: webhook clock must not be nil")
		}
		c.now = now
		return nil
	}
}

// WebhookVerifier checks Standard Webhooks signatures made with one or more
// secrets (several during a secret rotation). It is safe for concurrent use.
// Printing it never shows a secret.
type WebhookVerifier struct {
	keys      []*webhookKey
	tolerance time.Duration
	now       func() time.Time
	source    *webhookKeySource // WithWebhookSecretsFunc; nil: keys
}

// webhookKeySource asks WithWebhookSecretsFunc's function for the secrets
// and keeps the keys of the last list, decoded once.
type webhookKeySource struct {
	fn   func(context.Context) ([]string, error)
	last atomic.Pointer[webhookKeySet]
}

type webhookKeySet struct {
	secrets []string
	keys    []*webhookKey
}

// keys returns the keys of the secrets fn returns now.
func (s *webhookKeySource) keys(ctx context.Context) ([]*webhookKey, error) {
	secrets, err := s.fn(ctx)
	if err != nil {
		return nil, fmt.Errorf("tokenim: webhook secrets (WithWebhookSecretsFunc): %w", err)
	}
	if set := s.last.Load(); set != nil && slices.Equal(set.secrets, secrets) {
		return set.keys, nil
	}
	keys, err := decodeWebhookSecrets(secrets, " (from WithWebhookSecretsFunc)")
	if err != nil {
		return nil, err
	}
	// Concurrent first calls may each decode; the last store wins, and
	// every set stored is a correct one.
	s.last.Store(&webhookKeySet{secrets: slices.Clone(secrets), keys: keys})
	return keys, nil
}

// decodeWebhookSecrets checks a list of 1 to maxWebhookSecrets secrets and
// makes their keys; from says where the list came from, for its errors.
func decodeWebhookSecrets(secrets []string, from string) ([]*webhookKey, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("%w: no secret given%s", ErrWebhookBadSecret, from)
	}
	if len(secrets) > maxWebhookSecrets {
		return nil, fmt.Errorf("%w: %d secrets given%s, at most %d allowed", ErrWebhookBadSecret, len(secrets), from, maxWebhookSecrets)
	}
	keys := make([]*webhookKey, 0, len(secrets))
	for i, s := range secrets {
		key, err := decodeWebhookSecret(s, "secret "+strconv.Itoa(i+1)+from)
		if err != nil {
			return nil, err
		}
		keys = append(keys, newWebhookKey(key))
	}
	return keys, nil
}

// webhookKey is one decoded secret with a pool of HMAC states keyed by it,
// so that verifying allocates nothing after warm-up. (A single state in an
// atomic.Pointer measured slower than sync.Pool's per-P slot.)
type webhookKey struct {
	pool sync.Pool // of *webhookMAC
}

type webhookMAC struct {
	h      hash.Hash
	prefix webhookPrefix // scratch: a local array would escape into h.Write
	sum    []byte
}

func newWebhookKey(key []byte) *webhookKey {
	k := &webhookKey{}
	k.pool.New = func() any {
		return &webhookMAC{h: hmac.New(sha256.New, key), sum: make([]byte, 0, webhookSigLen)}
	}
	return k
}

// webhookPrefix holds "{id}.{timestamp}.", the signed bytes before the body.
type webhookPrefix [maxWebhookIDLen + 1 + maxWebhookTimestampLen + 1]byte

// signedPrefix writes "{id}.{timestamp}." into buf and returns it. Both
// must be within their header length limits.
func signedPrefix(buf *webhookPrefix, id, timestamp string) []byte {
	n := copy(buf[:], id)
	buf[n] = '.'
	n++
	n += copy(buf[n:], timestamp)
	buf[n] = '.'
	return buf[:n+1]
}

// sign writes the base64 of the HMAC of "{id}.{timestamp}.{body}" into dst.
// The signed content is written into the hash piece by piece rather than
// concatenated into a copy of the body.
func (k *webhookKey) sign(dst *[webhookSigBase64Len]byte, id, timestamp string, body []byte) {
	m := k.pool.Get().(*webhookMAC)
	m.h.Reset()
	m.h.Write(signedPrefix(&m.prefix, id, timestamp))
	m.h.Write(body)
	m.sum = m.h.Sum(m.sum[:0])
	base64.StdEncoding.Encode(dst[:], m.sum)
	k.pool.Put(m)
}

// sigEqual compares a received signature with ours in time that depends
// only on their lengths (both are webhookSigBase64Len here), like
// hmac.Equal, without copying the received string into a byte slice.
func sigEqual(want *[webhookSigBase64Len]byte, got string) bool {
	if len(got) != len(want) {
		return false
	}
	var diff byte
	for i := range want {
		diff |= want[i] ^ got[i]
	}
	return subtle.ConstantTimeByteEq(diff, 0) == 1
}

// webhookSecretEncoding is the one spelling of a secret's key that
// docs/tokenim-api.md §1 allows: padded standard base64 (RFC 4648 §4), with
// no stray bits in the last character.
var webhookSecretEncoding = base64.StdEncoding.Strict()

// decodeWebhookSecret turns "whsec_<base64>" (prefix optional) into the HMAC
// key; which names the secret in errors ("secret 2"). Its errors say what is
// wrong, naming the usual mistakes (an API key, a Stripe secret, a
// password) as what they are, and never repeat the secret or a part of it.
func decodeWebhookSecret(secret, which string) ([]byte, error) {
	enc, prefixed := strings.CutPrefix(secret, WebhookSecretPrefix)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s %s", ErrWebhookBadSecret, which, fmt.Sprintf(format, args...))
	}
	// What a Tokenim secret is, for the errors that say something else is.
	const wanted = "a Tokenim webhook secret is whsec_ followed by 32 to 88 characters of standard base64 (a 24 to 64-byte key; docs/tokenim-api.md §1)"
	noPrefix := ""
	if !prefixed {
		noPrefix = " (and it has no whsec_ prefix: " + wanted + ")"
	}
	switch {
	case enc == "":
		return nil, bad("is empty")
	case strings.HasPrefix(enc, "sk_test_") || strings.HasPrefix(enc, "sk_live_"):
		return nil, bad("is an API key (%s…), not a webhook secret: give the whsec_… secret of the webhook endpoint (from WebhookEndpoints.Create or RotateSecret)", enc[:len("sk_test_")])
	case len(enc) > base64.StdEncoding.EncodedLen(maxWebhookKeyLen):
		return nil, bad("is longer than a %d-byte key; %d to %d bytes required", maxWebhookKeyLen, minWebhookKeyLen, maxWebhookKeyLen)
	}
	// Name the usual mistakes before the generic one. base64's own decoder
	// would also skip CR and LF, which a secret must not contain.
	if prefix, _, ok := strings.Cut(enc, "_"); ok && prefix != "" && isLowerWord(prefix) {
		return nil, bad("has a prefix other than %s", WebhookSecretPrefix)
	}
	// Hex digits only: a Stripe secret (whsec_ and hex) or a raw hex key.
	// The base64 of a random key is hex-only with odds below 4^-31.
	if len(enc) >= 16 && isHex(enc) {
		if prefixed {
			return nil, bad("looks like a Stripe signing secret (whsec_ followed by hex digits), not a Tokenim one: %s", wanted)
		}
		return nil, bad("is hex digits with no whsec_ prefix: %s", wanted)
	}
	for i := 0; i < len(enc); i++ {
		switch c := enc[i]; {
		case c == '-' || c == '_':
			return nil, bad("uses the URL-safe base64 alphabet ('-' or '_'); standard base64 (RFC 4648 §4) required")
		case c <= ' ' || c >= 0x7f:
			return nil, bad("contains whitespace or a non-printable byte at offset %d", i)
		}
	}
	key, err := webhookSecretEncoding.DecodeString(enc)
	if err != nil {
		if len(enc) < base64.StdEncoding.EncodedLen(minWebhookKeyLen) {
			// A password, a placeholder, a truncated paste: not base64
			// trouble, just not a secret.
			if prefixed {
				return nil, bad("is %d characters after whsec_, too short for a webhook secret: %s", len(enc), wanted)
			}
			return nil, bad("is %d characters with no whsec_ prefix: not a Tokenim webhook secret; %s", len(enc), strings.TrimPrefix(wanted, "a Tokenim webhook secret "))
		}
		if len(enc)%4 != 0 {
			return nil, bad("is not padded base64: its length after the %s prefix is not a multiple of 4%s", WebhookSecretPrefix, noPrefix)
		}
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return nil, bad("is not standard base64 (RFC 4648 §4): bad character or padding at offset %d%s", int64(corrupt), noPrefix)
		}
		return nil, bad("is not standard base64 (RFC 4648 §4)%s", noPrefix)
	}
	if len(key) < minWebhookKeyLen || len(key) > maxWebhookKeyLen {
		return nil, bad("is a %d-byte key; %d to %d bytes required", len(key), minWebhookKeyLen, maxWebhookKeyLen)
	}
	return key, nil
}

// isHex reports whether s is hex digits only.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isLowerWord reports whether s is lower case ASCII letters only, the shape
// of a mistyped prefix such as "whsek_" or "sk_".
func isLowerWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// NewWebhookSecret returns a fresh secret in the form the platform issues:
// "whsec_" and the padded standard base64 of 32 random bytes from
// crypto/rand. Use it wherever a program of yours signs deliveries itself —
// a relay that re-signs events for internal services, a local forwarder,
// a sandbox started with a fixed secret — and in tests. Secrets of
// endpoints registered with Tokenim come from the platform
// (WebhookEndpoints.Create and RotateSecret), not from here.
func NewWebhookSecret() string {
	var key [newWebhookKeyLen]byte
	rand.Read(key[:]) // never fails (crypto/rand, Go 1.24+)
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key[:])
}

// NewWebhookVerifier returns a verifier that accepts a delivery signed with
// any of secrets ("whsec_<base64>", prefix optional; docs/tokenim-api.md §1).
// Pass both the old and the new secret while a rotation is in progress. To
// give the secrets later, or change them while running, pass nil and
// WithWebhookSecretsFunc.
func NewWebhookVerifier(secrets []string, opts ...WebhookOption) (*WebhookVerifier, error) {
	cfg := webhookConfig{tolerance: DefaultWebhookTolerance, now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	v := &WebhookVerifier{tolerance: cfg.tolerance, now: cfg.now}
	if cfg.secrets != nil {
		if len(secrets) != 0 {
			return nil, fmt.Errorf("%w: give either secrets or WithWebhookSecretsFunc, not both", ErrWebhookBadSecret)
		}
		v.source = &webhookKeySource{fn: cfg.secrets}
		return v, nil
	}
	keys, err := decodeWebhookSecrets(secrets, "")
	if err != nil {
		return nil, err
	}
	v.keys = keys
	return v, nil
}

// Format prints a summary without key material, for every verb, so that
// %v, %+v and %#v of a verifier, of a pointer to one or of a struct holding
// one leak nothing. A nil *WebhookVerifier prints as <nil>.
func (v WebhookVerifier) Format(f fmt.State, verb rune) {
	io.WriteString(f, v.String())
}

// String is the summary Format prints: how many secrets, never which.
func (v WebhookVerifier) String() string {
	if v.source != nil {
		return fmt.Sprintf("tokenim.WebhookVerifier{secrets: from WithWebhookSecretsFunc, tolerance: %s}", v.tolerance)
	}
	return fmt.Sprintf("tokenim.WebhookVerifier{secrets: %d, tolerance: %s}", len(v.keys), v.tolerance)
}

// LogValue makes slog log the summary, whatever the handler.
func (v WebhookVerifier) LogValue() slog.Value { return slog.StringValue(v.String()) }

// webhookHeader returns the single value of a webhook header. Absent or
// empty is ErrWebhookMissingHeader; repeated or longer than max is
// ErrWebhookMalformedHeader. It is small enough to inline: the errors are
// made out of line.
func webhookHeader(h http.Header, name, canonicalName string, max int) (string, error) {
	// Direct map lookups: http.Header.Values would canonicalise the name
	// anew (an allocation) on every call.
	vals := h[canonicalName]
	if len(vals) == 0 {
		vals = h[name] // a hand-built header with lower case keys
	}
	if len(vals) != 1 || vals[0] == "" || len(vals[0]) > max {
		return "", webhookHeaderError(vals, name, max)
	}
	return vals[0], nil
}

func webhookHeaderError(vals []string, name string, max int) error {
	switch {
	case len(vals) == 0 || vals[0] == "":
		return fmt.Errorf("%w: %s", ErrWebhookMissingHeader, name)
	case len(vals) > 1:
		return fmt.Errorf("%w: %s appears %d times", ErrWebhookMalformedHeader, name, len(vals))
	default:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrWebhookMalformedHeader, name, max)
	}
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
	if !validWebhookID(id) {
		return fmt.Errorf("%w: %s must be visible ASCII without '.'", ErrWebhookMalformedHeader, WebhookIDHeader)
	}
	return nil
}

// validWebhookID reports whether every byte of id is in webhookIDBytes. It
// tests eight bytes at a time (every delivery pays for it), with the
// classic bit tricks: a word has a byte below n when (x-n·ones) & ^x & highs
// is not zero, a byte above 0x7e when ((x+ones) | x) & highs is not zero,
// and a '.' when x^dots has a zero byte. Each formula can misplace which
// byte, never whether there is one. The table finishes the last bytes.
func validWebhookID(id string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		dots  = '.' * ones
	)
	i := 0
	for ; i+8 <= len(id); i += 8 {
		w := id[i : i+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		low := (x - '!'*ones) & ^x & highs
		high := ((x + ones) | x) & highs
		d := x ^ dots
		dot := (d - ones) & ^d & highs
		if low|high|dot != 0 {
			return false
		}
	}
	for ; i < len(id); i++ {
		if !webhookIDBytes[id[i]] {
			return false
		}
	}
	return true
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
	// The usual header, one v1 signature, needs no splitting.
	if len(header) == len(webhookSignatureVersion)+1+webhookSigBase64Len &&
		header[:len(webhookSignatureVersion)+1] == webhookSignatureVersion+"," {
		sigs[0] = header[len(webhookSignatureVersion)+1:]
		return 1, nil
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

// webhookWindow returns the whole seconds a webhook-timestamp may hold:
// lo = ceil(now-tol) and hi = floor(now+tol), in unix seconds. Integer
// arithmetic on seconds and nanoseconds gives what time.Time.Add would, at
// a fraction of its cost on every delivery, and compares any timestamp
// without the overflow time.Unix(ts) would risk.
func webhookWindow(now time.Time, tol time.Duration) (lo, hi int64) {
	sec, nsec := now.Unix(), int64(now.Nanosecond())
	tolSec, tolNsec := int64(tol/time.Second), int64(tol%time.Second)
	lo, hi = sec-tolSec, sec+tolSec
	if nsec > tolNsec { // now-tol has a fractional second: round up
		lo++
	}
	if nsec+tolNsec >= int64(time.Second) {
		hi++
	}
	return lo, hi
}

// Verify checks that body with the webhook headers in h was signed by
// Tokenim with one of the verifier's secrets, within the timestamp
// tolerance. A nil error means the body is authentic; otherwise the error
// matches ErrWebhookVerification and one of the ErrWebhook... reasons, or,
// for a verifier built WithWebhookSecretsFunc, reports that its secrets
// could not be had (ErrWebhookBadSecret, or the function's error).
// Pass the body exactly as received: re-encoded JSON will not verify.
func (v *WebhookVerifier) Verify(h http.Header, body []byte) error {
	_, err := v.verifyContext(context.Background(), h, body)
	return err
}

// VerifyContext is Verify with the context WithWebhookSecretsFunc's
// function runs under (the request's, in an http.Handler).
func (v *WebhookVerifier) VerifyContext(ctx context.Context, h http.Header, body []byte) error {
	_, err := v.verifyContext(ctx, h, body)
	return err
}

// verify is Verify returning the verified webhook-id.
func (v *WebhookVerifier) verify(h http.Header, body []byte) (string, error) {
	return v.verifyContext(context.Background(), h, body)
}

// verifyContext is VerifyContext returning the verified webhook-id.
func (v *WebhookVerifier) verifyContext(ctx context.Context, h http.Header, body []byte) (string, error) {
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
	lo, hi := webhookWindow(v.now(), v.tolerance)
	if ts < lo {
		return "", fmt.Errorf("%w: %s is more than %s in the past", ErrWebhookTimestampTooOld, WebhookTimestampHeader, v.tolerance)
	}
	if ts > hi {
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
	keys := v.keys
	if v.source != nil {
		if keys, err = v.source.keys(ctx); err != nil {
			return "", err
		}
	}
	var want [webhookSigBase64Len]byte
	for _, k := range keys {
		k.sign(&want, id, tsHeader, body)
		for i := 0; i < n; i++ {
			if sigEqual(&want, sigs[i]) {
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
	var sig [webhookSigBase64Len]byte
	newWebhookKey(key).sign(&sig, id, strconv.FormatInt(ts.Unix(), 10), body)
	return webhookSignatureVersion + "," + string(sig[:]), nil
}
