package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// logLines receives each log line run writes (slog writes a record in one
// Write), so the test reads the log as it is written, without polling.
type logLines chan string

func (l logLines) Write(p []byte) (int, error) {
	l <- string(p)
	return len(p), nil
}

func (l logLines) next(t *testing.T) string {
	t.Helper()
	select {
	case line := <-l:
		return line
	case <-time.After(10 * time.Second): // a guard against a hang, not a wait
		require.FailNow(t, "no log line")
		return ""
	}
}

// pending returns the lines written so far without waiting for more.
func (l logLines) pending() []string {
	var lines []string
	for {
		select {
		case line := <-l:
			lines = append(lines, line)
		default:
			return lines
		}
	}
}

func newSecret(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return tokenim.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// start runs the server on a free port and returns its webhook URL, its log
// and a stop function that returns run's error.
func start(t *testing.T, args []string, getenv func(string) string) (string, logLines, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := make(logLines, 100)
	done := make(chan error, 1)
	go func() { done <- run(ctx, log, append([]string{"-addr", "127.0.0.1:0"}, args...), getenv) }()
	stopped := false
	stop := func() error {
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() {
		if !stopped {
			_ = stop()
		}
	})

	first := log.next(t)
	m := regexp.MustCompile(`msg=listening url=(http://\S+)`).FindStringSubmatch(first)
	require.NotNil(t, m, "first log line: %q", first)
	return m[1], log, stop
}

func paymentEvent(id string) *tokenim.Event {
	return &tokenim.Event{
		ID: id, Object: "event", Type: tokenim.EventPaymentSucceeded,
		CreatedAt: time.Now().UTC().Truncate(time.Second), APIVersion: tokenim.APIVersion,
		Data: tokenim.EventData{Object: json.RawMessage(
			`{"id":"pay_1","object":"payment","order_id":"ord_1","amount":1999,"currency":"CNY","status":"succeeded"}`)},
	}
}

func deliver(t *testing.T, hc *http.Client, url, secret string, ev *tokenim.Event) int {
	t.Helper()
	req, err := tokenimtest.NewSignedWebhookRequest(url, secret, ev)
	require.NoError(t, err)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp.StatusCode
}

func TestRun_logsEachVerifiedEventOnce(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	url, log, stop := start(t, []string{"-secret", secret}, env(nil))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	ev := paymentEvent("evt_quick_1")
	require.Equal(t, http.StatusOK, deliver(t, hc, url, secret, ev))
	line := log.next(t)
	assert.Contains(t, line, "msg=event id=evt_quick_1 type=payment.succeeded payment=pay_1 order=ord_1 status=succeeded amount=1999 currency=CNY")

	// Tokenim delivers at least once: the same event again is acknowledged
	// but not handled twice. The handler logs before it answers, so a second
	// handling would already be in the log.
	require.Equal(t, http.StatusOK, deliver(t, hc, url, secret, ev))
	assert.Empty(t, log.pending(), "a duplicate delivery must not be handled again")

	require.Equal(t, http.StatusOK, deliver(t, hc, url, secret, paymentEvent("evt_quick_2")))
	assert.Contains(t, log.next(t), "id=evt_quick_2")

	require.NoError(t, stop())
	assert.Contains(t, log.next(t), "msg=stopped")
}

func TestRun_rejectsForgedDeliveries(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	url, log, _ := start(t, nil, env(map[string]string{"TOKENIM_WEBHOOK_SECRET": secret}))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	forger := newSecret(t)
	assert.Equal(t, http.StatusBadRequest, deliver(t, hc, url, forger, paymentEvent("evt_forged")))
	line := log.next(t)
	assert.Contains(t, line, "webhook rejected")
	assert.NotContains(t, line, secret)
	assert.NotContains(t, line, forger)
	assert.Empty(t, log.pending(), "a forged event is never handled")

	resp, err := hc.Post(url, "application/json", bytes.NewReader([]byte(`{}`)))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "unsigned")
	assert.Contains(t, log.next(t), "webhook rejected")

	// The secret from the environment verifies real deliveries.
	require.Equal(t, http.StatusOK, deliver(t, hc, url, secret, paymentEvent("evt_env")))
	assert.Contains(t, log.next(t), "msg=event id=evt_env")
}

