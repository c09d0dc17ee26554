package tokenim

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewClient_rejectsBadConfiguration(t *testing.T) {
	t.Parallel()
	const liveKey = "sk_live_SUPERsecretLIVE"
	merchant := WithMerchantID(testMerchantID)
	cases := []struct {
		name  string
		key   string
		opts  []Option
		field string
	}{
		{"empty key", "", []Option{merchant}, "api key"},
		{"publishable-looking key", "pk_test_SUPERsecret", []Option{merchant}, "api key"},
		{"key without body", "sk_test_", []Option{merchant}, "api key"},
		{"key with a space", "sk_test_SUPER secret", []Option{merchant}, "api key"},
		{"missing merchant id", testKey, nil, "merchant id"},
		{"empty merchant id", testKey, []Option{WithMerchantID("")}, "merchant id"},
		{"merchant id without prefix", testKey, []Option{WithMerchantID("acct_1")}, "merchant id"},
		{"base URL without scheme", testKey, []Option{merchant, WithBaseURL("sandbox.tokenim.com")}, "base URL"},
		{"base URL of another scheme", testKey, []Option{merchant, WithBaseURL("ftp://sandbox.tokenim.com")}, "base URL"},
		{"malformed base URL", testKey, []Option{merchant, WithBaseURL("http://[::1")}, "base URL"},
		{"base URL with query", testKey, []Option{merchant, WithBaseURL("https://x.test/?a=b")}, "base URL"},
		{"live key over http", liveKey, []Option{merchant, WithBaseURL("http://localhost:8080")}, "base URL"},
		{"live key against sandbox", liveKey, []Option{merchant, WithBaseURL(DefaultSandboxURL)}, "api key"},
		{"test key against live", testKey, []Option{merchant, WithBaseURL(DefaultLiveURL)}, "api key"},
		// The host guard compares normalised host names.
		{"live key against upper-case sandbox", liveKey, []Option{merchant, WithBaseURL("https://SANDBOX.tokenim.com")}, "api key"},
		{"live key against sandbox with :443", liveKey, []Option{merchant, WithBaseURL("https://sandbox.tokenim.com:443")}, "api key"},
		{"live key against sandbox with trailing dot", liveKey, []Option{merchant, WithBaseURL("https://sandbox.tokenim.com.")}, "api key"},
		{"test key against upper-case live", testKey, []Option{merchant, WithBaseURL("https://API.Tokenim.COM")}, "api key"},
		{"test key against live with :443", testKey, []Option{merchant, WithBaseURL("https://api.tokenim.com:443")}, "api key"},
		{"test key against live with trailing dot", testKey, []Option{merchant, WithBaseURL("https://api.tokenim.com.")}, "api key"},
		{"test key against live with both", testKey, []Option{merchant, WithBaseURL("https://Api.Tokenim.com.:443/")}, "api key"},
		{"tiny response limit", testKey, []Option{merchant, WithMaxResponseBytes(10)}, "max response bytes"},
		{"negative retries", testKey, []Option{merchant, WithMaxRetries(-1)}, "max retries"},
		{"inverted retry wait", testKey, []Option{merchant, WithRetryWait(time.Second, time.Millisecond)}, "retry wait"},
		{"zero timeout", testKey, []Option{merchant, WithTimeout(0)}, "timeout"},
		{"nil http client", testKey, []Option{merchant, WithHTTPClient(nil)}, "http client"},
		{"app info without name", testKey, []Option{merchant, WithAppInfo("", "1.0", "")}, "app info"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := NewClient(tc.key, tc.opts...)

			assert.Nil(t, c)
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tc.field, ve.Field)
			assert.ErrorIs(t, err, ErrInvalidRequest)
			assert.NotContains(t, err.Error(), "SUPER", "the key never reaches an error text")
			assert.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestNewClient_defaultBaseURLFollowsKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ key, want string }{
		{"sk_test_abc", DefaultSandboxURL},
		{"sk_live_abc", DefaultLiveURL},
	}
	for _, tc := range cases {
		mt := httpmock.NewMockTransport()
		var rec recorder
		mt.RegisterResponder("GET", tc.want+"/v1/orders/ord_1", rec.handle(func(int, *http.Request) (*http.Response, error) {
			return rawJSONResponse(200, orderJSON), nil
		}))
		c, err := NewClient(tc.key, WithMerchantID(testMerchantID), WithHTTPClient(&http.Client{Transport: mt}))
		require.NoError(t, err)

		_, err = c.Orders.Get(context.Background(), "ord_1")

		require.NoError(t, err, tc.key)
		assert.Equal(t, 1, rec.Count())
	}
}

