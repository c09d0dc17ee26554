package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	require.NoError(t, run(context.Background(), &out, filepath.Join(t.TempDir(), "shop.db")))
	assert.Equal(t, `✗ payment answer lost: tokenim: outcome unknown
✓ resumed after restart: 1 intent settled
✓ double click returns payment pay_… status succeeded
✓ order paid 1 time(s)
✓ 2 webhooks handled once each
`, out.String())
}
