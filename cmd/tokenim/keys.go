package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	tokenim "github.com/tokenim/tokenim-go"
)

// cmdKeys is "tokenim keys list|roll|revoke" (docs/tokenim-api.md §7).
func cmdKeys(e *env, args []string) error {
	return group(e, "keys", "List, roll and revoke the account's API keys.", args, map[string]func(*env, []string) error{
		"list": keysList, "roll": keysRoll, "revoke": keysRevoke,
	}, []string{"list", "roll", "revoke"})
}

func keysList(e *env, args []string) error {
	fs := newFlagSet("keys list", "List the account's API keys, newest first (never their secrets).\n\nUsage:\n  tokenim keys list [--json]")
	cfg := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "print the keys as JSON, one object per line")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("keys list", "keys list takes no arguments, got %q", pos[0])
	}
	c, err := cfg.client(e, "keys list")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "ID\tSTATUS\tMODE\tLAST4\tEXPIRES\tLAST USED\tCREATED")
	}
	for k, err := range c.APIKeys.All(e.ctx, &tokenim.APIKeyListParams{ListParams: tokenim.ListParams{Limit: 100}}) {
		if err != nil {
			return fmt.Errorf("list API keys: %w", err)
		}
		if *asJSON {
			if err := writeJSONLine(e, k); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Status, k.Mode, k.Last4,
			dash(ts(k.ExpiresAt)), dash(ts(k.LastUsedAt)), ts(&k.CreatedAt))
	}
	return tw.Flush()
}

func keysRoll(e *env, args []string) error {
	fs := newFlagSet("keys roll", `Roll an API key: make a new active key and print its secret, once. The old
key goes on working as "expiring" for --expire-old-after (default 24h, at
most 7 days; at least 1m when rolling the key this command calls with), then
every call with it fails with api_key_expired. Deploy the new key in between.

Usage:
  tokenim keys roll <key id> [--expire-old-after 24h] [--json]`)
	cfg := addConfigFlags(fs)
	after := fs.Duration("expire-old-after", 0, "how long the old key keeps working, e.g. 1h (default: the platform's 24h)")
	now := fs.Bool("expire-old-now", false, "end the old key at once (not for the key this command calls with)")
	asJSON := fs.Bool("json", false, "print the new key as JSON, secret included")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usagef("keys roll", "keys roll takes exactly one key id (key_…), got %d arguments", len(pos))
	}
	c, err := cfg.client(e, "keys roll")
	if err != nil {
		return err
	}
	k, err := c.APIKeys.Roll(e.ctx, pos[0], &tokenim.APIKeyRollParams{ExpireOldAfter: *after, ExpireOldNow: *now})
	if err != nil {
		return fmt.Errorf("roll API key %s: %w", pos[0], err)
	}
	if *asJSON {
		// APIKey redacts its secret in JSON; this is the one place that
		// shows it, on purpose.
		var m map[string]any
		raw, _ := json.Marshal(k)
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		m["secret"] = k.Secret.Reveal()
		return writeJSONLine(e, m)
	}
	fmt.Fprintf(e.stdout, "Rolled %s. The new key %s (…%s) is active now.\n\n", pos[0], k.ID, k.Last4)
	fmt.Fprintf(e.stdout, "  %s\n\n", k.Secret.Reveal())
	fmt.Fprintln(e.stdout, "Store this secret in your secret manager now: it is shown this once and can never be shown again.")
	if old, err := c.APIKeys.Get(e.ctx, pos[0]); err == nil && old.ExpiresAt != nil {
		fmt.Fprintf(e.stdout, "The old key keeps working until %s, then fails with api_key_expired.\n", ts(old.ExpiresAt))
	}
	return nil
}

func keysRevoke(e *env, args []string) error {
	fs := newFlagSet("keys revoke", "Revoke an expiring API key at once: every later call with it fails with\ninvalid_api_key. A key cannot revoke itself.\n\nUsage:\n  tokenim keys revoke <key id> [--json]")
	cfg := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "print the revoked key as JSON")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usagef("keys revoke", "keys revoke takes exactly one key id (key_…), got %d arguments", len(pos))
	}
	c, err := cfg.client(e, "keys revoke")
	if err != nil {
		return err
	}
	k, err := c.APIKeys.Revoke(e.ctx, pos[0])
	if err != nil {
		return fmt.Errorf("revoke API key %s: %w", pos[0], err)
	}
	if *asJSON {
		return writeJSONLine(e, k)
	}
	fmt.Fprintf(e.stdout, "Revoked %s (…%s): every call with it is refused from now on.\n", k.ID, k.Last4)
	return nil
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(e *env, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}

// dash is s, or "-" for an empty value in a table.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
