package main

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	tokenim "github.com/tokenim/tokenim-go"
)

func TestVersion_commandAndFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		r := cli(t, args...)
		assert.Equal(t, exitOK, r.code, "args %q", args)
		assert.Empty(t, r.stderr)
		assert.Regexp(t, `^tokenim v\S+`, r.stdout, "args %q", args)
		assert.Contains(t, r.stdout, "go:  "+runtime.Version())
		assert.Contains(t, r.stdout, "api: "+tokenim.APIVersion+" (Tokenim-Version)")
	}
	assert.Contains(t, tokenim.APIVersion, "2026-11-01")
	r := cli(t, "version", "extra")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `version takes no arguments, got "extra"`)
}

func TestToolVersion(t *testing.T) {
	t.Parallel()
	devel := "v" + tokenim.Version + "-devel"
	assert.Equal(t, "v1.4.2", toolVersion(&debug.BuildInfo{Main: debug.Module{Version: "v1.4.2"}}), "go install …@v1.4.2")
	assert.Equal(t, devel, toolVersion(nil), "no build info")
	assert.Equal(t, devel, toolVersion(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}))
	assert.Equal(t, devel+" (0123456789ab, modified)", toolVersion(&debug.BuildInfo{
		Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"},
			{Key: "vcs.modified", Value: "true"},
		},
	}))
	assert.Regexp(t, regexp.MustCompile(`^\d+\.\d+\.\d+`), tokenim.Version, "the fallback is a semantic version")
}