func TestRun_badConfiguration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tc := range map[string]struct {
		args    []string
		env     map[string]string
		wantErr string
		is      error
	}{
		"no secret":        {args: []string{"-addr", "127.0.0.1:0"}, wantErr: "no webhook secret: pass -secret or set TOKENIM_WEBHOOK_SECRET"},
		"bad secret":       {args: []string{"-addr", "127.0.0.1:0", "-secret", "whsec_not-base64!"}, is: tokenim.ErrWebhookBadSecret},
		"bad secret (env)": {args: []string{"-addr", "127.0.0.1:0"}, env: map[string]string{"TOKENIM_WEBHOOK_SECRET": "whsec_c2hvcnQ="}, is: tokenim.ErrWebhookBadSecret},
		"unknown flag":     {args: []string{"-port", "8080"}, wantErr: "flag provided but not defined: -port"},
		"bad address":      {args: []string{"-addr", "256.0.0.1:http-alt-nope", "-secret", "whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 32))}, wantErr: "listen tcp"},
	} {
		var out bytes.Buffer
		err := run(ctx, &out, tc.args, env(tc.env))
		require.Error(t, err, name)
		if tc.is != nil {
			assert.ErrorIs(t, err, tc.is, name)
		}
		assert.Contains(t, err.Error(), tc.wantErr, name)
		assert.NotContains(t, err.Error(), "not-base64", name+": the secret stays out of errors")
		assert.NotContains(t, out.String(), "listening", name)
	}
}

// readAll reads conn until the server closes it. The deadline only guards
// against a hang: a server that kept the connection fails the test with a
// timeout error instead of blocking it.
func readAll(t *testing.T, conn net.Conn) (string, error) {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	b, err := io.ReadAll(conn)
	return string(b), err
}

// TestRun_cutsOffSlowClients shows each timeout closing a connection that a
// slow or stalled client would otherwise hold forever (short timeouts make
// the test quick; the defaults are seconds).
func TestRun_cutsOffSlowClients(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	url, log, _ := start(t, []string{"-secret", secret, "-read-timeout", "200ms", "-idle-timeout", "200ms"}, env(nil))
	addr := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), WebhookPath)
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}

	t.Run("headers never finished", func(t *testing.T) {
		conn := dial()
		_, err := io.WriteString(conn, "POST "+WebhookPath+" HTTP/1.1\r\nHost: x\r\n")
		require.NoError(t, err)
		_, err = readAll(t, conn)
		assert.NoError(t, err, "the server closed the connection")
	})

	t.Run("body never finished", func(t *testing.T) {
		conn := dial()
		_, err := io.WriteString(conn, "POST "+WebhookPath+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":")
		require.NoError(t, err)
		answer, err := readAll(t, conn)
		assert.NoError(t, err, "the server closed the connection")
		assert.Contains(t, answer, "400 Bad Request", "the half-read delivery is refused")
		assert.Contains(t, log.next(t), "reading body failed")
	})

	t.Run("idle keep-alive connection", func(t *testing.T) {
		conn := dial()
		req, err := tokenimtest.NewSignedWebhookRequest(url, secret, paymentEvent("evt_idle"))
		require.NoError(t, err)
		require.NoError(t, req.Write(conn)) // HTTP/1.1: keep-alive
		answer, err := readAll(t, conn)
		assert.NoError(t, err, "the server closed the idle connection")
		assert.True(t, strings.HasPrefix(answer, "HTTP/1.1 200 OK"), "answer: %q", answer)
		assert.Contains(t, log.next(t), "id=evt_idle")
	})
}

func TestRun_rejectsBadTimeouts(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), &out, []string{"-addr", "127.0.0.1:0", "-secret", newSecret(t), "-idle-timeout", "0s"}, env(nil))
	assert.EqualError(t, err, "-idle-timeout must be positive, got 0s")
}