func TestNewClient_doesNotMutateCallerHTTPClient(t *testing.T) {
	t.Parallel()
	hc := &http.Client{Transport: httpmock.NewMockTransport()}
	_, err := NewClient(testKey, WithMerchantID(testMerchantID), WithHTTPClient(hc), WithTimeout(time.Second))
	require.NoError(t, err)
	assert.Zero(t, hc.Timeout)

	own := &http.Client{Transport: httpmock.NewMockTransport(), Timeout: 5 * time.Second}
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithHTTPClient(own))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.http.Transport.(*attemptTransport).timeout, "the caller's own timeout is kept")
	c, err = NewClient(testKey, WithMerchantID(testMerchantID))
	require.NoError(t, err)
	assert.Equal(t, 80*time.Second, c.http.Transport.(*attemptTransport).timeout)
}

func TestDo_sendsContractHeaders(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t, WithAppInfo("shopcart", "2.1.0", "https://shop.example"))
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, orderJSON), nil
	}))

	_, err := c.Orders.Create(context.Background(), orderParams())

	require.NoError(t, err)
	h := rec.Requests()[0].Header
	assert.Equal(t, "Bearer "+testKey, h.Get("Authorization"))
	assert.Equal(t, testMerchantID, h.Get("Tokenim-Merchant-Id"))
	assert.Equal(t, "2026-11-01", h.Get("Tokenim-Version"))
	assert.Equal(t, "application/json", h.Get("Content-Type"))
	assert.Regexp(t, `^tokenim-go/0\.1\.0 \(go[^;]+; [a-z0-9]+/[a-z0-9]+\) shopcart/2\.1\.0 \(\+https://shop\.example\)$`, h.Get("User-Agent"))
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), h.Get("Idempotency-Key"))
}

func TestDo_freshKeyPerCall(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, orderJSON), nil
	}))
	for range 2 {
		_, err := c.Orders.Create(context.Background(), orderParams())
		require.NoError(t, err)
	}
	reqs := rec.Requests()
	assert.NotEqual(t, reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"))
}

func TestDo_getCarriesNoIdempotencyKey(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, orderJSON), nil
	}))
	_, err := c.Orders.Get(context.Background(), "ord_123", WithIdempotencyKey("ignored-on-get"))
	require.NoError(t, err)
	h := rec.Requests()[0].Header
	assert.Empty(t, h.Values("Idempotency-Key"))
	assert.Empty(t, h.Values("Content-Type"))
	assert.Empty(t, rec.Requests()[0].Body)
}

func TestStatusService_Get_sendsNoCredentials(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/status", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, `{"object":"status","status":"maintenance","message":"upgrading","updated_at":"2026-11-21T09:30:00Z"}`), nil
	}))

	st, err := c.Status.Get(context.Background())

	require.NoError(t, err)
	assert.Equal(t, PlatformMaintenance, st.Status)
	assert.Equal(t, "upgrading", st.Message)
	assert.Equal(t, time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC), st.UpdatedAt)
	h := rec.Requests()[0].Header
	assert.Empty(t, h.Values("Authorization"))
	assert.Empty(t, h.Values("Tokenim-Merchant-Id"))
	assert.Equal(t, APIVersion, h.Get("Tokenim-Version"))
}

func TestWithIdempotencyKey_validatesBeforeSending(t *testing.T) {
	t.Parallel()
	for _, key := range []string{"", "has space", "tab\there", "ünïcode", strings.Repeat("k", 256)} {
		c, mt, _ := newTestClient(t)
		var rec recorder
		mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
			return rawJSONResponse(200, orderJSON), nil
		}))

		_, err := c.Orders.Create(context.Background(), orderParams(), WithIdempotencyKey(key))

		var ve *ValidationError
		require.ErrorAs(t, err, &ve, "key %q", key)
		assert.Equal(t, "Idempotency-Key", ve.Field)
		assert.Equal(t, 0, rec.Count())
	}
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, orderJSON), nil
	}))
	key := strings.Repeat("k", 255)
	_, err := c.Orders.Create(context.Background(), orderParams(), WithIdempotencyKey(key))
	require.NoError(t, err)
	assert.Equal(t, key, rec.Requests()[0].Header.Get("Idempotency-Key"))
}

