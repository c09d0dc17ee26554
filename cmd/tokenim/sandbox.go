package main

import (
	"errors"
	"fmt"

	"github.com/tokenim/tokenim-go/internal/sandboxserve"
	"github.com/tokenim/tokenim-go/sandbox"
)

// cmdSandbox serves the sandbox exactly as cmd/tokenim-sandbox does (both
// run internal/sandboxserve), until ctx ends.
func cmdSandbox(e *env, args []string) error {
	fs := newFlagSet("sandbox", `Serve the Tokenim sandbox: the whole /v1/ API plus the /_sandbox/ control
API, with a virtual clock. It prints the address and credentials to use, and
stops gracefully on Ctrl-C.

Usage:
  tokenim sandbox [flags]`)
	var cfg sandboxserve.Config
	cfg.RegisterFlags(fs.FlagSet)
	// The webhook secret also comes from a file or stdin, as every secret
	// of this tool does (secrets.go).
	wsFlag := fs.Lookup("webhook-secret")
	wsFlag.Usage += "; - reads it from stdin (a value here shows in ps, prefer --webhook-secret-file)"
	ws := &secretInput{name: "webhook-secret", live: anySecret}
	fs.StringVar(&ws.file, "webhook-secret-file", "", "read --webhook-secret from this file (its one line; a trailing newline is dropped)")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	ws.value = cfg.WebhookSecret
	if cfg.WebhookSecret, err = ws.resolve(e, "sandbox"); err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("sandbox", "sandbox takes no arguments, got %q", pos[0])
	}
	var ferr *sandboxserve.FlagError
	if err := cfg.Validate(); errors.As(err, &ferr) {
		return usagef("sandbox", "--%s %s", ferr.Flag, ferr.Reason)
	}
	err = sandboxserve.Run(e.ctx, cfg, e.stdout, e.stderr, func(base string, m sandbox.Merchant) {
		fmt.Fprintf(e.stdout, "\nUse it with:\n  export %s=%s %s=%s %s=%s\n", envBaseURL, base, envAPIKey, m.APIKey(), envMerchantID, m.ID)
	})
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	fmt.Fprintln(e.stdout, "sandbox stopped")
	return nil
}
