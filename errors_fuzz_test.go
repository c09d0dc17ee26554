package tokenim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// problemTransport answers every request with one canned response, so a fuzz
// input reaches the client's whole error path (send, Do, decodeError) and
// not only the decoder.
type problemTransport struct {
	status      int
	contentType string
	requestID   string
	retryAfter  string
	body        []byte
}

func (p *problemTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	h := http.Header{}
	h.Set("Content-Type", p.contentType)
	h.Set("Request-Id", p.requestID)
	h.Set("Retry-After", p.retryAfter)
	return &http.Response{
		StatusCode: p.status,
		Header:     h,
		Body:       io.NopCloser(bytes.NewReader(p.body)),
		Request:    req,
	}, nil
}

// FuzzDecodeProblem sends a POST through a client whose transport answers an
// arbitrary non-2xx status, content type, Request-Id, Retry-After and body.
// Whatever the body, the caller must get one *Error (never a panic, never
// nil) whose fields describe the response it actually got: the HTTP status,
// a message naming it, the call's idempotency key, a bounded Retry-After, a
// sentinel class matching the status, and no secret or non-problem body text.
func FuzzDecodeProblem(f *testing.F) {
	f.Add(402, "application/problem+json", "req_abc", "", []byte(`{"type":"https://docs.tokenim.com/errors/card_declined","title":"Card declined","status":402,"detail":"The card was declined.","code":"card_declined","decline_code":"insufficient_funds","param":null,"request_id":"req_abc","payment_id":"pay_1","order_id":"ord_1"}`))
	f.Add(409, "application/problem+json; charset=utf-8", "", "1", []byte(`{"code":"idempotency_key_in_use","status":409,"title":"In use"}`))
	f.Add(503, "text/html", "req_x", "30", []byte(`<html><body>upstream connect error</body></html>`))
	f.Add(429, "application/json", "", "Wed, 21 Oct 2026 07:28:00 GMT", []byte(`{"code":"rate_limited"}`))
	f.Add(500, "application/problem+json", "", "Fri, 31 Dec 9999 23:59:59 GMT", []byte(`{"code":"internal_error","status":"five hundred"}`))
	f.Add(404, "application/problem+json", "", "-1", []byte(`null`))
	f.Add(400, "", "", "", []byte{})
	f.Add(422, "application/json", "", "", []byte(`{"code":"x","detail":"`+strings.Repeat("a", 300)+`"`))
	f.Add(405, "application/json", "", "", []byte(`[{"code":"invalid_request"}]`))
	f.Add(502, "application/problem+json", "", "99999999999999999999", []byte(`{"title":"\u0000\ud800","status":-7}`))

	f.Fuzz(func(t *testing.T, status int, contentType, requestID, retryAfter string, body []byte) {
		// Only the error path: map any int onto 300–599.
		status = 300 + int(uint(status)%300)
		tr := &problemTransport{status: status, contentType: contentType, requestID: requestID, retryAfter: retryAfter, body: body}
		c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(testBaseURL),
			WithHTTPClient(&http.Client{Transport: tr}), WithMaxRetries(0))
		require.NoError(t, err)

		_, err = c.Orders.Create(context.Background(), &OrderCreateParams{MerchantOrderID: "m-1", Amount: 100, Currency: "CNY"},
			WithIdempotencyKey("fuzz-key-1"))
		require.Error(t, err)
		var apiErr *Error
		require.True(t, errors.As(err, &apiErr), "want *Error, got %T", err)
		require.NotNil(t, apiErr)

		assert.Equal(t, status, apiErr.HTTPStatus)
		assert.Equal(t, "fuzz-key-1", apiErr.IdempotencyKey)
		assert.GreaterOrEqual(t, apiErr.RetryAfter, time.Duration(0))
		assert.NotZero(t, apiErr.Status, "status falls back to the HTTP status")

		msg := err.Error()
		assert.True(t, strings.HasPrefix(msg, "tokenim: "+strconv.Itoa(status)), "message %q names the status", msg)
		if !bytes.Contains(body, []byte(testKey)) {
			assert.NotContains(t, msg, testKey, "the API key never reaches an error")
		}
		if apiErr.RequestID == "" {
			assert.Empty(t, requestID, "the Request-Id header fills a missing request_id")
		}
		// A body that is not a problem document is never quoted back (the
		// message may name the content type and request id, so a body that
		// is part of those proves nothing).
		if !strings.Contains(strings.ToLower(contentType), "json") && len(body) >= 16 &&
			!strings.Contains(contentType, string(body)) && !strings.Contains(requestID, string(body)) {
			assert.NotContains(t, msg, string(body))
		}

		// The sentinel classes follow the HTTP status, whatever the body says.
		assert.Equal(t, status == http.StatusNotFound, errors.Is(err, ErrNotFound))
		assert.Equal(t, status == http.StatusUnauthorized, errors.Is(err, ErrAuthentication))
		assert.Equal(t, status == http.StatusForbidden, errors.Is(err, ErrPermission))
		assert.Equal(t, status == http.StatusConflict, errors.Is(err, ErrConflict))
		assert.Equal(t, status == http.StatusTooManyRequests, errors.Is(err, ErrRateLimited))
		assert.Equal(t, status >= 500, errors.Is(err, ErrUnavailable))
		assert.False(t, errors.Is(err, ErrUnknownOutcome), "an answered call has a known outcome")
		_ = IsRetryable(err)
		_ = IsDeclined(err)
	})
}

// TestDecodeProblem_retryAfterDateIsBoundedLikeSeconds: Error.RetryAfter is
// capped at 24 h in both forms, so a caller that waits RetryAfter never hangs
// for years on a broken header.
func TestDecodeProblem_retryAfterDateIsBoundedLikeSeconds(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{"99999999999", "Fri, 31 Dec 9999 23:59:59 GMT"} {
		resp := &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}}
		resp.Header.Set("Content-Type", "application/problem+json")
		resp.Header.Set("Retry-After", v)
		e := decodeError(resp, []byte(`{"code":"service_unavailable","title":"Down"}`), now)
		assert.Equal(t, 24*time.Hour, e.RetryAfter, "Retry-After %q", v)
	}
}
