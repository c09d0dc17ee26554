package main

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
)

func cmdWebhook(e *env, args []string) error {
	return group(e, "webhook", "Sign or verify a Standard Webhooks payload read from stdin.", args,
		map[string]func(*env, []string) error{"sign": webhookSign, "verify": webhookVerify},
		[]string{"sign", "verify"})
}

// Webhook secret lengths the verifier accepts (docs/contract-decisions.md,
// "Webhook signatures"): the decoded key is 24 to 64 bytes.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// secretForm is how help and errors describe a webhook secret.
var secretForm = fmt.Sprintf("whsec_ followed by padded base64 of %d–%d bytes", minSecretBytes, maxSecretBytes)

// addWebhookSecretFlags registers --secret and --secret-file.
func addWebhookSecretFlags(fs *flagSet, what string) *secretInput {
	return addSecretFlags(fs, "secret", envWebhookSecret, what, anySecret)
}

// webhookSecret resolves --secret, --secret-file or TOKENIM_WEBHOOK_SECRET and
// checks its form; "" with no error when none is given and optional is set.
func webhookSecret(e *env, cmd string, in *secretInput, optional bool) (string, error) {
	secret, err := in.resolve(e, cmd)
	if err != nil {
		return "", err
	}
	if secret == "" {
		if optional {
			return "", nil
		}
		return "", usagef(cmd, "no webhook secret: pass --secret-file, --secret - (stdin) or --secret, or set %s", envWebhookSecret)
	}
	e.addSecret(strings.TrimPrefix(secret, tokenim.WebhookSecretPrefix))
	// The verifier checks the secret's form once, with an error naming
	// what is wrong and never the secret.
	if _, err := tokenim.NewWebhookVerifier([]string{secret}); err != nil {
		return "", usagef(cmd, "--secret is not a webhook secret (%s)", secretForm)
	}
	return secret, nil
}

func readBody(e *env) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(e.stdin, tokenim.DefaultWebhookMaxBodyBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body from stdin: %w", err)
	}
	if int64(len(body)) > tokenim.DefaultWebhookMaxBodyBytes {
		return nil, fmt.Errorf("body on stdin is larger than %d bytes", tokenim.DefaultWebhookMaxBodyBytes)
	}
	return body, nil
}

func parseTimestamp(cmd, s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, usagef(cmd, "--timestamp must be unix seconds, got %q", s)
	}
	return time.Unix(n, 0), nil
}

func webhookSign(e *env, args []string) error {
	const cmd = "webhook sign"
	fs := newFlagSet(cmd, `Sign the body read from stdin as Tokenim signs a webhook delivery and print
the three headers to send with it.

Usage:
  tokenim webhook sign --secret whsec_… --id msg_1 [--timestamp unix] < body.json`)
	secret := addWebhookSecretFlags(fs, "webhook secret whsec_…")
	id := fs.String("id", "", "webhook-id (the event id), required")
	stamp := fs.String("timestamp", "", "webhook-timestamp in unix seconds (default now)")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "webhook sign takes no arguments (the body comes on stdin), got %q", pos[0])
	}
	if *id == "" {
		return usagef(cmd, "--id is required")
	}
	e.stdinOwner = "the body"
	key, err := webhookSecret(e, cmd, secret, false)
	if err != nil {
		return err
	}
	at := time.Now()
	if *stamp != "" {
		if at, err = parseTimestamp(cmd, *stamp); err != nil {
			return err
		}
	}
	body, err := readBody(e)
	if err != nil {
		return err
	}
	sig, err := tokenim.SignWebhook(key, *id, at, body)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s: %s\n%s: %d\n%s: %s\n",
		tokenim.WebhookIDHeader, *id, tokenim.WebhookTimestampHeader, at.Unix(), tokenim.WebhookSignatureHeader, sig)
	return nil
}

func webhookVerify(e *env, args []string) error {
	const cmd = "webhook verify"
	fs := newFlagSet(cmd, `Verify that the body read from stdin was signed with the secret, as a
webhook receiver does. Prints "verified" or the reason and exits 1.

Usage:
  tokenim webhook verify --secret whsec_… --id ID --timestamp T --signature "v1,…" < body.json`)
	secret := addWebhookSecretFlags(fs, "webhook secret whsec_…")
	id := fs.String("id", "", "the webhook-id header, required")
	stamp := fs.String("timestamp", "", "the webhook-timestamp header, required")
	sig := fs.String("signature", "", "the webhook-signature header, required")
	tolerance := fs.Duration("tolerance", tokenim.DefaultWebhookTolerance, "how far the timestamp may lie from now")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef(cmd, "webhook verify takes no arguments (the body comes on stdin), got %q", pos[0])
	case *id == "":
		return usagef(cmd, "--id is required")
	case *stamp == "":
		return usagef(cmd, "--timestamp is required")
	case *sig == "":
		return usagef(cmd, "--signature is required")
	case *tolerance <= 0:
		return usagef(cmd, "--tolerance must be positive, got %v", *tolerance)
	}
	e.stdinOwner = "the body"
	key, err := webhookSecret(e, cmd, secret, false)
	if err != nil {
		return err
	}
	body, err := readBody(e)
	if err != nil {
		return err
	}
	v, err := tokenim.NewWebhookVerifier([]string{key}, tokenim.WithWebhookTolerance(*tolerance))
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	h := http.Header{}
	h.Set(tokenim.WebhookIDHeader, *id)
	h.Set(tokenim.WebhookTimestampHeader, *stamp)
	h.Set(tokenim.WebhookSignatureHeader, *sig)
	if err := v.Verify(h, body); err != nil {
		return fmt.Errorf("not verified: %w", err)
	}
	fmt.Fprintln(e.stdout, "verified")
	return nil
}
