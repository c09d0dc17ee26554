package tokenim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyFuncClient is a test client whose key comes from key, with retry
// waits recorded instead of slept.
func keyFuncClient(t *testing.T, baseURL string, key func(context.Context) (string, error)) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	c, err := NewClient("", WithMerchantID(testMerchantID), WithBaseURL(baseURL),
		WithHTTPClient(&http.Client{Transport: mt}), WithAPIKeyFunc(key))
	require.NoError(t, err)
	s := &waitRecorder{}
	c.onWait, c.sleep = s.record, s.sleep
	c.jitter = func(max time.Duration) time.Duration { return max }
	return c, mt
}

// The function is asked once per call, so a client picks up a rolled key on
// its next call; the retries of one call keep the key it started with.
func TestWithAPIKeyFunc_keyPerCall(t *testing.T) {
	t.Parallel()
	keys := []string{"sk_test_firstKEY0001", "sk_test_secondKEY0002"}
	var asked atomic.Int32
	c, mt := keyFuncClient(t, testBaseURL, func(ctx context.Context) (string, error) {
		require.NotNil(t, ctx)
		return keys[min(int(asked.Add(1))-1, 1)], nil
	})
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_1", rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
		if n == 1 {
			return problemResponse(503, CodeServiceUnavailable), nil
		}
		return rawJSONResponse(200, `{"id":"ord_1","object":"order"}`), nil
	}))
	_, err := c.Orders.Get(context.Background(), "ord_1")
	require.NoError(t, err)
	_, err = c.Orders.Get(context.Background(), "ord_1")
	require.NoError(t, err)

	reqs := rec.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "Bearer sk_test_firstKEY0001", reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer sk_test_firstKEY0001", reqs[1].Header.Get("Authorization"), "a retry keeps its call's key")
	assert.Equal(t, "Bearer sk_test_secondKEY0002", reqs[2].Header.Get("Authorization"))
	assert.Equal(t, testMerchantID, reqs[2].Header.Get("Tokenim-Merchant-Id"))
	assert.Equal(t, int32(2), asked.Load())
}

// A bad key from the function fails that call before anything is sent,
// naming what is wrong and never quoting the key.
func TestWithAPIKeyFunc_badKeyFailsTheCall(t *testing.T) {
	t.Parallel()
	sourceErr := errors.New("secret manager unreachable")
	for _, tc := range []struct {
		name, base string
		key        string
		err        error
		field      string
	}{
		{"empty", testBaseURL, "", nil, "api key (from WithAPIKeyFunc)"},
		{"not a key", testBaseURL, "pk_test_NOTAKEY999", nil, "api key (from WithAPIKeyFunc)"},
		{"space", testBaseURL, "sk_test_has SPACE999", nil, "api key (from WithAPIKeyFunc)"},
		{"live over http", "http://127.0.0.1:9", "sk_live_LIVEKEY999", nil, "base URL (key from WithAPIKeyFunc)"},
		{"live to the sandbox", DefaultSandboxURL, "sk_live_LIVEKEY999", nil, "api key (key from WithAPIKeyFunc)"},
		{"test to live", DefaultLiveURL, "sk_test_TESTKEY999", nil, "api key (key from WithAPIKeyFunc)"},
		{"source error", testBaseURL, "", sourceErr, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := keyFuncClient(t, tc.base, func(context.Context) (string, error) { return tc.key, tc.err })
			_, err := c.Orders.Get(context.Background(), "ord_1")
			require.Error(t, err)
			assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
			if tc.key != "" {
				assert.NotContains(t, err.Error(), tc.key[8:])
			}
			if tc.err != nil {
				assert.ErrorIs(t, err, sourceErr)
				assert.Contains(t, err.Error(), "WithAPIKeyFunc")
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
		})
	}
}

func TestWithAPIKeyFunc_newClientRules(t *testing.T) {
	t.Parallel()
	f := func(context.Context) (string, error) { return "sk_test_abcdEFGH1234", nil }
	for name, tc := range map[string]struct {
		key   string
		opts  []Option
		field string
	}{
		"no key and no func": {"", []Option{WithBaseURL(testBaseURL)}, "api key"},
		"key and func":       {testKey, []Option{WithBaseURL(testBaseURL), WithAPIKeyFunc(f)}, "api key"},
		"func without URL":   {"", []Option{WithAPIKeyFunc(f)}, "base URL"},
		"nil func":           {"", []Option{WithBaseURL(testBaseURL), WithAPIKeyFunc(nil)}, "api key func"},
		"no key can go":      {"", []Option{WithBaseURL("http://api.tokenim.com"), WithAPIKeyFunc(f)}, "base URL"},
	} {
		_, err := NewClient(tc.key, append([]Option{WithMerchantID(testMerchantID)}, tc.opts...)...)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, name)
		assert.Equal(t, tc.field, ve.Field, name)
	}
}

func TestWithAPIKeyFunc_clientNeverPrintsTheKey(t *testing.T) {
	t.Parallel()
	c, _ := keyFuncClient(t, testBaseURL, func(context.Context) (string, error) { return "sk_test_SOURCEDsecret99", nil })
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("client", "c", c)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c), buf.String()} {
		assert.NotContains(t, s, "SOURCED")
		assert.Contains(t, s, "from WithAPIKeyFunc")
	}
}

// BenchmarkClientOverhead_APIKeyFunc is BenchmarkClientOverhead_CreatePayment
// with the key taken from WithAPIKeyFunc: the cost of asking and checking a
// key on every call.
func BenchmarkClientOverhead_APIKeyFunc(b *testing.B) {
	c, err := NewClient("", WithMerchantID(testMerchantID), WithBaseURL(testBaseURL),
		WithHTTPClient(&http.Client{Transport: staticTransport{[]byte(paymentJSON)}}),
		WithAPIKeyFunc(func(context.Context) (string, error) { return testKey, nil }))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	params := benchParams()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Payments.Create(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
}
