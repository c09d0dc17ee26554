package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"unicode"
)

// Secrets on the command line. A flag's value sits in the process table for
// as long as the command runs, where `ps` shows it to every user of the
// machine, and in the shell's history. So every secret flag --NAME also comes
// as --NAME-file PATH (the file's first and only line) and as --NAME - (read
// from stdin), besides its environment variable; a live-looking secret typed
// on the command line itself draws a warning on stderr.

// maxSecretFile bounds what is read of a secret file or stdin: a secret is
// one short line, and a mistaken path (a device, a log) must not be read
// whole.
const maxSecretFile = 64 << 10

// secretInput is one secret flag with its -file twin and environment variable.
type secretInput struct {
	name  string // flag name without dashes: "api-key"
	env   string // environment variable read when neither flag is given
	value string // --NAME
	file  string // --NAME-file
	// live reports whether a value given on argv deserves a warning.
	live func(string) bool
}

// addSecretFlags registers --name and --name-file on fs. what describes the
// secret ("API key, sk_test_… or sk_live_…").
func addSecretFlags(fs *flagSet, name, env, what string, live func(string) bool) *secretInput {
	s := &secretInput{name: name, env: env, live: live}
	fs.StringVar(&s.value, name, "", what+"; - reads it from stdin (env "+env+"; a value here shows in ps, prefer --"+name+"-file or the env)")
	fs.StringVar(&s.file, name+"-file", "", "read --"+name+" from this file (its one line; a trailing newline is dropped)")
	return s
}

// resolve returns the secret from --NAME, --NAME-file or the environment (in
// that order of precedence; giving both flags is an error), "" when none is
// set. It registers the secret for redaction and warns on stderr when a
// live-looking secret came on the command line.
func (s *secretInput) resolve(e *env, cmd string) (string, error) {
	flagName := "--" + s.name
	var secret string
	switch {
	case s.value != "" && s.file != "":
		return "", usagef(cmd, "give %s or %s-file, not both", flagName, flagName)
	case s.value == "-":
		if e.stdinOwner != "" {
			return "", usagef(cmd, "%s - cannot read stdin: %s comes from it; use %s-file", flagName, e.stdinOwner, flagName)
		}
		e.stdinOwner = flagName + " -"
		v, err := readSecret(e.stdin)
		switch {
		case err != nil:
			return "", usagef(cmd, "%s -: read stdin: %v", flagName, err)
		case v == "":
			return "", usagef(cmd, "%s -: stdin held no secret", flagName)
		}
		secret = v
	case s.file != "":
		f, err := os.Open(s.file)
		if err != nil {
			return "", usagef(cmd, "%s-file: %s", flagName, describeFileError(s.file, err))
		}
		v, err := readSecret(f)
		_ = f.Close()
		switch {
		case err != nil:
			return "", usagef(cmd, "%s-file: read %s: %v", flagName, s.file, err)
		case v == "":
			return "", usagef(cmd, "%s-file: %s is empty", flagName, s.file)
		}
		secret = v
	case s.value != "":
		secret = s.value
		if s.live != nil && s.live(secret) {
			alt := flagName + "-file or " + flagName + " - (stdin)"
			if s.env != "" {
				alt = flagName + "-file, " + flagName + " - (stdin) or " + s.env
			}
			fmt.Fprintf(e.stderr, "tokenim: warning: %s on the command line can be read by other users of this machine (ps) and stays in your shell history; use %s\n",
				flagName, alt)
		}
	case s.env != "":
		secret = e.getenv(s.env)
	}
	e.addSecret(secret)
	return secret, nil
}

// readSecret reads one secret: the whole input, with trailing white space (a
// file's final newline, a CRLF) removed. More than one line is an error, as
// it is not a secret but a mistaken file.
func readSecret(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("more than %d bytes: not a secret", maxSecretFile)
	}
	v := strings.TrimRightFunc(string(b), unicode.IsSpace)
	if strings.ContainsAny(v, "\r\n") {
		return "", errors.New("more than one line: a secret is one line")
	}
	return v, nil
}

// describeFileError says why a secret file cannot be opened, naming the path
// (never the content).
func describeFileError(path string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("%s cannot be read (permission denied)", path)
	}
	return err.Error()
}

// liveAPIKey reports a key that moves real money.
func liveAPIKey(s string) bool { return strings.HasPrefix(s, "sk_live_") }

// anySecret is live for every non-empty value: a webhook secret does not say
// whether it is a test one, and either lets its holder forge deliveries.
func anySecret(s string) bool { return s != "" }