func TestWithResponse_reportsMetadataOnSuccessAndError(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", func(*http.Request) (*http.Response, error) {
		resp := rawJSONResponse(200, orderJSON)
		resp.Header.Set("Request-Id", "req_ok")
		resp.Header.Set("Idempotent-Replayed", "true")
		return resp, nil
	})
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders/ord_123/cancel", func(*http.Request) (*http.Response, error) {
		return problemResponse(409, CodeOrderNotCancelable, "Idempotent-Replayed", "false"), nil
	})

	var ok Response
	_, err := c.Orders.Create(context.Background(), orderParams(), WithIdempotencyKey("order-M-1"), WithResponse(&ok))
	require.NoError(t, err)
	assert.Equal(t, 200, ok.StatusCode)
	assert.Equal(t, "req_ok", ok.RequestID)
	assert.Equal(t, "order-M-1", ok.IdempotencyKey)
	assert.True(t, ok.Replayed)
	assert.Equal(t, APIVersion, ok.Header.Get("Tokenim-Version"))

	var failed Response
	_, err = c.Orders.Cancel(context.Background(), "ord_123", WithResponse(&failed))
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 409, failed.StatusCode)
	assert.Equal(t, "req_problem", failed.RequestID)
	assert.False(t, failed.Replayed)
	assert.NotEmpty(t, failed.IdempotencyKey)
	assert.Equal(t, failed.IdempotencyKey, apiErr.IdempotencyKey)
	assert.Equal(t, "req_problem", apiErr.RequestID)
}

func TestDo_decodesEveryProblemField(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	mt.RegisterResponder("POST", testBaseURL+"/v1/payments", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(402, `{"type":"https://docs.tokenim.com/errors/card_declined","title":"The card was declined",
			"status":402,"detail":"The card has insufficient funds.","code":"card_declined","decline_code":"insufficient_funds",
			"param":"method.card.number","request_id":"req_abc","payment_id":"pay_9","order_id":"ord_9","existing_id":null}`)
		resp.Header.Set("Content-Type", "application/problem+json")
		resp.Header.Set("Request-Id", "req_abc")
		return resp, nil
	})

	_, err := c.Payments.Create(context.Background(), &PaymentCreateParams{OrderID: "ord_9", Method: Card("4000000000009995", 12, 2030, "123")})

	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "https://docs.tokenim.com/errors/card_declined", apiErr.Type)
	assert.Equal(t, "The card was declined", apiErr.Title)
	assert.Equal(t, 402, apiErr.Status)
	assert.Equal(t, 402, apiErr.HTTPStatus)
	assert.Equal(t, "The card has insufficient funds.", apiErr.Detail)
	assert.Equal(t, CodeCardDeclined, apiErr.Code)
	assert.Equal(t, DeclineInsufficientFunds, apiErr.DeclineCode)
	assert.Equal(t, "method.card.number", apiErr.Param)
	assert.Equal(t, "req_abc", apiErr.RequestID)
	assert.Equal(t, "pay_9", apiErr.PaymentID)
	assert.Equal(t, "ord_9", apiErr.OrderID)
	assert.Empty(t, apiErr.ExistingID)
	assert.True(t, IsDeclined(err))
	assert.ErrorIs(t, err, ErrDeclined)
	assert.Equal(t, "tokenim: 402 card_declined (insufficient_funds): The card has insufficient funds. [param method.card.number] [request req_abc]", err.Error())
	assert.NotContains(t, err.Error(), "4000000000009995")
}

