package tokenim

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzDecodeError feeds arbitrary error bodies and headers to the problem
// decoder: it must never panic, always report the HTTP status, and never
// quote a non-problem body.
func FuzzDecodeError(f *testing.F) {
	f.Add(402, "application/problem+json", `{"code":"card_declined","decline_code":"insufficient_funds","status":402}`, "1")
	f.Add(503, "text/html", "<html>oops</html>", "Wed, 21 Oct 2026 07:28:00 GMT")
	f.Add(409, "application/json", `{"code":1,"status":"x"}`, "-3")
	f.Add(500, "application/problem+json; charset=utf-8", `null`, "99999999999999999999")
	f.Fuzz(func(t *testing.T, status int, contentType, body, retryAfter string) {
		if status < 100 || status > 999 {
			status = 500
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		resp.Header.Set("Content-Type", contentType)
		resp.Header.Set("Retry-After", retryAfter)
		e := decodeError(resp, []byte(body), time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))
		require.NotNil(t, e)
		assert.Equal(t, status, e.HTTPStatus)
		assert.GreaterOrEqual(t, e.RetryAfter, time.Duration(0))
		msg := e.Error()
		assert.True(t, strings.HasPrefix(msg, "tokenim: "))
		if !strings.Contains(contentType, "json") && len(body) > 8 {
			assert.NotContains(t, msg, body)
		}
	})
}
