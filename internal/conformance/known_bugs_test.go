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

// TestContract_sandboxFreezeResume shows a mismatch between the sandbox and
// api/openapi.yaml: POST /_sandbox/clock/freeze and /resume answer
// {"ok":true,"now":…} (as docs/contract-decisions.md decides), but the spec
// answers them with SandboxOK, which allows only "ok". The spec is the side
// to fix.
func TestContract_sandboxFreezeResume(t *testing.T) {
	t.Skip(`known bug: api/openapi.yaml:980-999 answer freeze/resume with SandboxOK (only "ok"), the sandbox adds "now" (contract-decisions: freeze|resume answer {"ok":true,"now":…}); fix: give both the advance answer's schema {ok, now}`)
	t.Parallel()
	e := newEnv(t)
	var got struct {
		OK  bool   `json:"ok"`
		Now string `json:"now"`
	}
	e.control(http.MethodPost, "/_sandbox/clock/freeze", nil, &got)
	assert.True(t, got.OK)
	assert.NotEmpty(t, got.Now)
	e.control(http.MethodPost, "/_sandbox/clock/resume", nil, &got)
	assert.NotEmpty(t, got.Now)
	assert.Empty(t, e.server.Failures())
}