func TestError_matchesSentinels(t *testing.T) {
	t.Parallel()
	all := []error{ErrDeclined, ErrAuthentication, ErrPermission, ErrNotFound, ErrConflict, ErrIdempotency,
		ErrRateLimited, ErrUnavailable, ErrInvalidRequest, ErrUnknownOutcome}
	cases := []struct {
		status int
		code   ErrorCode
		want   []error
	}{
		{400, CodeAmountInvalid, []error{ErrInvalidRequest}},
		{401, CodeInvalidAPIKey, []error{ErrAuthentication}},
		{402, CodeCardDeclined, []error{ErrDeclined}},
		{402, CodeAuthenticationFailed, nil},
		{403, CodeAccountRestricted, []error{ErrPermission}},
		{404, CodeResourceMissing, []error{ErrNotFound}},
		{409, CodeOrderAlreadyPaid, []error{ErrConflict}},
		{409, CodeIdempotencyKeyInUse, []error{ErrConflict, ErrIdempotency}},
		{422, CodeIdempotencyKeyReused, []error{ErrIdempotency}},
		{429, CodeRateLimited, []error{ErrRateLimited}},
		{500, CodeInternalError, []error{ErrUnavailable}},
		{503, CodeServiceUnavailable, []error{ErrUnavailable}},
	}
	for _, tc := range cases {
		err := error(&Error{HTTPStatus: tc.status, Status: tc.status, Code: tc.code})
		wrapped := errors.Join(errors.New("context"), err)
		for _, s := range all {
			want := false
			for _, w := range tc.want {
				want = want || w == s
			}
			assert.Equal(t, want, errors.Is(wrapped, s), "%d %s vs %v", tc.status, tc.code, s)
		}
	}
}

func TestDo_nonJSONErrorBodyStillGivesError(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t, WithMaxRetries(0))
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(*http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(502, "<html><body>upstream proxy internal-host-secret</body></html>")
		resp.Header.Set("Content-Type", "text/html")
		resp.Header.Set("Request-Id", "req_proxy")
		resp.Header.Set("Retry-After", "7")
		return resp, nil
	})

	_, err := c.Orders.Get(context.Background(), "ord_123")

	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 502, apiErr.HTTPStatus)
	assert.Equal(t, "req_proxy", apiErr.RequestID)
	assert.Equal(t, "Bad Gateway", apiErr.Title)
	assert.Equal(t, 7*time.Second, apiErr.RetryAfter)
	assert.True(t, IsRetryable(err))
	assert.Contains(t, err.Error(), "502")
	assert.Contains(t, err.Error(), "text/html")
	assert.NotContains(t, err.Error(), "internal-host-secret")
}

func TestDo_decodeFailureNamesRequest(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders/ord_123", func(*http.Request) (*http.Response, error) {
		return rawJSONResponse(200, `{"id":`), nil
	})
	_, err := c.Orders.Get(context.Background(), "ord_123")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GET /v1/orders/ord_123")
	assert.Contains(t, err.Error(), "req_test")
}

func TestNewRequest_rejectsBadInput(t *testing.T) {
	t.Parallel()
	c, _, _ := newTestClient(t)
	var nilCtx context.Context // the bad input under test
	_, err := c.NewRequest(nilCtx, http.MethodGet, "/v1/orders", nil)
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = c.NewRequest(context.Background(), http.MethodGet, "v1/orders", nil)
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = c.NewRequest(context.Background(), http.MethodPost, "/v1/orders", map[string]any{"bad": make(chan int)})
	assert.Error(t, err)
	_, err = c.Do(nil, nil)
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

func TestClient_concurrentCallsShareNothingMutable(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	// Each call's first attempt fails and its second succeeds. Keying the
	// failure on the idempotency key, not on a global request count, keeps the
	// outcome independent of how the goroutines interleave.
	var mu sync.Mutex
	attempts := map[string]int{}
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", rec.handle(func(_ int, req *http.Request) (*http.Response, error) {
		mu.Lock()
		attempts[req.Header.Get("Idempotency-Key")]++
		first := attempts[req.Header.Get("Idempotency-Key")] == 1
		mu.Unlock()
		if first {
			return problemResponse(503, CodeServiceUnavailable), nil
		}
		return rawJSONResponse(200, orderJSON), nil
	}))
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.Orders.Create(context.Background(), orderParams())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	keys := map[string]bool{}
	for _, r := range rec.Requests() {
		keys[r.Header.Get("Idempotency-Key")] = true
	}
	assert.Len(t, keys, 20, "one key per call, reused across its retries")
	for key, n := range attempts {
		assert.Equal(t, 2, n, "key %s: one failed attempt, then one retry with the same key", key)
	}
}
