package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	tokenim "github.com/tokenim/tokenim-go"
)

// cmdVersion prints the tool's version, the Go it was built with and the
// API version it speaks, for bug reports and for checking an install.
func cmdVersion(e *env, args []string) error {
	fs := newFlagSet("version", `Print the version of this tool, the Go version it was built with and the
Tokenim API version it speaks (sent as Tokenim-Version on every call).

Usage:
  tokenim version
  tokenim --version`)
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("version", "version takes no arguments, got %q", pos[0])
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	fmt.Fprintf(e.stdout, "tokenim %s\ngo:  %s %s/%s\napi: %s (Tokenim-Version)\n", toolVersion(info), runtime.Version(), runtime.GOOS, runtime.GOARCH, tokenim.APIVersion)
	return nil
}

// toolVersion is the module version "go install …@v1.2.3" stamped into the
// binary. A build from a checkout reports "(devel)" or nothing: then the
// SDK's own version stands in, marked as a development build with the
// commit when the build recorded one.
func toolVersion(info *debug.BuildInfo) string {
	if info != nil && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	v := "v" + tokenim.Version + "-devel"
	if info == nil {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " (" + rev
		if modified == "true" {
			v += ", modified"
		}
		v += ")"
	}
	return v
}
