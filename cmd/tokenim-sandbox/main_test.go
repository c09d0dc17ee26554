package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun_servesPrintsCredentialsAndShutsDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-merchant-id", "mch_test", "-seed", "3", "-frozen"}, pw)
		pw.Close()
	}()

	sc := bufio.NewScanner(pr)
	printed := map[string]string{}
	for len(printed) < 4 && sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "tokenim sandbox listening on "):
			printed["url"] = strings.TrimPrefix(line, "tokenim sandbox listening on ")
		case strings.Contains(line, ":"):
			k, v, _ := strings.Cut(line, ":")
			printed[k] = strings.TrimSpace(v)
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.Len(t, printed, 4, "printed: %v", printed)
	assert.Equal(t, "mch_test", printed["merchant id"])
	assert.True(t, strings.HasPrefix(printed["api key"], "sk_test_"))
	assert.True(t, strings.HasPrefix(printed["webhook secret"], "whsec_"))

	resp, err := http.Get(printed["url"] + "/v1/status")
	require.NoError(t, err)
	var st map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "operational", st["status"])

	req, err := http.NewRequest("GET", printed["url"]+"/v1/orders", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+printed["api key"])
	req.Header.Set("Tokenim-Merchant-Id", "mch_test")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "the printed credentials work")

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
}

func TestRun_rejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-api-key", "sk_live_abc"},
		{"-rate-limit", "-1"},
		{"-webhook-secret", "plain"},
		{"-webhook-url", "ftp://example.com"},
		{"-merchant-id", "shop"},
		{"-no-such-flag"},
		{"extra"},
		{"-addr", "256.0.0.1:99999"},
	} {
		err := run(context.Background(), args, io.Discard)
		assert.Error(t, err, "%v", args)
	}
}

// -h exits 0 like `tokenim sandbox --help` and shows the export line.
func TestRun_helpSucceedsAndShowsTheExportLine(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	require.NoError(t, run(context.Background(), []string{"-h"}, &out))
	assert.Contains(t, out.String(), "export TOKENIM_BASE_URL=")
	assert.Contains(t, out.String(), "-allowed-hosts")
}

// A secret the SDK's verifier refuses is refused at start,
// with an error that names the flag and never repeats the value.
func TestRun_refusesWebhookSecretsTheVerifierCannotUse(t *testing.T) {
	t.Parallel()
	for secret, valid := range map[string]bool{
		"whsec_hello": false,
		"notasecret":  false,
		"whsec_" + strings.Repeat("A", 20) + "==": false, // 15 bytes
		"whsec_" + strings.Repeat("QUFB", 30):     false, // 90 bytes
		"whsec_" + strings.Repeat("QUFB", 10)[1:]: false, // not padded base64
		strings.Repeat("QUFB", 10):                false, // 30 bytes without the prefix
		"whsec_" + strings.Repeat("QUFB", 10):     true,  // 30 bytes
	} {
		err := run(context.Background(), []string{"-addr", "256.0.0.1:1", "-webhook-secret", secret}, io.Discard)
		require.Error(t, err, secret)
		if valid {
			assert.NotContains(t, err.Error(), "webhook-secret", "a valid secret passes validation and fails only on the address")
			continue
		}
		assert.Contains(t, err.Error(), "-webhook-secret must start with whsec_", secret)
		assert.NotContains(t, err.Error(), secret)
	}
}

// The banner prints a curl line with both headers that works.
func TestRun_bannerPrintsAWorkingCurlLine(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-frozen"}, pw)
		pw.Close()
	}()
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- strings.TrimSpace(sc.Text())
		}
	}()
	var curl, export string
	timeout := time.After(30 * time.Second) // a missing line must fail, not hang
	for export == "" {
		select {
		case line, ok := <-lines:
			require.True(t, ok, "output ended before the export line")
			if v, ok := strings.CutPrefix(line, "try:"); ok {
				curl = strings.TrimSpace(v)
			}
			if strings.HasPrefix(line, "export ") {
				export = line
			}
		case <-timeout:
			t.Fatal("no export line printed")
		}
	}
	go func() {
		for range lines {
		}
	}()
	require.NotEmpty(t, curl)
	assert.Contains(t, export, "TOKENIM_API_KEY=sk_test_")
	// curl -H 'Authorization: Bearer …' -H 'Tokenim-Merchant-Id: …' URL
	parts := strings.Split(curl, "'")
	require.Len(t, parts, 5, curl)
	assert.True(t, strings.HasPrefix(curl, "curl -H 'Authorization: Bearer sk_test_"), curl)
	req, err := http.NewRequest("GET", strings.TrimSpace(parts[4]), nil)
	require.NoError(t, err)
	for _, h := range []string{parts[1], parts[3]} {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	assert.Equal(t, "/v1/orders", req.URL.Path)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "the printed line works as it is")
	cancel()
	require.NoError(t, <-done)
}
