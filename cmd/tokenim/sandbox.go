package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokenim/tokenim-go/sandbox"
)

// cmdSandbox serves the sandbox like cmd/tokenim-sandbox (whose run is in
// package main and cannot be imported), until ctx ends.
func cmdSandbox(e *env, args []string) error {
	fs := newFlagSet("sandbox", `Serve the Tokenim sandbox: the whole /v1/ API plus the /_sandbox/ control
API, with a virtual clock. It prints the address and credentials to use, and
stops gracefully on Ctrl-C.

Usage:
  tokenim sandbox [flags]`)
	addr := fs.String("addr", "127.0.0.1:8420", "address to listen on")
	apiKey := fs.String("api-key", sandbox.DefaultAPIKey, "API key of the default merchant (sk_test_…)")
	merchantID := fs.String("merchant-id", sandbox.DefaultMerchantID, "id of the default merchant (mch_…)")
	webhookURL := fs.String("webhook-url", "", "register a webhook endpoint subscribed to all events at this URL")
	webhookSecret := fs.String("webhook-secret", "", "secret (whsec_…) for -webhook-url; generated when empty")
	seed := fs.Int64("seed", 0, "seed for generated ids (0: random)")
	rate := fs.Float64("rate-limit", 0, "requests per second per merchant (0: off)")
	frozen := fs.Bool("frozen", false, "start with the sandbox clock frozen")
	verbose := fs.Bool("v", false, "log every request to stderr")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	e.addSecret(*webhookSecret)
	switch {
	case len(pos) > 0:
		return usagef("sandbox", "sandbox takes no arguments, got %q", pos[0])
	case len(*apiKey) <= len("sk_test_") || !strings.HasPrefix(*apiKey, "sk_test_"):
		return usagef("sandbox", "--api-key must start with sk_test_ and have more after it")
	case len(*merchantID) <= len("mch_") || !strings.HasPrefix(*merchantID, "mch_"):
		return usagef("sandbox", "--merchant-id must start with mch_ and have more after it")
	case *webhookSecret != "" && !strings.HasPrefix(*webhookSecret, "whsec_"):
		return usagef("sandbox", "--webhook-secret must start with whsec_")
	case *rate < 0:
		return usagef("sandbox", "--rate-limit must not be negative")
	}
	if *webhookURL != "" {
		if u, err := url.Parse(*webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("sandbox", "--webhook-url must be an absolute http or https URL")
		}
	}
	opts := []sandbox.Option{
		sandbox.WithAPIKey(*apiKey), sandbox.WithMerchantID(*merchantID), sandbox.WithRateLimit(*rate),
	}
	if *webhookSecret != "" {
		opts = append(opts, sandbox.WithWebhookSecret(*webhookSecret))
	}
	if *webhookURL != "" {
		opts = append(opts, sandbox.WithWebhookEndpoint(*webhookURL))
	}
	if *seed != 0 {
		opts = append(opts, sandbox.WithSeed(*seed))
	}
	if *frozen {
		opts = append(opts, sandbox.WithFrozenClock(time.Now().UTC().Truncate(time.Second)))
	}
	if *verbose {
		opts = append(opts, sandbox.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil))))
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(e.ctx, "tcp", *addr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	sb := sandbox.New(opts...)
	defer sb.Close()
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	m := sb.DefaultMerchant()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(e.stdout, "tokenim sandbox listening on %s\n", base)
	fmt.Fprintf(e.stdout, "api key:        %s\n", m.APIKey)
	fmt.Fprintf(e.stdout, "merchant id:    %s\n", m.ID)
	fmt.Fprintf(e.stdout, "webhook secret: %s\n", sb.WebhookSecret())
	if *webhookURL != "" {
		fmt.Fprintf(e.stdout, "webhook url:    %s\n", *webhookURL)
	}
	fmt.Fprintf(e.stdout, "\nUse it with:\n  export %s=%s %s=%s %s=%s\n", envBaseURL, base, envAPIKey, m.APIKey, envMerchantID, m.ID)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("sandbox: %w", err)
	case <-e.ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
		<-errc
		return fmt.Errorf("sandbox: shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("sandbox: %w", err)
	}
	fmt.Fprintln(e.stdout, "sandbox stopped")
	return nil
}
