package apispec

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reportTB records what a Recorder reports instead of failing the test.
type reportTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *reportTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *reportTB) reported() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// fakeAPI answers every request with status and body, with the headers the
// contract requires on /v1/ routes.
func fakeAPI(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			w.Header().Set("Request-Id", requestID)
			w.Header().Set("Tokenim-Version", "2026-11-01")
		}
		if status >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", "GET, POST")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func send(t *testing.T, client *http.Client, method, url, body string, auth bool) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Tokenim-Merchant-Id", merchantID)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(got)
}

// sides runs a test once with the Recorder around the server's handler and
// once around the client's transport.
func sides(t *testing.T, handler http.Handler, strict bool, run func(t *testing.T, client *http.Client, base string, rec *Recorder, tb *reportTB)) {
	t.Helper()
	for _, side := range []string{"Handler", "RoundTripper"} {
		t.Run(side, func(t *testing.T) {
			t.Parallel()
			tb := &reportTB{TB: t}
			rec := NewRecorder(tb)
			if strict {
				rec.RejectInvalidRequests()
			}
			client := &http.Client{}
			var srv *httptest.Server
			if side == "Handler" {
				srv = httptest.NewServer(rec.Handler(handler))
			} else {
				srv = httptest.NewServer(handler)
				client.Transport = rec.RoundTripper(srv.Client().Transport)
			}
			t.Cleanup(srv.Close)
			run(t, client, srv.URL, rec, tb)
		})
	}
}

func TestRecorder_validExchangeIsCoveredAndPassesThrough(t *testing.T) {
	t.Parallel()
	sides(t, fakeAPI(200, orderPaid), false, func(t *testing.T, c *http.Client, base string, rec *Recorder, tb *reportTB) {
		status, body := send(t, c, "GET", base+"/v1/orders/ord_8Hn2kLq", "", true)
		assert.Equal(t, 200, status)
		assert.Equal(t, orderPaid, body, "the body reaches the client unchanged")
		send(t, c, "GET", base+"/v1/orders/ord_8Hn2kLq", "", true)
		assert.Empty(t, tb.reported())
		assert.Empty(t, rec.Failures())
		assert.Equal(t, map[string]int{"getOrder": 2}, rec.Covered())
		uncovered := rec.Uncovered()
		assert.NotContains(t, uncovered, "getOrder")
		assert.Len(t, uncovered, len(contractOperations)-1, "every other /v1/ operation, and no control operation")
		assert.True(t, slices.IsSorted(uncovered))
	})
}

func TestRecorder_invalidResponseIsReportedWithOperationAndReason(t *testing.T) {
	t.Parallel()
	bad := strings.Replace(orderPaid, `"metadata":{}`, `"metadata":{},"extra":1`, 1)
	sides(t, fakeAPI(200, bad), false, func(t *testing.T, c *http.Client, base string, rec *Recorder, tb *reportTB) {
		status, body := send(t, c, "GET", base+"/v1/orders/ord_8Hn2kLq", "", true)
		assert.Equal(t, 200, status)
		assert.Equal(t, bad, body)
		reported := tb.reported()
		require.Len(t, reported, 1)
		assert.Contains(t, reported[0], "getOrder")
		assert.Contains(t, reported[0], `"extra" is unsupported`)
		assert.Equal(t, []string{strings.TrimPrefix(reported[0], "apispec: ")}, rec.Failures())
		assert.Equal(t, map[string]int{"getOrder": 1}, rec.Covered())
	})
}

func TestRecorder_requestBodyReachesTheServerUnchanged(t *testing.T) {
	t.Parallel()
	const body = `{"merchant_order_id":"A-1001","amount":1999,"currency":"CNY"}`
	var (
		mu   sync.Mutex
		seen []string
	)
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, string(b))
		mu.Unlock()
		fakeAPI(200, orderOpen).ServeHTTP(w, r)
	})
	sides(t, echo, true, func(t *testing.T, c *http.Client, base string, rec *Recorder, tb *reportTB) {
		status, _ := send(t, c, "POST", base+"/v1/orders", body, true)
		assert.Equal(t, 200, status)
		assert.Empty(t, tb.reported())
		assert.Equal(t, map[string]int{"createOrder": 1}, rec.Covered())
	})
	// Subtests run in parallel after this function returns; check in cleanup.
	t.Cleanup(func() {
		assert.Equal(t, []string{body, body}, seen)
	})
}

