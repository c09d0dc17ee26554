package sandbox

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB records Fatalf instead of failing, to test Start's refusal.
type fakeTB struct {
	failed   string
	cleanups []func()
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Cleanup(fn func())              { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

// docs/tokenim-api.md §1: the sandbox signs only with secrets the verifier
// takes: whsec_ + padded standard base64 of 24–64 bytes.
func TestWithWebhookSecret_refusesWhatTheVerifierRefuses(t *testing.T) {
	t.Parallel()
	for secret, valid := range map[string]bool{
		"notasecret":                                   false,
		"whsec_hello":                                  false,
		"whsec_" + strings.Repeat("QUFB", 7):           false, // 21 bytes
		"whsec_" + strings.Repeat("QUFB", 22):          false, // 66 bytes
		"whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ": false, // unpadded
		strings.Repeat("QUFB", 8):                      false, // no prefix
		"whsec_" + strings.Repeat("QUFB", 8):           true,  // 24 bytes
		"whsec_" + strings.Repeat("QUFB", 21) + "QQ==": true,  // 64 bytes
	} {
		sb, err := Open(WithWebhookSecret(secret))
		if valid {
			require.NoError(t, err, secret)
			assert.Equal(t, secret, sb.WebhookSecret())
			sb.Close()
			continue
		}
		require.Error(t, err, secret)
		assert.Contains(t, err.Error(), "sandbox: WithWebhookSecret:")
		assert.NotContains(t, err.Error(), secret, "the error never repeats the secret")
		assert.PanicsWithValue(t, err.Error(), func() { New(WithWebhookSecret(secret)) }, "New panics like httptest.NewServer")

		var tb fakeTB
		assert.Nil(t, Start(&tb, WithWebhookSecret(secret)))
		assert.Contains(t, tb.failed, "WithWebhookSecret")
		assert.Empty(t, tb.cleanups, "nothing was started")
	}
}

func TestOptions_refuseCredentialsThatCannotWork(t *testing.T) {
	t.Parallel()
	_, err := Open(WithAPIKey("sk_live_abc"))
	assert.ErrorContains(t, err, "WithAPIKey")
	_, err = Open(WithMerchantID("shop"))
	assert.ErrorContains(t, err, "WithMerchantID")
}

// Server.WebhookSecret used to be a field hiding the method; now both the
// server and its sandbox answer the method.
func TestServer_webhookSecretIsTheMethod(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	assert.Equal(t, srv.Sandbox.WebhookSecret(), srv.WebhookSecret())
	require.NoError(t, CheckWebhookSecret(srv.WebhookSecret()), "a generated secret is valid")
}
