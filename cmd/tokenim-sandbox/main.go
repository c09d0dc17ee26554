// Command tokenim-sandbox runs the Tokenim sandbox as a standalone server:
// the whole /v1/ API plus the /_sandbox/ control API, for clients in any
// language.
//
//	go run ./cmd/tokenim-sandbox -addr 127.0.0.1:8420
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tokenim-sandbox:", err)
		os.Exit(1)
	}
}

// run parses args, serves the sandbox until ctx ends, then shuts down
// gracefully. It prints the address and credentials to stdout once listening.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokenim-sandbox", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:8420", "address to listen on")
	apiKey := fs.String("api-key", sandbox.DefaultAPIKey, "API key of the default merchant (sk_test_…)")
	merchantID := fs.String("merchant-id", sandbox.DefaultMerchantID, "id of the default merchant")
	webhookURL := fs.String("webhook-url", "", "register a webhook endpoint subscribed to all events at this URL")
	webhookSecret := fs.String("webhook-secret", "", "secret (whsec_…) for -webhook-url; generated when empty")
	seed := fs.Int64("seed", 0, "seed for generated ids (0: random)")
	rate := fs.Float64("rate-limit", 0, "requests per second per merchant (0: off)")
	frozen := fs.Bool("frozen", false, "start with the sandbox clock frozen")
	verbose := fs.Bool("v", false, "log every request to stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if len(*apiKey) <= len("sk_test_") || !strings.HasPrefix(*apiKey, "sk_test_") {
		return errors.New("-api-key must start with sk_test_")
	}
	if *webhookSecret != "" && !strings.HasPrefix(*webhookSecret, "whsec_") {
		return errors.New("-webhook-secret must start with whsec_")
	}
	if *webhookURL != "" {
		if u, err := url.Parse(*webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("-webhook-url must be an absolute http or https URL")
		}
	}
	if *rate < 0 {
		return errors.New("-rate-limit must not be negative")
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
		opts = append(opts, sandbox.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	}
	sb := sandbox.New(opts...)
	defer sb.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	m := sb.DefaultMerchant()
	fmt.Fprintf(stdout, "tokenim sandbox listening on http://%s\n", ln.Addr())
	fmt.Fprintf(stdout, "api key:        %s\n", m.APIKey)
	fmt.Fprintf(stdout, "merchant id:    %s\n", m.ID)
	fmt.Fprintf(stdout, "webhook secret: %s\n", sb.WebhookSecret())
	if *webhookURL != "" {
		fmt.Fprintf(stdout, "webhook url:    %s\n", *webhookURL)
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