func TestRecorder_invalidRequestIsAFailureOnlyWhenAccepted(t *testing.T) {
	t.Parallel()
	const unknownField = `{"merchant_order_id":"A","amount":1999,"currency":"CNY","colour":"red"}`
	rejected := problem(400, "parameter_unknown", `,"param":"colour"`)

	t.Run("rejected with the contract's problem", func(t *testing.T) {
		t.Parallel()
		mux := http.NewServeMux()
		mux.Handle("/v1/orders", fakeAPI(400, rejected))
		mux.Handle("/v1/orders/", fakeAPI(401, problem(401, "authentication_required", `,"param":null`)))
		sides(t, mux, false, func(t *testing.T, c *http.Client, base string, rec *Recorder, tb *reportTB) {
			send(t, c, "POST", base+"/v1/orders", unknownField, true)
			send(t, c, "GET", base+"/v1/orders/ord_1", "", false)
			assert.Empty(t, tb.reported())
			assert.Equal(t, map[string]int{"createOrder": 1, "getOrder": 1}, rec.Covered())
		})
	})
	t.Run("rejected with a problem that breaks the contract", func(t *testing.T) {
		t.Parallel()
		sides(t, fakeAPI(400, problem(400, "colour_unknown", "")), false, func(t *testing.T, c *http.Client, base string, _ *Recorder, tb *reportTB) {
			send(t, c, "POST", base+"/v1/orders", unknownField, true)
			reported := tb.reported()
			require.Len(t, reported, 1)
			assert.Contains(t, reported[0], "createOrder: response 400")
		})
	})
	t.Run("accepted", func(t *testing.T) {
		t.Parallel()
		sides(t, fakeAPI(200, orderOpen), false, func(t *testing.T, c *http.Client, base string, _ *Recorder, tb *reportTB) {
			send(t, c, "POST", base+"/v1/orders", unknownField, true)
			reported := tb.reported()
			require.Len(t, reported, 1)
			assert.Contains(t, reported[0], "createOrder: request breaks the contract yet was answered 200")
			assert.Contains(t, reported[0], `"colour" is unsupported`)
		})
	})
	t.Run("strict", func(t *testing.T) {
		t.Parallel()
		sides(t, fakeAPI(400, rejected), true, func(t *testing.T, c *http.Client, base string, _ *Recorder, tb *reportTB) {
			send(t, c, "POST", base+"/v1/orders", unknownField, true)
			reported := tb.reported()
			require.Len(t, reported, 1)
			assert.Contains(t, reported[0], "createOrder: request breaks the contract")
		})
	})
}

func TestRecorder_unknownRoutes(t *testing.T) {
	t.Parallel()
	t.Run("answered with the contract's 404 and 405", func(t *testing.T) {
		t.Parallel()
		mux := http.NewServeMux()
		mux.Handle("/v1/nothing", fakeAPI(404, problem(404, "resource_missing", `,"param":null`)))
		mux.Handle("/v1/status", fakeAPI(405, problem(405, "invalid_request", `,"param":null`)))
		sides(t, mux, false, func(t *testing.T, c *http.Client, base string, rec *Recorder, tb *reportTB) {
			status, _ := send(t, c, "GET", base+"/v1/nothing", "", true)
			assert.Equal(t, 404, status)
			status, _ = send(t, c, "DELETE", base+"/v1/status", "", true)
			assert.Equal(t, 405, status)
			assert.Empty(t, tb.reported())
			assert.Empty(t, rec.Covered())
		})
	})
	t.Run("answered otherwise", func(t *testing.T) {
		t.Parallel()
		mux := http.NewServeMux()
		mux.Handle("/v1/nothing", fakeAPI(200, `{}`))
		mux.Handle("/v1/gone", fakeAPI(404, `{"error":"not found"}`))
		mux.Handle("/v1/lost", fakeAPI(404, problem(404, "invalid_request", "")))
		sides(t, mux, false, func(t *testing.T, c *http.Client, base string, _ *Recorder, tb *reportTB) {
			send(t, c, "GET", base+"/v1/nothing", "", true)
			send(t, c, "GET", base+"/v1/gone", "", true)
			send(t, c, "GET", base+"/v1/lost", "", true)
			reported := tb.reported()
			require.Len(t, reported, 3)
			assert.Contains(t, reported[0], "GET /v1/nothing: no operation in the contract")
			assert.Contains(t, reported[1], "GET /v1/gone: response 404 breaks the contract")
			assert.Contains(t, reported[2], "GET /v1/lost: response 404 breaks the contract: problem 404/invalid_request")
		})
	})
}

