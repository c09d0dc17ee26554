package tokenim

import (
	"context"
	"net/http"
	"strings"
)

// WithAPIKeyFunc makes the client ask key for its API key on every call, so
// that a running fleet can move to a rolled key without a restart: key reads
// the secret manager (or a cached copy of it) and returns the current key
// (docs/tokenim-api.md §7; examples/key-rotation shows the procedure). Pass
// "" as NewClient's apiKey, and give WithBaseURL, since no key names the
// host up front.
//
// Every key key returns is checked like NewClient's: sk_test_ or sk_live_
// and visible ASCII, a live key never over http:// nor to the sandbox host,
// a test key never to live. A key that fails, or an error from key, fails
// that call before anything is sent, with an error that never quotes the
// key. key must be safe for concurrent use and should be fast: it runs once
// per call (not per retry), under the call's context.
func WithAPIKeyFunc(key func(ctx context.Context) (string, error)) Option {
	return func(s *config) error {
		if key == nil {
			return &ValidationError{Field: "api key func", Reason: "must not be nil"}
		}
		s.keyFunc = key
		return nil
	}
}

// keyFuncAuth is the auth of a client built WithAPIKeyFunc. The key lives
// only in this call's header, never in the client.
func keyFuncAuth(key func(context.Context) (string, error), baseURL string, merchantHeader []string) func(context.Context, http.Header) error {
	// The host rules depend only on the mode: decided once, not per call.
	hostErr := map[string]error{"test": checkKeyMatchesHost("test", baseURL), "live": checkKeyMatchesHost("live", baseURL)}
	return func(ctx context.Context, h http.Header) error {
		k, err := key(ctx)
		if err != nil {
			return &keySourceError{err: err}
		}
		if err := checkSourcedKey(k, hostErr); err != nil {
			return err
		}
		h["Authorization"] = []string{"Bearer " + k}
		h["Tokenim-Merchant-Id"] = merchantHeader
		return nil
	}
}

// checkSourcedKey holds a key from WithAPIKeyFunc to NewClient's rules.
func checkSourcedKey(k string, hostErr map[string]error) error {
	mode := ""
	switch {
	case strings.HasPrefix(k, "sk_test_"):
		mode = "test"
	case strings.HasPrefix(k, "sk_live_"):
		mode = "live"
	}
	if mode == "" || len(k) == len("sk_test_") || !isToken(k) {
		return &ValidationError{Field: "api key (from WithAPIKeyFunc)", Reason: "must be sk_test_ or sk_live_ followed by visible ASCII characters"}
	}
	if err := hostErr[mode]; err != nil {
		if ve, ok := err.(*ValidationError); ok {
			return &ValidationError{Field: ve.Field + " (key from WithAPIKeyFunc)", Reason: ve.Reason}
		}
		return err
	}
	return nil
}

// keySourceError is the error of the caller's WithAPIKeyFunc function.
type keySourceError struct{ err error }

func (e *keySourceError) Error() string { return "API key from WithAPIKeyFunc: " + e.err.Error() }
func (e *keySourceError) Unwrap() error { return e.err }

// keyLabel is how String and LogValue name the key: its mode, never itself.
func (c Client) keyLabel() string {
	if c.mode == "" {
		return "[REDACTED, from WithAPIKeyFunc]"
	}
	return "sk_" + c.mode + "_[REDACTED]"
}
