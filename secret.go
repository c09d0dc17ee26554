package tokenim

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Secret holds a secret the SDK hands to or takes from the platform: a card
// number or CVC (CardParams), a webhook signing secret
// (WebhookEndpoint.Secret), a new API key (APIKey.Secret). Only Reveal reads
// it. Every format verb prints "[REDACTED]" ("" for no secret), and so do
// slog (LogValue) and encoding/json (MarshalJSON): a Secret nested anywhere
// (a slice, a map, a struct field, by pointer) cannot reach a log, an error
// or a JSON document. The SDK sends the revealed value only on the wire.
//
// The value lives in a function value, which reflection cannot look into: a
// Secret in an unexported field of the merchant's own struct, which fmt
// prints by reflection, shows as a function address. The zero Secret holds
// no secret. Secrets are not comparable with ==; compare Reveal().
type Secret struct{ open func() string }

// APIKeySecret is the Secret of a new API key (sk_test_… or sk_live_…), as
// APIKeys.Roll returns it once.
type APIKeySecret = Secret

// NewSecret wraps s; the empty string is the zero Secret.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{open: func() string { return s }}
}

// Reveal returns the secret, "" when there is none. Use it where the secret
// goes (a secret manager, a verifier); never log it.
func (s Secret) Reveal() string {
	if s.open == nil {
		return ""
	}
	return s.open()
}

// IsZero reports whether there is no secret. A zero Secret field is left
// out of JSON by the omitzero option.
func (s Secret) IsZero() bool { return s.open == nil }

// String is "[REDACTED]", or "" when there is no secret.
func (s Secret) String() string {
	if s.open == nil {
		return ""
	}
	return "[REDACTED]"
}

// Format prints String for every verb; %q and %#v print it quoted.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || (verb == 'v' && f.Flag('#')) {
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
		return
	}
	_, _ = io.WriteString(f, s.String())
}

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON writes null, or "[REDACTED]": encoding a value that holds a
// Secret (to a log, a cache, a queue) never writes the secret.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s.open == nil {
		return []byte("null"), nil
	}
	return []byte(`"[REDACTED]"`), nil
}

// UnmarshalJSON reads a secret the platform answers (a roll's key, a new
// endpoint's signing secret); null and "" are no secret.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v *string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("tokenim: secret: %w", err)
	}
	if v == nil {
		*s = Secret{}
		return nil
	}
	*s = NewSecret(*v)
	return nil
}