func TestRecorder_sandboxControlIsValidatedToo(t *testing.T) {
	t.Parallel()
	t.Run("valid", func(t *testing.T) {
		t.Parallel()
		sides(t, fakeAPI(200, `{"ok":true}`), true, func(t *testing.T, c *http.Client, base string, rec *Recorder, tb *reportTB) {
			send(t, c, "POST", base+"/_sandbox/reset", "", false)
			send(t, c, "POST", base+"/_sandbox/maintenance", `{"enabled":false}`, false)
			assert.Empty(t, tb.reported())
			assert.Equal(t, map[string]int{"sandboxReset": 1, "sandboxSetMaintenance": 1}, rec.Covered())
		})
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		sides(t, fakeAPI(200, `{"ok":"yes"}`), false, func(t *testing.T, c *http.Client, base string, _ *Recorder, tb *reportTB) {
			send(t, c, "POST", base+"/_sandbox/reset", "", false)
			reported := tb.reported()
			require.Len(t, reported, 1)
			assert.Contains(t, reported[0], "sandboxReset: response 200")
		})
	})
}

func TestRecorder_Handler_hijackedConnectionIsCoveredWithoutAResponse(t *testing.T) {
	t.Parallel()
	drop := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !assert.True(t, ok, "the Recorder must let the sandbox drop connections") {
			return
		}
		conn, _, err := hj.Hijack()
		if assert.NoError(t, err) {
			_ = conn.Close()
		}
	})
	tb := &reportTB{TB: t}
	rec := NewRecorder(tb)
	srv := httptest.NewServer(rec.Handler(drop))
	t.Cleanup(srv.Close)

	req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/v1/payments",
		strings.NewReader(`{"order_id":"ord_8Hn2kLq","method":{"type":"bank_transfer"}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Tokenim-Merchant-Id", merchantID)
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the connection was closed without an answer")
	assert.Empty(t, tb.reported())
	assert.Equal(t, map[string]int{"createPayment": 1}, rec.Covered())
}

func TestRecorder_RoundTripper_transportErrorIsReturnedAndCovered(t *testing.T) {
	t.Parallel()
	tb := &reportTB{TB: t}
	rec := NewRecorder(tb)
	failing := roundTripperFunc(func(*http.Request) (*http.Response, error) {
		return nil, io.ErrUnexpectedEOF
	})
	client := &http.Client{Transport: rec.RoundTripper(failing)}
	req, err := http.NewRequestWithContext(t.Context(), "GET", "https://sandbox.tokenim.com/v1/status", nil)
	require.NoError(t, err)
	_, err = client.Do(req)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Empty(t, tb.reported())
	assert.Equal(t, map[string]int{"getStatus": 1}, rec.Covered())
}

// BenchmarkCheck measures what the Recorder adds to each exchange it sees.
func BenchmarkCheck(b *testing.B) {
	e := exchange{opID: "createPayment", method: "POST", target: "/v1/payments",
		body:   `{"order_id":"ord_8Hn2kLq","method":{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}}`,
		status: 200, resp: paymentCard}
	ans := e.answer()
	body := []byte(e.body)
	b.ReportAllocs()
	for b.Loop() {
		if _, reqErr, respErr := check(b.Context(), e.request(), body, ans); reqErr != nil || respErr != nil {
			b.Fatal(reqErr, respErr)
		}
	}
}
