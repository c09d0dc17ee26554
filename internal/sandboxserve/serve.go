// Package sandboxserve runs the sandbox as a network server: the flags, their
// checks and the serve-until-cancelled loop shared by cmd/tokenim-sandbox and
// `tokenim sandbox`, so the two programs cannot drift apart.
package sandboxserve

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
	"strings"
	"time"

	"github.com/tokenim/tokenim-go/sandbox"
)

// Config is what a standalone sandbox is started with.
type Config struct {
	Addr          string
	APIKey        string
	MerchantID    string
	WebhookURL    string
	WebhookSecret string
	Seed          int64
	RateLimit     float64
	Frozen        bool
	Verbose       bool
}

// RegisterFlags defines the standalone sandbox's flags on fs, with defaults
// that work as they are.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8420", "address to listen on")
	fs.StringVar(&c.APIKey, "api-key", sandbox.DefaultAPIKey, "API key of the default merchant (sk_test_…)")
	fs.StringVar(&c.MerchantID, "merchant-id", sandbox.DefaultMerchantID, "id of the default merchant (mch_…)")
	fs.StringVar(&c.WebhookURL, "webhook-url", "", "register a webhook endpoint subscribed to all events at this URL")
	fs.StringVar(&c.WebhookSecret, "webhook-secret", "", "secret (whsec_…) for -webhook-url; generated when empty")
	fs.Int64Var(&c.Seed, "seed", 0, "seed for generated ids (0: random)")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "requests per second per merchant (0: off)")
	fs.BoolVar(&c.Frozen, "frozen", false, "start with the sandbox clock frozen")
	fs.BoolVar(&c.Verbose, "v", false, "log every request to stderr")
}

// FlagError names a flag whose value cannot work. It never repeats the
// value, which may be a key or a secret.
type FlagError struct {
	Flag   string // without dashes: "api-key"
	Reason string // "must start with sk_test_"
}

// Error reads like "-api-key must start with sk_test_".
func (e *FlagError) Error() string { return "-" + e.Flag + " " + e.Reason }

// Validate returns a *FlagError for the first flag whose value cannot work.
func (c *Config) Validate() error {
	bad := func(flag, reason string) error { return &FlagError{Flag: flag, Reason: reason} }
	switch {
	case len(c.APIKey) <= len("sk_test_") || !strings.HasPrefix(c.APIKey, "sk_test_"):
		return bad("api-key", "must start with sk_test_ and have more after it")
	case len(c.MerchantID) <= len("mch_") || !strings.HasPrefix(c.MerchantID, "mch_"):
		return bad("merchant-id", "must start with mch_ and have more after it")
	case c.WebhookSecret != "" && !strings.HasPrefix(c.WebhookSecret, "whsec_"):
		return bad("webhook-secret", "must start with whsec_")
	case c.RateLimit < 0:
		return bad("rate-limit", "must not be negative")
	}
	if c.WebhookURL != "" {
		if u, err := url.Parse(c.WebhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("webhook-url", "must be an absolute http or https URL")
		}
	}
	return nil
}

// options turns c into sandbox options; request logs go to logs.
func (c *Config) options(logs io.Writer) []sandbox.Option {
	opts := []sandbox.Option{
		sandbox.WithAPIKey(c.APIKey), sandbox.WithMerchantID(c.MerchantID), sandbox.WithRateLimit(c.RateLimit),
	}
	if c.WebhookSecret != "" {
		opts = append(opts, sandbox.WithWebhookSecret(c.WebhookSecret))
	}
	if c.WebhookURL != "" {
		opts = append(opts, sandbox.WithWebhookEndpoint(c.WebhookURL))
	}
	if c.Seed != 0 {
		opts = append(opts, sandbox.WithSeed(c.Seed))
	}
	if c.Frozen {
		opts = append(opts, sandbox.WithFrozenClock(time.Now().UTC().Truncate(time.Second)))
	}
	if c.Verbose {
		opts = append(opts, sandbox.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	}
	return opts
}

// Run validates c, listens, prints the base URL and the credentials to
// stdout, calls listening (if not nil) with the base URL and the default
// merchant, and serves until ctx ends; then it shuts down gracefully, waiting
// up to five seconds for requests in flight.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer, listening func(baseURL string, m sandbox.Merchant)) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.Addr)
	if err != nil {
		return err
	}
	sb := sandbox.New(c.options(stderr)...)
	defer sb.Close()
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}

	m := sb.DefaultMerchant()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "tokenim sandbox listening on %s\n", base)
	fmt.Fprintf(stdout, "api key:        %s\n", m.APIKey())
	fmt.Fprintf(stdout, "merchant id:    %s\n", m.ID)
	fmt.Fprintf(stdout, "webhook secret: %s\n", sb.WebhookSecret())
	if c.WebhookURL != "" {
		fmt.Fprintf(stdout, "webhook url:    %s\n", c.WebhookURL)
	}
	if listening != nil {
		listening(base, m)
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
		_ = srv.Close()
		<-errc
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
