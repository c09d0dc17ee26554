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
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tokenim/tokenim-go/sandbox"
)

// Timeouts of the standalone server, so that a slow or stalled client cannot
// hold a connection forever. The write timeout covers the handler too: it is
// longer than the most latency a fault plan can add to one request (a few
// 60 s rules) and than a clock advance that waits for webhook attempts.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 5 * time.Minute
	DefaultIdleTimeout       = 2 * time.Minute
)

// Config is what a standalone sandbox is started with.
type Config struct {
	Addr          string
	AllowedHosts  string // comma-separated Host names answered besides loopback
	APIKey        string
	MerchantID    string
	WebhookURL    string
	WebhookSecret string
	Seed          int64
	RateLimit     float64
	Frozen        bool
	Verbose       bool

	// RemoteControl lets other machines use /_sandbox/; ControlToken, when
	// set, guards it (sandbox.WithRemoteControl, sandbox.WithControlToken).
	RemoteControl bool
	ControlToken  string

	// Timeouts; zero means the Default… value.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
}

// RegisterFlags defines the standalone sandbox's flags on fs, with defaults
// that work as they are.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8420", "address to listen on")
	fs.StringVar(&c.APIKey, "api-key", sandbox.DefaultAPIKey, "API key of the default merchant (sk_test_…)")
	fs.StringVar(&c.MerchantID, "merchant-id", sandbox.DefaultMerchantID, "id of the default merchant (mch_…)")
	fs.StringVar(&c.WebhookURL, "webhook-url", "", "register a webhook endpoint subscribed to all events at this URL")
	fs.StringVar(&c.WebhookSecret, "webhook-secret", "", "secret for -webhook-url: whsec_ + padded base64 of 24–64 random bytes; generated when empty")
	fs.Int64Var(&c.Seed, "seed", 0, "seed for generated ids (0: random)")
	fs.Float64Var(&c.RateLimit, "rate-limit", 0, "requests per second per merchant (0: off)")
	fs.BoolVar(&c.Frozen, "frozen", false, "start with the sandbox clock frozen")
	fs.BoolVar(&c.Verbose, "v", false, "log every request to stderr")
	fs.BoolVar(&c.RemoteControl, "allow-remote-control", false,
		"let callers on other machines use /_sandbox/ (control API, dashboard); by default only this machine may")
	fs.StringVar(&c.ControlToken, "control-token", "",
		"require this token (16+ characters) on /_sandbox/: header "+sandbox.ControlTokenHeader+", or the dashboard's login; default $TOKENIM_SANDBOX_CONTROL_TOKEN (prefer it: flags show in ps)")
	fs.StringVar(&c.AllowedHosts, "allowed-hosts", "",
		"comma-separated host names to answer besides localhost, 127.0.0.0/8 and [::1] (e.g. a container name)")
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
	case c.RateLimit < 0:
		return bad("rate-limit", "must not be negative")
	}
	if c.WebhookSecret != "" && sandbox.CheckWebhookSecret(c.WebhookSecret) != nil {
		return bad("webhook-secret", "must start with whsec_, followed by padded standard base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))")
	}
	if c.ControlToken != "" && (len(c.ControlToken) < 16 || strings.ContainsAny(c.ControlToken, " \t\r\n")) {
		return bad("control-token", "must be at least 16 characters, without white space")
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
	if c.AllowedHosts != "" {
		opts = append(opts, sandbox.WithAllowedHosts(strings.Split(c.AllowedHosts, ",")...))
	}
	if c.RemoteControl {
		opts = append(opts, sandbox.WithRemoteControl(true))
	}
	if c.ControlToken != "" {
		opts = append(opts, sandbox.WithControlToken(c.ControlToken))
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

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// ExposureWarning is what the sandbox prints to stderr at start when it
// listens where other machines can reach it, or "" on a loopback address.
// Its default API key is public, so every machine that reaches the port can
// use the /v1/ API; /_sandbox/ stays refused to them unless RemoteControl.
func ExposureWarning(addr net.Addr, c Config) string {
	tcp, ok := addr.(*net.TCPAddr)
	if ok && tcp.IP.IsLoopback() {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n*** WARNING: the Tokenim sandbox listens on " + addr.String() + ", reachable from other machines. ***\n")
	b.WriteString("*** It is a test server with a public default API key: anyone who reaches it can use its /v1/ API. ***\n")
	switch {
	case !c.RemoteControl:
		b.WriteString("*** /_sandbox/ (control API, dashboard) answers only callers on this machine (-allow-remote-control to change). ***\n")
	case c.ControlToken == "":
		b.WriteString("*** -allow-remote-control without -control-token: ANY machine can reset it, move its clock and read its dashboard. ***\n")
	default:
		b.WriteString("*** /_sandbox/ is open to other machines that send the control token. ***\n")
	}
	b.WriteString("*** Bind to 127.0.0.1 unless you mean this. ***\n\n")
	return b.String()
}

// baseURL is the URL a local client uses: a listener on every interface
// (0.0.0.0, [::]) is reached as 127.0.0.1, a Host the sandbox answers.
func baseURL(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	return "http://" + addr.String()
}

// CurlLine is a ready command that lists the default merchant's orders,
// with both headers every /v1/ call needs (docs/tokenim-api.md §1).
func CurlLine(base string, m sandbox.Merchant) string {
	return "curl -H 'Authorization: Bearer " + m.APIKey() + "' -H 'Tokenim-Merchant-Id: " + m.ID + "' " + base + "/v1/orders"
}

// ExportLine sets the environment variables that the tokenim CLI and the
// examples read.
func ExportLine(base string, m sandbox.Merchant) string {
	return "export TOKENIM_BASE_URL=" + base + " TOKENIM_API_KEY=" + m.APIKey() + " TOKENIM_MERCHANT_ID=" + m.ID
}

// Run validates c, listens, prints the base URL and the credentials to
// stdout, calls listening (if not nil) with the base URL and the default
// merchant, and serves until ctx ends; then it shuts down gracefully, waiting
// up to five seconds for requests in flight.
func Run(ctx context.Context, c Config, stdout, stderr io.Writer, listening func(baseURL string, m sandbox.Merchant)) error {
	if c.ControlToken == "" {
		c.ControlToken = os.Getenv("TOKENIM_SANDBOX_CONTROL_TOKEN")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.Addr)
	if err != nil {
		return err
	}
	sb, err := sandbox.Open(c.options(stderr)...)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer sb.Close()
	srv := &http.Server{
		Handler:           sb,
		ReadHeaderTimeout: or(c.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       or(c.ReadTimeout, DefaultReadTimeout),
		WriteTimeout:      or(c.WriteTimeout, DefaultWriteTimeout),
		IdleTimeout:       or(c.IdleTimeout, DefaultIdleTimeout),
	}

	m := sb.DefaultMerchant()
	base := baseURL(ln.Addr())
	if w := ExposureWarning(ln.Addr(), c); w != "" {
		fmt.Fprint(stderr, w)
	}
	fmt.Fprintf(stdout, "tokenim sandbox listening on %s\n", base)
	fmt.Fprintf(stdout, "api key:        %s\n", m.APIKey())
	fmt.Fprintf(stdout, "merchant id:    %s\n", m.ID)
	fmt.Fprintf(stdout, "webhook secret: %s\n", sb.WebhookSecret())
	if c.WebhookURL != "" {
		fmt.Fprintf(stdout, "webhook url:    %s\n", c.WebhookURL)
	}
	fmt.Fprintf(stdout, "try:            %s\n", CurlLine(base, m))
	fmt.Fprintf(stdout, "dashboard:      %s\n", base+sandbox.DashboardPath)
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
