package tokenim

import (
	"context"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Local parameter checks. Each returns a *ValidationError naming the field,
// so a bad call fails before any request is sent.

const maxAmount = 99_999_999_999

func validateID(field, prefix, id string) error {
	if id == "" {
		return invalid(field, "is required")
	}
	if !strings.HasPrefix(id, prefix) || len(id) == len(prefix) {
		return invalid(field, "must be an id starting with %s", prefix)
	}
	for i := 0; i < len(id); i++ {
		b := id[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return invalid(field, "must contain only letters, digits, _ and -")
		}
	}
	return nil
}

// validateIDFilter checks an optional id filter of a list: empty means no
// filter.
func validateIDFilter(field, prefix, id string) error {
	if id == "" {
		return nil
	}
	return validateID(field, prefix, id)
}

func validateAmount(field string, amount int64) error {
	if amount < 1 || amount > maxAmount {
		return invalid(field, "must be between 1 and 99999999999 minor units, got %d", amount)
	}
	return nil
}

func validateCurrency(field, c string) error {
	if len(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z' {
		return invalid(field, "must be a 3-letter upper-case ISO 4217 code such as CNY")
	}
	return nil
}

func validateMetadata(md map[string]string) error {
	if len(md) > 20 {
		return invalid("metadata", "has %d keys, at most 20 allowed", len(md))
	}
	for k, v := range md {
		if k == "" || utf8.RuneCountInString(k) > 40 {
			return invalid("metadata", "keys must be 1-40 characters")
		}
		if utf8.RuneCountInString(v) > 500 {
			return invalid("metadata["+k+"]", "must be at most 500 characters")
		}
	}
	return nil
}

func validateMaxLen(field, s string, max int) error {
	if utf8.RuneCountInString(s) > max {
		return invalid(field, "must be at most %d characters", max)
	}
	return nil
}

func validateURL(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, "must be an absolute http:// or https:// URL")
	}
	return validateMaxLen(field, s, 2048)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validator is a request body that checks itself before it is sent; a nil
// pointer reports that the params are missing.
type validator interface{ validate() error }

// create is the mechanics of every Create: params are checked, then sent to
// ep. A *ValidationError sends nothing.
func create[T any](ctx context.Context, c *Client, ep endpoint, params validator, opts []RequestOption) (*T, error) {
	if err := params.validate(); err != nil {
		return nil, err
	}
	return fetch[T](ctx, c, ep, "", params, opts)
}

// requireParams rejects a nil params pointer for calls that need one.
func requireParams[T any](p *T, name string) error {
	if p == nil {
		return invalid(name, "must not be nil")
	}
	return nil
}
