package sandbox

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viaListener is r as a listener delivers it, from remote (ip:port).
func viaListener(r *http.Request, remote string) *http.Request {
	r.RemoteAddr = remote
	local := &net.TCPAddr{IP: net.IPv4zero, Port: 8420}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
}

// Another machine could reset the sandbox by sending Host: localhost: the
// Host check alone cannot tell where a caller is.
func TestAccess_remoteCallersAreRefusedOnSandboxPaths(t *testing.T) {
	t.Parallel()
	sb := New(WithFrozenClock(t0))
	defer sb.Close()
	for _, path := range []string{"/_sandbox/reset", "/_sandbox/", "/_sandbox/ui/orders"} {
		method := "GET"
		if path == "/_sandbox/reset" {
			method = "POST"
		}
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, viaListener(httptest.NewRequest(method, "http://localhost"+path, nil), "192.0.2.7:50000"))
		assert.Equal(t, 403, w.Code, path)
		assert.Contains(t, w.Body.String(), "remote_control_refused", path)
	}
	w := httptest.NewRecorder()
	sb.ServeHTTP(w, viaListener(httptest.NewRequest("POST", "http://localhost/_sandbox/reset", nil), "[::1]:50000"))
	assert.Equal(t, 200, w.Code, "a loopback caller may: %s", w.Body)
	w = httptest.NewRecorder()
	sb.ServeHTTP(w, viaListener(httptest.NewRequest("GET", "http://localhost/v1/status", nil), "192.0.2.7:50000"))
	assert.Equal(t, 200, w.Code, "the /v1/ API is not control")

	open := New(WithFrozenClock(t0), WithRemoteControl(true))
	defer open.Close()
	w = httptest.NewRecorder()
	open.ServeHTTP(w, viaListener(httptest.NewRequest("POST", "http://localhost/_sandbox/reset", nil), "192.0.2.7:50000"))
	assert.Equal(t, 200, w.Code, "WithRemoteControl allows it: %s", w.Body)
}

const testControlToken = "ctl-0123456789abcdef"

func TestAccess_controlTokenGuardsTheControlAPI(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0), WithControlToken(testControlToken))
	do := func(token string) *http.Response {
		req, err := http.NewRequest("POST", srv.URL+"/_sandbox/reset", nil)
		require.NoError(t, err)
		if token != "" {
			req.Header.Set(ControlTokenHeader, token)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	assert.Equal(t, 401, do("").StatusCode)
	assert.Equal(t, 401, do("ctl-wrong-wrong-wrong").StatusCode)
	assert.Equal(t, 200, do(testControlToken).StatusCode)
	assert.Equal(t, 200, api(t, srv, "GET", "/v1/orders", nil).status, "the /v1/ API needs no control token")

	_, err := Open(WithControlToken("short"))
	assert.Error(t, err, "a guessable token is refused")
}

// browser is a cookie-keeping client that does not follow redirects.
func browser(t *testing.T, srv *Server) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Transport: srv.Client().Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postForm(t *testing.T, c *http.Client, u string, form url.Values) int {
	t.Helper()
	resp, err := c.PostForm(u, form)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestAccess_dashboardLogsInWithTheControlToken(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0), WithControlToken(testControlToken))
	c := browser(t, srv)
	status, body := get(t, c, srv.URL+"/_sandbox/ui/orders")
	assert.Equal(t, 401, status)
	assert.Contains(t, body, `name="token"`, "the login page")
	assert.NotContains(t, body, testControlToken)

	assert.Equal(t, 401, postForm(t, c, srv.URL+dashboardLoginPath, url.Values{"token": {"ctl-wrong-wrong-wrong"}, "return": {"/_sandbox/ui/orders"}}))
	status, _ = get(t, c, srv.URL+"/_sandbox/ui/orders")
	assert.Equal(t, 401, status, "a wrong token logs nobody in")

	assert.Equal(t, 303, postForm(t, c, srv.URL+dashboardLoginPath, url.Values{"token": {testControlToken}, "return": {"/_sandbox/ui/orders"}}))
	status, body = get(t, c, srv.URL+"/_sandbox/ui/orders")
	assert.Equal(t, 200, status, "logged in: %s", body)
	m := csrfField.FindStringSubmatch(body)
	require.Len(t, m, 2)
	assert.Equal(t, 303, postForm(t, c, srv.URL+"/_sandbox/ui/maintenance", url.Values{"enabled": {"on"}, "csrf": {m[1]}}))

	other := browser(t, srv)
	status, _ = get(t, other, srv.URL+"/_sandbox/", ControlTokenHeader, testControlToken)
	assert.Equal(t, 200, status, "a program may send the header instead")
	status, _ = get(t, other, srv.URL+"/_sandbox/")
	assert.Equal(t, 401, status, "the header logs no session in")
	status, _ = get(t, other, srv.URL+"/_sandbox/ui/assets/dashboard.css")
	assert.Equal(t, 200, status, "the login page's style sheet is public")
}

// The CSRF token was one value per process that survived Reset: now each
// browser session has its own, and Reset replaces them all.
func TestAccess_csrfTokenIsPerSessionAndResetReplacesIt(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	a, b := browser(t, srv), browser(t, srv)
	_, pa := get(t, a, srv.URL+"/_sandbox/")
	_, pb := get(t, b, srv.URL+"/_sandbox/")
	ta, tb := csrfField.FindStringSubmatch(pa), csrfField.FindStringSubmatch(pb)
	require.Len(t, ta, 2)
	require.Len(t, tb, 2)
	assert.NotEqual(t, ta[1], tb[1], "two sessions, two tokens")
	assert.Equal(t, 403, postForm(t, b, srv.URL+"/_sandbox/ui/maintenance", url.Values{"enabled": {"on"}, "csrf": {ta[1]}}),
		"a's token does not work in b's session")
	assert.Equal(t, 303, postForm(t, a, srv.URL+"/_sandbox/ui/maintenance", url.Values{"enabled": {"on"}, "csrf": {ta[1]}}))

	srv.Reset()
	assert.Equal(t, 403, postForm(t, a, srv.URL+"/_sandbox/ui/maintenance", url.Values{"csrf": {ta[1]}}),
		"a token from before the reset no longer works")
	_, pa = get(t, a, srv.URL+"/_sandbox/")
	fresh := csrfField.FindStringSubmatch(pa)
	require.Len(t, fresh, 2)
	assert.NotEqual(t, ta[1], fresh[1])
	assert.Equal(t, 303, postForm(t, a, srv.URL+"/_sandbox/ui/maintenance", url.Values{"csrf": {fresh[1]}}), "a reloaded page works")
}
