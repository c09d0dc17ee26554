package tokenim_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// executableMagic lists the first bytes of the executable formats a build
// leaves behind: ELF (Linux, BSD), Mach-O in both byte orders and widths plus
// the universal (fat) header (macOS), and PE's MZ stub (Windows).
var executableMagic = []struct {
	format string
	magic  []byte
}{
	{"ELF", []byte{0x7f, 'E', 'L', 'F'}},
	{"Mach-O 32-bit", []byte{0xfe, 0xed, 0xfa, 0xce}},
	{"Mach-O 64-bit", []byte{0xfe, 0xed, 0xfa, 0xcf}},
	{"Mach-O 32-bit (little-endian)", []byte{0xce, 0xfa, 0xed, 0xfe}},
	{"Mach-O 64-bit (little-endian)", []byte{0xcf, 0xfa, 0xed, 0xfe}},
	{"Mach-O universal", []byte{0xca, 0xfe, 0xba, 0xbe}},
	{"PE (MZ)", []byte{'M', 'Z'}},
}

// executableFormat names the executable format whose magic head starts,
// or returns "" when head is no executable.
func executableFormat(head []byte) string {
	for _, m := range executableMagic {
		if bytes.HasPrefix(head, m.magic) {
			return m.format
		}
	}
	return ""
}

// TestNoTrackedExecutables fails when a built binary is committed: a
// `go build` at the root leaves one behind (webhook-server, tokenim,
// tokenim-sandbox), and .gitignore names the usual ones, but a `git add -A`
// after `go build -o somewhere/else` would still slip through.
func TestNoTrackedExecutables(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed: cannot list the tracked files")
	}
	// A module fetched through the proxy (or a source archive) has no .git;
	// only a checkout has tracked files to check.
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not inside a git checkout: no tracked files to check")
	}
	root := strings.TrimSpace(string(top))
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	checked := 0
	for _, name := range strings.Split(string(out), "\x00") {
		if name == "" {
			continue
		}
		path := filepath.Join(root, name)
		f, err := os.Open(path)
		if err != nil {
			// Deleted in the work tree but not yet from the index: nothing
			// to read, and the commit that deletes it will be clean.
			if os.IsNotExist(err) {
				continue
			}
			t.Errorf("%s: %v", name, err)
			continue
		}
		head := make([]byte, 4)
		n, err := io.ReadFull(f, head)
		f.Close()
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if format := executableFormat(head[:n]); format != "" {
			t.Errorf("%s is a tracked %s executable: remove it (git rm --cached %s) and list it in .gitignore", name, format, name)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("git ls-files listed no files")
	}
}

func TestExecutableFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		head []byte
		want string
	}{
		{[]byte("\x7fELF"), "ELF"},
		{[]byte{0xcf, 0xfa, 0xed, 0xfe}, "Mach-O 64-bit (little-endian)"},
		{[]byte("MZ\x90\x00"), "PE (MZ)"},
		{[]byte("pack"), ""},
		{[]byte("\x89PNG"), ""},
		{[]byte{}, ""},
		{[]byte("M"), ""},
	} {
		if got := executableFormat(tc.head); got != tc.want {
			t.Errorf("executableFormat(%q) = %q, want %q", tc.head, got, tc.want)
		}
	}
}
