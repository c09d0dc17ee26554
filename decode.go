package tokenim

import (
	"bytes"
	"encoding/json"
	"io"
	"sync"
	"time"
)

// The fast path of decoding a Payment, the answer of the hottest calls
// (Payments.Create, Get, Confirm). encoding/json spends most of the client's
// own time on it: reflection per field, a scanner state per value, a
// time.Time through its Unmarshaler. decodePaymentFast reads the plain shape
// the platform sends (docs/tokenim-api.md §5): the documented keys, each
// once, in any order, strings without escapes or non-ASCII bytes, integers
// without fraction or exponent. On anything else it gives up, and the
// caller decodes the same bytes with encoding/json, so the result is
// always what encoding/json gives (FuzzDecodePayment holds both to that).

// decodePayment reads a 2xx body of at most max bytes into p. The result is
// the one json.NewDecoder(body).Decode(p) gives, error included.
func decodePayment(body io.Reader, contentLength, max int64, p *Payment) error {
	bp := bodyBufPool.Get().(*[]byte)
	defer bodyBufPool.Put(bp)
	data, readErr := readBody(body, (*bp)[:0], contentLength, max)
	*bp = data[:0]
	if readErr == nil && decodePaymentFast(data, p) {
		return nil
	}
	*p = Payment{}
	var r io.Reader = bytes.NewReader(data)
	if readErr != nil {
		// The body failed part way: encoding/json sees what came, then the error.
		r = io.MultiReader(r, errorReader{readErr})
	}
	return json.NewDecoder(r).Decode(p)
}

// bodyBufPool holds read buffers of answers, so reading one costs no allocation.
var bodyBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBody bounds what a pooled buffer grows to.
const maxPooledBody = 64 << 10

