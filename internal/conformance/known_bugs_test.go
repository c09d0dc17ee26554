package conformance

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestContract_sandboxCreateMerchant shows a mismatch between the sandbox and
// api/openapi.yaml: POST /_sandbox/merchants answers
// {"id","api_key","restricted"} (as docs/contract-decisions.md decides), but
// the SandboxMerchant schema has additionalProperties: false without
// "restricted". The spec is the side to fix.
func TestContract_sandboxCreateMerchant(t *testing.T) {
	t.Skip(`known bug: api/openapi.yaml SandboxMerchant (api/openapi.yaml:2499) lacks the "restricted" member the sandbox returns (contract-decisions: POST /_sandbox/merchants also returns "restricted"); fix: add restricted: {type: boolean} to SandboxMerchant`)
	t.Parallel()
	e := newEnv(t)
	var m struct {
		ID         string `json:"id"`
		APIKey     string `json:"api_key"`
		Restricted *bool  `json:"restricted"`
	}
	e.control(http.MethodPost, "/_sandbox/merchants", map[string]bool{"restricted": true}, &m)
	assert.Regexp(t, `^mch_`, m.ID)
	if assert.NotNil(t, m.Restricted) {
		assert.True(t, *m.Restricted)
	}
	assert.Empty(t, e.server.Failures())
}
