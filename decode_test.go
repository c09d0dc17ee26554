package tokenim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeBothWays decodes data with encoding/json and with decodePayment and
// returns each result as its JSON encoding (time.Time values with the same
// instant and offset compare equal that way) and error text.
func decodeBothWays(t testing.TB, data []byte) (want, got string) {
	var std, fast Payment
	stdErr := json.NewDecoder(bytes.NewReader(data)).Decode(&std)
	fastErr := decodePayment(bytes.NewReader(data), int64(len(data)), DefaultMaxResponseBytes, &fast)
	show := func(p *Payment, err error) string {
		b, mErr := json.Marshal(p)
		if mErr != nil {
			return "marshal: " + mErr.Error()
		}
		return fmt.Sprintf("%s | err=%v", b, err)
	}
	return show(&std, stdErr), show(&fast, fastErr)
}

// paymentSeeds are answers in and out of the fast path's plain shape.
var paymentSeeds = []string{
	paymentJSON,
	`{"id":"pay_1","object":"payment","order_id":"ord_1","amount":-0,"currency":"USD","method":{"type":"wallet","wallet":{"provider":"alipay"},"card":null},"status":"requires_action","failure_code":"card_declined","failure_message":"no","next_action":{"type":"otp"},"fee":0,"net":0,"amount_refunded":0,"disputed":true,"receipt_number":null,"created_at":"2026-11-21T09:30:00+08:00","succeeded_at":null,"metadata":{"a":"b","c":""}}`,
	`{"id":"pay_1","ID":"pay_2"}`,
	`{"id":"pay_1","id":"pay_2"}`,
	`{"metadata":{"a":"1","a":"2"}}`,
	`{"metadata":{"a":null}}`,
	`{"amount":12345678901234567890}`,
	`{"amount":1.5}`,
	`{"amount":"12"}`,
	`{"amount":01}`,
	`{"disputed":null,"next_action":{},"method":{"card":{}}}`,
	`{"id":"caf\u00e9"}`,
	"{\"id\":\"caf\xc3\xa9\"}",
	"{\"id\":\"\xff\"}",
	`{"created_at":"2026-13-01T00:00:00Z"}`,
	`{"created_at":"2026-11-21 09:30:00Z"}`,
	`{"created_at":null,"succeeded_at":"2026-11-21T09:30:01.123456789Z"}`,
	`{"id":"pay_1"} trailing`,
	`{"id":"pay_1",}`,
	`{"id" "pay_1"}`,
	`null`,
	` { } `,
	`{"id":"pay_1"`,
	`[]`,
	``,
	`{"method":{"card":{"exp_month":9223372036854775807}}}`,
	`{"method":{"card":{"exp_month":-12,"exp_year":2030,"brand":"visa","last4":"4242","x":1}}}`,
	`{"disputed":truex}`,
	`{"fee":-}`,
}

// FuzzDecodePayment holds the fast decoder to encoding/json: the same value
// and the same error for every input.
func FuzzDecodePayment(f *testing.F) {
	for _, s := range paymentSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, got := decodeBothWays(t, data)
		if want != got {
			t.Fatalf("input %q:\nencoding/json: %s\nfast:          %s", data, want, got)
		}
	})
}

func TestDecodePayment_fastPathTakesThePlatformsAnswers(t *testing.T) {
	t.Parallel()
	for _, s := range paymentSeeds[:2] {
		var p Payment
		require.True(t, decodePaymentFast([]byte(s), &p), "the plain shape is decoded without encoding/json: %s", s)
		want, got := decodeBothWays(t, []byte(s))
		assert.Equal(t, want, got)
	}
}

func TestDecodePayment_readErrorIsEncodingJSONs(t *testing.T) {
	t.Parallel()
	for _, cut := range []int{0, 40, len(paymentJSON)} {
		var std, fast Payment
		stdErr := json.NewDecoder(io.MultiReader(strings.NewReader(paymentJSON[:cut]), errorReader{io.ErrUnexpectedEOF})).Decode(&std)
		fastErr := decodePayment(io.MultiReader(strings.NewReader(paymentJSON[:cut]), errorReader{io.ErrUnexpectedEOF}), int64(len(paymentJSON)), DefaultMaxResponseBytes, &fast)
		assert.Equal(t, fmt.Sprint(stdErr), fmt.Sprint(fastErr), "cut at %d", cut)
		assert.Equal(t, std.ID, fast.ID)
	}
}

// TestDecodePayment_knowsEveryField fails when Payment or a type inside it
// changes: decodePaymentFast must then learn the change (a new key it does
// not know only sends the answer to encoding/json, but a changed type or
// an Unmarshaler would be decoded wrongly).
func TestDecodePayment_knowsEveryField(t *testing.T) {
	t.Parallel()
	describe := func(v any) string {
		var b strings.Builder
		var walk func(reflect.Type)
		walk = func(typ reflect.Type) {
			for i := range typ.NumField() {
				f := typ.Field(i)
				ft := f.Type
				if reflect.PointerTo(ft).Implements(reflect.TypeFor[json.Unmarshaler]()) && ft != reflect.TypeFor[Payment]().Field(15).Type {
					fmt.Fprintf(&b, "%s has an Unmarshaler; ", f.Name)
				}
				fmt.Fprintf(&b, "%s %s %s; ", f.Name, ft, f.Tag.Get("json"))
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct && ft.PkgPath() == reflect.TypeFor[Payment]().PkgPath() {
					walk(ft)
				}
			}
		}
		walk(reflect.TypeOf(v))
		return b.String()
	}
	assert.Equal(t, "ID string id; Object string object; OrderID string order_id; Amount int64 amount; "+
		"Currency tokenim.Currency currency; Method tokenim.PaymentMethod method; Type tokenim.PaymentMethodType type; "+
		"Card *tokenim.PaymentMethodCard card,omitempty; Brand tokenim.CardBrand brand; Last4 string last4; "+
		"ExpMonth int exp_month; ExpYear int exp_year; Wallet *tokenim.PaymentMethodWallet wallet,omitempty; "+
		"Provider tokenim.WalletProvider provider; Status tokenim.PaymentStatus status; "+
		"FailureCode tokenim.PaymentFailureCode failure_code; FailureMessage string failure_message; "+
		"NextAction *tokenim.NextAction next_action; Type tokenim.NextActionType type; Fee int64 fee; Net int64 net; "+
		"AmountRefunded int64 amount_refunded; Disputed bool disputed; ReceiptNumber string receipt_number; "+
		"CreatedAt time.Time created_at; SucceededAt *time.Time succeeded_at; Metadata map[string]string metadata; Version int64 version; ",
		describe(Payment{}))
}
