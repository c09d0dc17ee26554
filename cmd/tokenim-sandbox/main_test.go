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
		{"-no-such-flag"},
		{"extra"},
		{"-addr", "256.0.0.1:99999"},
	} {
		err := run(context.Background(), args, io.Discard)
		assert.Error(t, err, "%v", args)
	}
}
