package conformance

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestContract_sandboxCreateMerchant: POST /_sandbox/merchants answers
// {"id","api_key","restricted"} as the spec says.
func TestContract_sandboxCreateMerchant(t *testing.T) {
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

// TestContract_sandboxFreezeResume: freeze and resume answer
// {"ok":true,"now":…} as the spec says.
func TestContract_sandboxFreezeResume(t *testing.T) {
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
