// Package conformance holds the client and the sandbox to api/openapi.yaml at
// once: an in-process sandbox behind an apispec.Recorder handler, driven by a
// tokenim.Client whose transport is a second Recorder, so that every request
// the client sends and every answer the sandbox gives is checked against the
// contract, and the suite fails when any /v1/ operation goes unexercised.
package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/apispec"
	"github.com/tokenim/tokenim-go/sandbox"
)

const (
	apiKey     = "sk_test_conformance_5Rk9Lm2Qx7"
	merchantID = "mch_conformance"
)

// env is one sandbox and the clients that talk to it.
type env struct {
	t  *testing.T
	sb *sandbox.Sandbox
	ts *httptest.Server
	// server validates every exchange on the sandbox's side of the wire.
	server *apispec.Recorder
	// client validates every exchange on the client's side; it is strict: a
	// request the SDK sends must always match the contract.
	client *apispec.Recorder
	// loose validates the deliberately bad requests sent through raw
	// NewRequest/Do; their answers must still match the contract.
	loose *apispec.Recorder
	tr    *http.Transport
	c     *tokenim.Client
	// once never retries, so that a 429 or a 503 reaches the test.
	once *tokenim.Client
	// raw sends deliberately bad requests.
	raw *tokenim.Client
	// ctl talks to the /_sandbox/ control API through the client recorder.
	ctl *http.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t}
	e.sb = sandbox.New(sandbox.WithAPIKey(apiKey), sandbox.WithMerchantID(merchantID))
	e.server = apispec.NewRecorder(t)
	e.client = apispec.NewRecorder(t).RejectInvalidRequests()
	e.loose = apispec.NewRecorder(t)
	e.ts = httptest.NewServer(e.server.Handler(e.sb))
	e.tr = http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(func() {
		e.ts.Close()
		e.sb.Close()
		e.tr.CloseIdleConnections()
	})
	m := e.sb.DefaultMerchant()
	require.Equal(t, merchantID, m.ID)
	e.c = e.newClient(m.APIKey(), m.ID, e.client)
	e.once = e.newClient(m.APIKey(), m.ID, e.client, tokenim.WithMaxRetries(0))
	e.raw = e.newClient(m.APIKey(), m.ID, e.loose)
	e.ctl = &http.Client{Transport: e.client.RoundTripper(e.tr), Timeout: 30 * time.Second}
	return e
}

// newClient returns a client for key and merchant whose exchanges rec checks.
func (e *env) newClient(key, merchant string, rec *apispec.Recorder, opts ...tokenim.Option) *tokenim.Client {
	e.t.Helper()
	base := []tokenim.Option{
		tokenim.WithBaseURL(e.ts.URL),
		tokenim.WithMerchantID(merchant),
		tokenim.WithHTTPClient(&http.Client{Transport: rec.RoundTripper(e.tr)}),
		tokenim.WithRetryWait(time.Millisecond, 5*time.Millisecond),
	}
	c, err := tokenim.NewClient(key, append(base, opts...)...)
	require.NoError(e.t, err)
	return c
}

// control calls the sandbox control API and decodes its answer into out
// (if not nil); it fails the test on any status but 200.
func (e *env) control(method, path string, body any, out any) {
	e.t.Helper()
	var rdr io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rdr = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, e.ts.URL+path, rdr)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.ctl.Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	require.Equal(e.t, http.StatusOK, res.StatusCode, "%s %s: %s", method, path, raw)
	if out != nil {
		require.NoError(e.t, json.Unmarshal(raw, out), "%s %s", method, path)
	}
}

// advance moves the sandbox clock through the control API.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	e.control(http.MethodPost, "/_sandbox/clock/advance", map[string]int64{"seconds": int64(d / time.Second)}, nil)
}

// apiError returns err as *tokenim.Error, failing the test if it is not one.
func apiError(t *testing.T, err error) *tokenim.Error {
	t.Helper()
	require.Error(t, err)
	var apiErr *tokenim.Error
	require.ErrorAs(t, err, &apiErr)
	return apiErr
}
