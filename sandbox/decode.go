package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"
)

// kind is the JSON type a request field must have.
type kind int

const (
	kString kind = iota
	kInt
	kNumber
	kBool
	kObject
	kStringMap
	kStringList
	kObjectList
)

func (k kind) String() string {
	switch k {
	case kString:
		return "a string"
	case kInt:
		return "an integer"
	case kNumber:
		return "a number"
	case kBool:
		return "a boolean"
	case kObject, kStringMap:
		return "an object"
	case kStringList:
		return "an array of strings"
	case kObjectList:
		return "an array of objects"
	}
	return "a value"
}

// field describes one member of a request object.
type field struct {
	name     string
	kind     kind
	required bool
	sub      []field // members of a kObject, or of each kObjectList element
	// example, when set, is shown after a value of the wrong type, so that
	// `"method":"card"` learns what an object here looks like.
	example string
}

// object is a decoded, schema-checked request object.
type object map[string]any

// decodeStrict parses body as one JSON object and checks it against schema:
// unknown members at any depth are parameter_unknown, wrong types and missing
// required members are invalid_request, each naming the dotted path.
// An empty body is {}. A body that is not UTF-8 (docs/tokenim-api.md §1), or
// that names a key twice in one object, is invalid_request too: a proxy that
// reads the first of two amounts must not disagree with what is charged
// (docs/contract-decisions.md, request bodies).
func decodeStrict(body []byte, schema []field) (object, *apiError) {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if !utf8.Valid(body) {
		at := 0
		for at < len(body) {
			r, n := utf8.DecodeRune(body[at:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			at += n
		}
		return nil, errInvalid("", "The request body is not valid UTF-8 (byte "+strconv.Itoa(at)+").")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errInvalid("", "The request body is not valid JSON: "+jsonErrText(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errInvalid("", "The request body has data after the JSON object.")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errInvalid("", "The request body must be a JSON object.")
	}
	if p, dup := duplicateKey(body); dup {
		return nil, errInvalid(p, "The key "+strconv.Quote(p)+" appears more than once; send each key once.")
	}
	if e := checkObject(m, schema, ""); e != nil {
		return nil, e
	}
	return object(m), nil
}

// duplicateKey reports the dotted path (array elements by index) of the
// first key that body, valid JSON, repeats within one object. Keys compare
// as decoded, so "a" and "\u0061" are the same key.
func duplicateKey(body []byte) (string, bool) {
	type frame struct {
		obj     bool
		wantKey bool
		seen    map[string]bool
		key     string
		idx     int
		path    string
	}
	var stack []*frame
	child := func() string {
		if len(stack) == 0 {
			return ""
		}
		top := stack[len(stack)-1]
		if top.obj {
			return join(top.path, top.key)
		}
		return join(top.path, strconv.Itoa(top.idx))
	}
	done := func() { // a value ended: the enclosing container moves on
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.obj {
			top.wantKey = true
		} else {
			top.idx++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			top := stack[n-1]
			k, isKey := tok.(string)
			if !isKey { // '}'
				stack = stack[:n-1]
				done()
				continue
			}
			if top.seen[k] {
				return join(top.path, k), true
			}
			top.seen[k], top.key, top.wantKey = true, k, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, wantKey: true, seen: map[string]bool{}, path: child()})
		case json.Delim('['):
			stack = append(stack, &frame{path: child()})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
		default:
			done()
		}
	}
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " at offset " + strconv.FormatInt(se.Offset, 10) + "."
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of input."
	}
	return "malformed input."
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func checkObject(m map[string]any, schema []field, prefix string) *apiError {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !hasField(schema, k) {
			p := join(prefix, k)
			return newError(400, "parameter_unknown", "Unknown parameter",
				"The parameter "+strconv.Quote(p)+" is not recognised.").withParam(p)
		}
	}
	for _, f := range schema {
		p := join(prefix, f.name)
		v, ok := m[f.name]
		if !ok || v == nil {
			delete(m, f.name) // null is the same as absent
			if f.required {
				return errInvalid(p, "The parameter "+strconv.Quote(p)+" is required.")
			}
			continue
		}
		if e := checkValue(v, f, p); e != nil {
			return e
		}
	}
	return nil
}

func hasField(schema []field, name string) bool {
	for _, f := range schema {
		if f.name == name {
			return true
		}
	}
	return false
}

func checkValue(v any, f field, p string) *apiError {
	wrong := func() *apiError {
		msg := "The parameter " + strconv.Quote(p) + " must be " + f.kind.String()
		if f.example != "" {
			msg += ", like " + f.example
		}
		return errInvalid(p, msg+".")
	}
	switch f.kind {
	case kString:
		if _, ok := v.(string); !ok {
			return wrong()
		}
	case kBool:
		if _, ok := v.(bool); !ok {
			return wrong()
		}
	case kInt:
		n, ok := v.(json.Number)
		if !ok || !isIntText(string(n)) {
			return wrong()
		}
	case kNumber:
		if _, ok := v.(json.Number); !ok {
			return wrong()
		}
	case kObject:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		return checkObject(m, f.sub, p)
	case kStringMap:
		m, ok := v.(map[string]any)
		if !ok {
			return wrong()
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if _, ok := m[k].(string); !ok {
				kp := join(p, k)
				return errInvalid(kp, "The parameter "+strconv.Quote(kp)+" must be a string.")
			}
		}
	case kObjectList:
		l, ok := v.([]any)
		if !ok {
			return wrong()
		}
		for i, e := range l {
			ip := p + "." + strconv.Itoa(i)
			m, ok := e.(map[string]any)
			if !ok {
				return errInvalid(ip, "The parameter "+strconv.Quote(ip)+" must be an object.")
			}
			if er := checkObject(m, f.sub, ip); er != nil {
				return er
			}
		}
	case kStringList:
		l, ok := v.([]any)
		if !ok {
			return wrong()
		}
		for i, e := range l {
			if _, ok := e.(string); !ok {
				ip := p + "." + strconv.Itoa(i)
				return errInvalid(ip, "The parameter "+strconv.Quote(ip)+" must be a string.")
			}
		}
	}
	return nil
}

// isIntText reports whether s is a JSON number without fraction or exponent.
func isIntText(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
	}
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

func (o object) has(name string) bool { _, ok := o[name]; return ok }

func (o object) str(name string) string {
	s, _ := o[name].(string)
	return s
}

func (o object) boolean(name string) bool {
	b, _ := o[name].(bool)
	return b
}

// int returns an integer member; values beyond int64 saturate so that range
// checks reject them.
func (o object) int(name string) int64 {
	n, _ := o[name].(json.Number)
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		if len(n) > 0 && n[0] == '-' {
			return -1 << 63
		}
		return 1<<63 - 1
	}
	return i
}

func (o object) float(name string) float64 {
	n, _ := o[name].(json.Number)
	f, _ := strconv.ParseFloat(string(n), 64)
	return f
}

func (o object) obj(name string) object {
	m, _ := o[name].(map[string]any)
	return object(m)
}

func (o object) strMap(name string) map[string]string {
	m, _ := o[name].(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

func (o object) strList(name string) []string {
	l, _ := o[name].([]any)
	out := make([]string, 0, len(l))
	for _, v := range l {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}
