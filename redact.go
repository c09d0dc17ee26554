package tokenim

import (
	"context"
	"net/http"
	"reflect"
)

// sentSecrets are the secrets a call sent (a card's number and CVC, a
// one-time code), to be stripped from every string its errors show: a
// problem document may echo the request (docs/contract-decisions.md,
// "Secrets in SDK values").
type sentSecrets struct {
	number string // a card number: removed wherever its digits appear, spaced or dashed too
	token  string // a CVC or one-time code: removed where it stands as a word of its own
}

// redacted replaces a secret in a string.
const redacted = "[REDACTED]"

type sentSecretsKey struct{}

// withSentSecrets makes s reach decodeError through the request's context,
// so that an *Error is clean from birth: before the observer, the log or
// an *UnknownOutcomeError sees it. A nil ctx is left for newCall to reject.
func withSentSecrets(ctx context.Context, s *sentSecrets) context.Context {
	if ctx == nil {
		return ctx
	}
	return context.WithValue(ctx, sentSecretsKey{}, s)
}

// sentSecretsOf returns the secrets of the call resp answers, or nil.
func sentSecretsOf(resp *http.Response) *sentSecrets {
	if resp == nil || resp.Request == nil {
		return nil
	}
	s, _ := resp.Request.Context().Value(sentSecretsKey{}).(*sentSecrets)
	return s
}

// scrub returns str without the secrets.
func (s *sentSecrets) scrub(str string) string {
	if s == nil || str == "" {
		return str
	}
	if len(s.number) >= 12 {
		str = replaceDigits(str, s.number, false)
	}
	if len(s.token) >= 3 {
		str = replaceDigits(str, s.token, true)
	}
	return str
}

// replaceDigits replaces every occurrence of secret in str with
// [REDACTED]. A word must stand alone (no letter or digit on either side);
// otherwise single spaces or dashes between the characters still match, as
// in "4242 4242 4242 4242".
func replaceDigits(str, secret string, word bool) string {
	var out []byte
	last := 0
	for i := 0; i < len(str); i++ {
		if str[i] != secret[0] || (word && i > 0 && isAlnum(str[i-1])) {
			continue
		}
		j, k := i, 0
		for j < len(str) && k < len(secret) {
			switch {
			case str[j] == secret[k]:
				j, k = j+1, k+1
				continue
			case !word && k > 0 && (str[j] == ' ' || str[j] == '-') && j+1 < len(str) && str[j+1] == secret[k]:
				j++
				continue
			}
			break
		}
		if k < len(secret) || (word && j < len(str) && isAlnum(str[j])) {
			continue
		}
		out = append(append(out, str[last:i]...), redacted...)
		last = j
		i = j - 1
	}
	if out == nil {
		return str
	}
	return string(append(out, str[last:]...))
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// scrubError removes the secrets from every string field of e (the
// problem's type, title, detail, param, codes and ids), and from the values
// of a map of strings, whatever fields *Error grows.
func (s *sentSecrets) scrubError(e *Error) {
	if s == nil || e == nil {
		return
	}
	v := reflect.ValueOf(e).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch {
		case !f.CanSet():
		case f.Kind() == reflect.String:
			f.SetString(s.scrub(f.String()))
		case f.Kind() == reflect.Map && f.Type().Key().Kind() == reflect.String && f.Type().Elem().Kind() == reflect.String:
			for it := f.MapRange(); it.Next(); {
				if clean := s.scrub(it.Value().String()); clean != it.Value().String() {
					f.SetMapIndex(it.Key(), reflect.ValueOf(clean).Convert(f.Type().Elem()))
				}
			}
		}
	}
}

// scrubErr cleans what err shows: every *Error in its chain in place (so
// errors.As finds a clean one), and, should some other error in the chain
// still print a secret, err wrapped in one whose Error() is scrubbed.
func (s *sentSecrets) scrubErr(err error) error {
	if s == nil || err == nil {
		return err
	}
	s.walk(err, 0)
	if msg := err.Error(); s.scrub(msg) != msg {
		return &scrubbedError{err: err, msg: s.scrub(msg)}
	}
	return err
}

func (s *sentSecrets) walk(err error, depth int) {
	if err == nil || depth > 32 {
		return
	}
	if e, ok := err.(*Error); ok {
		s.scrubError(e)
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		s.walk(u.Unwrap(), depth+1)
	case interface{ Unwrap() []error }:
		for _, w := range u.Unwrap() {
			s.walk(w, depth+1)
		}
	}
}

// scrubbedError is an error whose text held a secret the call sent.
type scrubbedError struct {
	err error
	msg string
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
