package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go/sandbox"
)

const configuredKey = "sk_test_rotation_example_OLD1"

func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer

	err := run(ctx, &out, sandbox.WithAPIKey(configuredKey))
	require.NoError(t, err)

	got := regexp.MustCompile(`key_[0-9a-z]+`).ReplaceAllString(out.String(), "key_…")
	newLast4 := regexp.MustCompile(`new key key_… \(…(\S{4})\)`).FindStringSubmatch(got)
	require.NotNil(t, newLast4, got)
	got = strings.ReplaceAll(got, "…"+newLast4[1], "…NEW4")
	want := `✓ 4 workers calling with the configured key
✓ rolled key_…: new key key_… (…NEW4) active, old key expiring in 1h
✓ new key deployed to the secret store; the workers switched without a restart
✓ 1h later (sandbox clock): old key key_… is expired
✓ no call failed
✓ request log: oldest call with key …OLD1, newest with …NEW4, 0 refused
`
	assert.Equal(t, want, got)
	assert.NotContains(t, out.String(), "sk_test_", "no secret is printed")
}

func TestRun_canceledContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := run(ctx, &bytes.Buffer{})
	require.Error(t, err)
}