// readBody appends all of r to buf, sized up front from the Content-Length.
func readBody(r io.Reader, buf []byte, contentLength, max int64) ([]byte, error) {
	if contentLength > 0 && contentLength < max && contentLength < maxPooledBody && int64(cap(buf)) < contentLength+1 {
		buf = make([]byte, 0, contentLength+1) // +1: the read that sees EOF
	}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

// jsonScan reads the plain JSON subset of decodePaymentFast. ok turns false
// at the first thing outside it, and stays false.
type jsonScan struct {
	data []byte
	i    int
	ok   bool
}

func (s *jsonScan) ws() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (s *jsonScan) peek() byte {
	s.ws()
	if s.i >= len(s.data) {
		return 0
	}
	return s.data[s.i]
}

// expect consumes c or fails.
func (s *jsonScan) expect(c byte) {
	if s.peek() != c {
		s.ok = false
		return
	}
	s.i++
}

// null consumes a null if one comes next.
func (s *jsonScan) null() bool {
	if s.peek() == 'n' && bytes.HasPrefix(s.data[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// rawString returns the bytes of a string without escapes, control or
// non-ASCII bytes, without its quotes.
func (s *jsonScan) rawString() []byte {
	if s.peek() != '"' {
		s.ok = false
		return nil
	}
	start := s.i + 1
	for j := start; j < len(s.data); j++ {
		c := s.data[j]
		if c == '"' {
			s.i = j + 1
			return s.data[start:j]
		}
		if c < 0x20 || c == '\\' || c >= 0x80 {
			break
		}
	}
	s.ok = false
	return nil
}

// str reads a string or null (which leaves dst as it is, as encoding/json does).
func (s *jsonScan) str(dst *string) {
	if s.null() {
		return
	}
	if b := s.rawString(); s.ok {
		*dst = string(b)
	}
}

// int reads an integer of at most 18 digits (so it cannot overflow) or null.
func (s *jsonScan) int() (int64, bool) {
	if s.null() {
		return 0, false
	}
	s.ws()
	j, neg := s.i, false
	if j < len(s.data) && s.data[j] == '-' {
		neg = true
		j++
	}
	start := j
	var v int64
	for j < len(s.data) && s.data[j] >= '0' && s.data[j] <= '9' {
		v = v*10 + int64(s.data[j]-'0')
		j++
	}
	n := j - start
	if n == 0 || n > 18 || (n > 1 && s.data[start] == '0') {
		s.ok = false
		return 0, false
	}
	if j < len(s.data) && (s.data[j] == '.' || s.data[j] == 'e' || s.data[j] == 'E') {
		s.ok = false
		return 0, false
	}
	s.i = j
	if neg {
		v = -v
	}
	return v, true
}

func (s *jsonScan) int64(dst *int64) {
	if v, set := s.int(); set {
		*dst = v
	}
}

// intField reads into an int field; 18 digits fit an int on 64-bit
// platforms only, so elsewhere a large value goes to encoding/json.
func (s *jsonScan) intField(dst *int) {
	if v, set := s.int(); set {
		if int64(int(v)) != v {
			s.ok = false
			return
		}
		*dst = int(v)
	}
}

func (s *jsonScan) bool(dst *bool) {
	if s.null() {
		return
	}
	s.ws()
	switch {
	case bytes.HasPrefix(s.data[s.i:], []byte("true")):
		*dst, s.i = true, s.i+4
	case bytes.HasPrefix(s.data[s.i:], []byte("false")):
		*dst, s.i = false, s.i+5
	default:
		s.ok = false
	}
}

// time reads an RFC 3339 string through time.Time's own UnmarshalJSON, as
// encoding/json does.
func (s *jsonScan) time(dst *time.Time) {
	s.ws()
	start := s.i
	if s.rawString(); !s.ok {
		return
	}
	if dst.UnmarshalJSON(s.data[start:s.i]) != nil {
		s.ok = false
	}
}

// object calls field for each key of an object; seen catches a key given
// twice (encoding/json merges or overwrites; the fast path gives up).
func (s *jsonScan) object(field func(key []byte) bool) {
	s.expect('{')
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.ok {
		key := s.rawString()
		s.expect(':')
		if !s.ok || !field(key) {
			s.ok = false
			return
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.ok = false
		}
	}
}

// once marks bit in *seen, failing the scan if it was set already.
func (s *jsonScan) once(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		s.ok = false
		return false
	}
	*seen |= bit
	return true
}

// decodePaymentFast decodes data into a zero p and reports whether it could;
// when it could not, p holds a partial result the caller discards.
func decodePaymentFast(data []byte, p *Payment) bool {
	s := jsonScan{data: data, ok: true}
	var seen uint32
	s.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			s.once(&seen, 1<<0)
			s.str(&p.ID)
		case "object":
			s.once(&seen, 1<<1)
			s.str(&p.Object)
		case "order_id":
			s.once(&seen, 1<<2)
			s.str(&p.OrderID)
		case "amount":
			s.once(&seen, 1<<3)
			s.int64(&p.Amount)
		case "currency":
			s.once(&seen, 1<<4)
			s.str((*string)(&p.Currency))
		case "method":
			s.once(&seen, 1<<5)
			s.paymentMethod(&p.Method)
		case "status":
			s.once(&seen, 1<<6)
			s.str((*string)(&p.Status))
		case "failure_code":
			s.once(&seen, 1<<7)
			s.str((*string)(&p.FailureCode))
		case "failure_message":
			s.once(&seen, 1<<8)
			s.str(&p.FailureMessage)
		case "next_action":
			s.once(&seen, 1<<9)
			if !s.null() {
				p.NextAction = new(NextAction)
				var seenNA uint32
				s.object(func(key []byte) bool {
					if string(key) != "type" || !s.once(&seenNA, 1) {
						return false
					}
					s.str((*string)(&p.NextAction.Type))
					return s.ok
				})
			}
		case "fee":
			s.once(&seen, 1<<10)
			s.int64(&p.Fee)
		case "net":
			s.once(&seen, 1<<11)
			s.int64(&p.Net)
		case "amount_refunded":
			s.once(&seen, 1<<12)
			s.int64(&p.AmountRefunded)
		case "disputed":
			s.once(&seen, 1<<13)
			s.bool(&p.Disputed)
		case "receipt_number":
			s.once(&seen, 1<<14)
			s.str(&p.ReceiptNumber)
		case "created_at":
			s.once(&seen, 1<<15)
			if !s.null() {
				s.time(&p.CreatedAt)
			}
		case "succeeded_at":
			s.once(&seen, 1<<16)
			if !s.null() {
				p.SucceededAt = new(time.Time)
				s.time(p.SucceededAt)
			}
		case "version":
			s.once(&seen, 1<<18)
			s.int64(&p.Version)
		case "metadata":
			s.once(&seen, 1<<17)
			if !s.null() {
				p.Metadata = make(map[string]string)
				s.object(func(key []byte) bool {
					k := string(key)
					if _, dup := p.Metadata[k]; dup || s.null() { // null would keep the key with ""
						return false
					}
					v := s.rawString()
					p.Metadata[k] = string(v)
					return s.ok
				})
			}
		default:
			return false
		}
		return s.ok
	})
	return s.ok
}

// paymentMethod reads a payment's method object.
func (s *jsonScan) paymentMethod(m *PaymentMethod) {
	if s.null() {
		return
	}
	var seen uint32
	s.object(func(key []byte) bool {
		switch string(key) {
		case "type":
			s.once(&seen, 1<<0)
			s.str((*string)(&m.Type))
		case "card":
			s.once(&seen, 1<<1)
			if !s.null() {
				m.Card = new(PaymentMethodCard)
				var seenCard uint32
				s.object(func(key []byte) bool {
					switch string(key) {
					case "brand":
						s.once(&seenCard, 1<<0)
						s.str((*string)(&m.Card.Brand))
					case "last4":
						s.once(&seenCard, 1<<1)
						s.str(&m.Card.Last4)
					case "exp_month":
						s.once(&seenCard, 1<<2)
						s.intField(&m.Card.ExpMonth)
					case "exp_year":
						s.once(&seenCard, 1<<3)
						s.intField(&m.Card.ExpYear)
					default:
						return false
					}
					return s.ok
				})
			}
		case "wallet":
			s.once(&seen, 1<<2)
			if !s.null() {
				m.Wallet = new(PaymentMethodWallet)
				var seenWallet uint32
				s.object(func(key []byte) bool {
					if string(key) != "provider" || !s.once(&seenWallet, 1) {
						return false
					}
					s.str((*string)(&m.Wallet.Provider))
					return s.ok
				})
			}
		default:
			return false
		}
		return s.ok
	})
}
