package tokenim

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go/sandbox"
)

// keyCapture answers 200 with an order and remembers the Idempotency-Key
// headers it was sent.
type keyCapture struct {
	mu   sync.Mutex
	keys [][]string
}

func (k *keyCapture) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	k.mu.Lock()
	k.keys = append(k.keys, req.Header.Values("Idempotency-Key"))
	k.mu.Unlock()
	return rawJSONResponse(http.StatusOK, `{"id":"ord_1","object":"order"}`), nil
}

// visibleASCIIKey is the contract's rule (docs/tokenim-api.md §2), written independently of the
// client: 1–255 bytes, each 0x21–0x7E.
func visibleASCIIKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// FuzzIdempotencyKey checks that WithIdempotencyKey accepts exactly the keys
// of 1–255 visible ASCII characters: an accepted key is sent byte for byte
// as the only Idempotency-Key header; a rejected one fails locally with a
// *ValidationError naming the header, before any request and without
// echoing the key.
func FuzzIdempotencyKey(f *testing.F) {
	for _, k := range []string{
		"order-M-1", "a", "~", "!", "\"quoted\"", "key with space", "tab\tkey", "",
		"caf\u00e9", "\x7f", "\x20", "line\nbreak", "0123456789abcdef0123456789abcdef",
		string(make([]byte, 256)),
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		tr := &keyCapture{}
		c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(testBaseURL),
			WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(0))
		require.NoError(t, err)

		assert.Equal(t, visibleASCIIKey(key), validateIdempotencyKey(key) == nil)

		var resp Response
		_, err = c.Orders.Create(context.Background(), &OrderCreateParams{MerchantOrderID: "m-1", Amount: 100, Currency: "CNY"},
			WithIdempotencyKey(key), WithResponse(&resp))
		if visibleASCIIKey(key) {
			require.NoError(t, err)
			require.Len(t, tr.keys, 1)
			assert.Equal(t, []string{key}, tr.keys[0], "the key is sent unchanged, once")
			assert.Equal(t, key, resp.IdempotencyKey)
			return
		}
		require.Error(t, err)
		var ve *ValidationError
		require.True(t, errors.As(err, &ve), "want *ValidationError, got %T", err)
		assert.Equal(t, "Idempotency-Key", ve.Field)
		assert.ErrorIs(t, err, ErrInvalidRequest)
		assert.Empty(t, tr.keys, "nothing is sent with a bad key")
		if len(key) >= 4 {
			assert.NotContains(t, err.Error(), key, "a rejected key is not echoed")
		}
	})
}

// TestIdempotencyKey_sandboxAcceptsEveryKeyTheClientSends holds the two
// implementations together: every 1–255 visible ASCII key the client accepts
// is accepted by the sandbox, also one that merely looks quoted.
func TestIdempotencyKey_sandboxAcceptsEveryKeyTheClientSends(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c, err := NewClient(srv.APIKey(), WithMerchantID(srv.MerchantID), WithBaseURL(srv.URL), WithMaxRetries(0))
	require.NoError(t, err)
	for i, key := range []string{`""`, `"a"b"`, `"\x"`} {
		require.NoError(t, validateIdempotencyKey(key))
		_, err := c.Orders.Create(context.Background(), &OrderCreateParams{
			MerchantOrderID: "quoted-looking-" + strconv.Itoa(i), Amount: 1999, Currency: "CNY"}, WithIdempotencyKey(key))
		assert.NoError(t, err, "key %q", key)
	}
}
