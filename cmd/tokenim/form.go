package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Form pairs. `tokenim post` and `trigger --override` take the body of a
// request as key=value pairs, in the shape of `stripe post -d`, and build
// the JSON body from them:
//
//   - a key nests with dots or brackets: method.type=card and
//     method[type]=card both give {"method":{"type":"card"}};
//   - a key ending in [] appends: events[]=order.paid -d events[]=order.expired
//     gives {"events":["order.paid","order.expired"]};
//   - a value that is an integer (no leading zero) becomes a JSON number,
//     true, false and null their JSON literals, and anything else a string;
//   - except that the value of a string field that often holds digits
//     stays a string: anything in a metadata (docs/tokenim-api.md §1:
//     string→string), and the fields number, cvc, otp and
//     merchant_order_id (§5);
//   - a value in double quotes is always a string, JSON-unescaped:
//     metadata.k="123", amount="12".
//
// A pair that cannot be placed (no "=", an empty key part, a key given
// twice, a key that is both a value and an object) is an error naming it.

// digitStringFields are the contract's string fields whose values are often
// all digits (a card number, a CVC, an OTP, an order reference).
var digitStringFields = map[string]bool{"number": true, "cvc": true, "otp": true, "merchant_order_id": true}

// integerValue is an integer as JSON writes one: no plus sign, no leading zero.
var integerValue = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,17})$`)

// sensitiveFields hold card data or codes: an error names their key and
// never their value.
var sensitiveFields = map[string]bool{"number": true, "cvc": true, "otp": true, "secret": true}

// shownPair is pair as an error quotes it: with the value of a sensitive
// field redacted.
func shownPair(pair string) string {
	key, _, ok := strings.Cut(pair, "=")
	if !ok {
		return pair
	}
	for _, part := range strings.FieldsFunc(key, func(r rune) bool { return r == '.' || r == '[' || r == ']' }) {
		if sensitiveFields[part] {
			return key + "=[redacted]"
		}
	}
	return pair
}

// formError names the pair at fault.
func formError(flag, pair, format string, args ...any) error {
	return usagef(flagCmd(flag), "%s %q: %s", strings.SplitN(flag, " ", 2)[0], shownPair(pair), fmt.Sprintf(format, args...))
}

// flagCmd is the command of a "flag command" label such as "-d post".
func flagCmd(flag string) string {
	if _, cmd, ok := strings.Cut(flag, " "); ok {
		return cmd
	}
	return ""
}

// splitKey splits "a.b[c][]" into ["a","b","c",""], "" meaning append.
func splitKey(key string) ([]string, error) {
	var parts []string
	for _, dotted := range strings.Split(key, ".") {
		name, rest, hasBracket := strings.Cut(dotted, "[")
		parts = append(parts, name)
		if !hasBracket {
			continue
		}
		for rest != "" {
			inner, after, ok := strings.Cut(rest, "]")
			if !ok {
				return nil, fmt.Errorf("unclosed [ in the key")
			}
			parts = append(parts, inner)
			rest = after
			if rest == "" {
				break
			}
			if !strings.HasPrefix(rest, "[") {
				return nil, fmt.Errorf("%q after ] in the key: use [a][b] or a.b", rest)
			}
			rest = rest[1:]
		}
	}
	for i, p := range parts {
		if p == "" && i != len(parts)-1 {
			return nil, fmt.Errorf("an empty part in the key (only a final [] appends)")
		}
	}
	if len(parts) == 1 && parts[0] == "" {
		return nil, fmt.Errorf("the key is empty")
	}
	return parts, nil
}

// formValue decodes one value by the rules above; key is its path.
func formValue(key []string, raw string) (any, error) {
	if len(raw) >= 2 && strings.HasPrefix(raw, `"`) && strings.HasSuffix(raw, `"`) {
		var s string
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return nil, fmt.Errorf("the quoted value is not a JSON string")
		}
		return s, nil
	}
	last := key[len(key)-1]
	if last == "" && len(key) > 1 {
		last = key[len(key)-2]
	}
	if slices.Contains(key, "metadata") || digitStringFields[last] {
		return raw, nil
	}
	switch {
	case integerValue.MatchString(raw):
		return json.Number(raw), nil
	case raw == "true":
		return true, nil
	case raw == "false":
		return false, nil
	case raw == "null":
		return nil, nil
	}
	return raw, nil
}

// setPair places one key=value pair into body.
func setPair(body map[string]any, flag, pair string) error {
	key, raw, ok := strings.Cut(pair, "=")
	if !ok {
		return formError(flag, pair, "want key=value")
	}
	parts, err := splitKey(key)
	if err != nil {
		return formError(flag, pair, "%v", err)
	}
	v, err := formValue(parts, raw)
	if err != nil {
		return formError(flag, pair, "%v", err)
	}
	cur := body
	for i, p := range parts {
		lastPart := i == len(parts)-1
		appendNext := i == len(parts)-2 && parts[len(parts)-1] == ""
		switch {
		case appendNext:
			prev, exists := cur[p]
			list, isList := prev.([]any)
			if exists && !isList {
				return formError(flag, pair, "%s is already set to something other than a list", strings.Join(parts[:i+1], "."))
			}
			cur[p] = append(list, v)
			return nil
		case lastPart:
			if _, exists := cur[p]; exists {
				return formError(flag, pair, "%s is given twice", strings.Join(parts, "."))
			}
			cur[p] = v
			return nil
		default:
			next, exists := cur[p]
			if !exists {
				m := map[string]any{}
				cur[p] = m
				cur = m
				continue
			}
			m, isMap := next.(map[string]any)
			if !isMap {
				return formError(flag, pair, "%s is already a value, not an object", strings.Join(parts[:i+1], "."))
			}
			cur = m
		}
	}
	return nil
}

// formBody builds the JSON object of pairs.
func formBody(flag string, pairs []string) (map[string]any, error) {
	body := map[string]any{}
	for _, p := range pairs {
		if err := setPair(body, flag, p); err != nil {
			return nil, err
		}
	}
	return body, nil
}

// mergeInto copies src over dst, recursing into objects both hold.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// pairsFlag collects a repeatable flag such as -d.
type pairsFlag []string

func (p *pairsFlag) String() string     { return strings.Join(*p, " ") }
func (p *pairsFlag) Set(v string) error { *p = append(*p, v); return nil }
