package sandboxserve

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go/sandbox"
)

// startServe runs the standalone server with cfg and returns its base URL.
func startServe(t *testing.T, cfg Config) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() {
		done <- Run(ctx, cfg, io.Discard, io.Discard, func(base string, _ sandbox.Merchant) { ready <- base })
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	select {
	case base := <-ready:
		return base
	case err := <-done:
		t.Fatalf("Run: %v", err)
		return ""
	}
}

// A client that sends headers and then stalls in its body is cut off by the
// read timeout instead of holding the connection forever.
func TestRun_cutsOffASlowClient(t *testing.T) {
	t.Parallel()
	base := startServe(t, Config{
		Addr: "127.0.0.1:0", APIKey: sandbox.DefaultAPIKey, MerchantID: sandbox.DefaultMerchantID,
		ReadTimeout: 200 * time.Millisecond, IdleTimeout: 200 * time.Millisecond,
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	for name, send := range map[string]string{
		"stalled body":    "POST /_sandbox/clock/advance HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Length: 100\r\n\r\n{\"sec",
		"idle keep-alive": "GET /v1/status HTTP/1.1\r\nHost: " + u.Host + "\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", u.Host)
		require.NoError(t, err)
		_, err = conn.Write([]byte(send))
		require.NoError(t, err)
		// The server must close the connection well before this deadline.
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
		_, err = io.Copy(io.Discard, bufio.NewReader(conn))
		assert.NoError(t, err, "%s: the server closed the connection (EOF) before the client gave up", name)
		conn.Close()
	}
}

func TestRun_defaultTimeoutsAreSet(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{DefaultReadHeaderTimeout, DefaultReadTimeout, DefaultWriteTimeout, DefaultIdleTimeout} {
		assert.Positive(t, d)
	}
	assert.Greater(t, DefaultWriteTimeout, time.Minute, "longer than a 60 s latency fault")
}

// -allowed-hosts widens the Host check; other Hosts get 403.
func TestRun_allowedHostsFlag(t *testing.T) {
	t.Parallel()
	base := startServe(t, Config{
		Addr: "127.0.0.1:0", APIKey: sandbox.DefaultAPIKey, MerchantID: sandbox.DefaultMerchantID,
		AllowedHosts: "sandbox, tokenim.test",
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	status := func(host string) string {
		conn, err := net.Dial("tcp", u.Host)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.Write([]byte("GET /_sandbox/clock HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n"))
		require.NoError(t, err)
		line, err := bufio.NewReader(conn).ReadString('\n')
		require.NoError(t, err)
		return line
	}
	assert.Contains(t, status("sandbox:8420"), " 200 ")
	assert.Contains(t, status("tokenim.test"), " 200 ")
	assert.Contains(t, status("localhost"), " 200 ")
	assert.Contains(t, status("evil.example"), " 403 ")
}

// The banner gives the dashboard's URL, and it serves the overview.
func TestRun_bannerGivesTheDashboard(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out strings.Builder
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- Run(ctx, Config{Addr: "127.0.0.1:0", APIKey: sandbox.DefaultAPIKey, MerchantID: sandbox.DefaultMerchantID},
			&out, io.Discard, func(string, sandbox.Merchant) { close(ready) })
	}()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done)
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	var dash string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "dashboard:"); ok {
			dash = strings.TrimSpace(v)
		}
	}
	require.NotEmpty(t, dash, "banner:\n%s", out.String())
	assert.True(t, strings.HasSuffix(dash, "/_sandbox/"), dash)
	resp, err := http.Get(dash)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "Sandbox time")
}

// Bound to a non-loopback address the sandbox used to start silently.
func TestExposureWarning(t *testing.T) {
	t.Parallel()
	assert.Empty(t, ExposureWarning(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8420}, Config{}))
	assert.Empty(t, ExposureWarning(&net.TCPAddr{IP: net.IPv6loopback, Port: 8420}, Config{}))
	w := ExposureWarning(&net.TCPAddr{IP: net.IPv4zero, Port: 8420}, Config{})
	assert.Contains(t, w, "WARNING")
	assert.Contains(t, w, "0.0.0.0:8420")
	assert.Contains(t, w, "only callers on this machine")
	w = ExposureWarning(&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 8420}, Config{RemoteControl: true})
	assert.Contains(t, w, "ANY machine can reset it")
	w = ExposureWarning(&net.TCPAddr{IP: net.IPv4zero, Port: 8420}, Config{RemoteControl: true, ControlToken: "ctl-0123456789abcdef"})
	assert.Contains(t, w, "send the control token")
	assert.NotContains(t, w, "ctl-0123456789abcdef", "the token is never printed")
}

func TestValidate_controlToken(t *testing.T) {
	t.Parallel()
	c := Config{APIKey: sandbox.DefaultAPIKey, MerchantID: sandbox.DefaultMerchantID, ControlToken: "short"}
	var fe *FlagError
	require.ErrorAs(t, c.Validate(), &fe)
	assert.Equal(t, "control-token", fe.Flag)
}
