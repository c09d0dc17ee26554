// Command webhook-server receives Tokenim webhooks: it verifies the signature
// of every delivery, ignores repeated deliveries of an event, and logs each
// event once.
//
//	TOKENIM_WEBHOOK_SECRET=whsec_… go run ./examples/webhook-server -addr localhost:8080
//
// Register http://<your host>/webhooks/tokenim as a webhook endpoint (the
// secret comes with the endpoint), or point a standalone sandbox at it:
// go run ./cmd/tokenim-sandbox -webhook-url http://localhost:8080/webhooks/tokenim,
// then start this server with the secret the sandbox prints.
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
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tokenim/tokenim-go"
)

// WebhookPath is where the server receives deliveries.
const WebhookPath = "/webhooks/tokenim"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "webhook-server:", err)
		os.Exit(1)
	}
}

// Timeouts of the server. A connection is only worth holding while a
// delivery is on it: Tokenim gives up on an attempt after 10 s and retries
// later, so a client slower than that is not Tokenim, and without these
// limits every slow or stalled client would hold a connection (and a
// goroutine) forever.
const (
	// DefaultReadTimeout bounds reading a whole request, headers and body
	// (at most 1 MiB).
	DefaultReadTimeout = 10 * time.Second
	// DefaultWriteTimeout bounds the time from the end of the request
	// headers to the end of the answer, the merchant's handling included.
	DefaultWriteTimeout = 20 * time.Second
	// DefaultIdleTimeout is how long a kept-alive connection may wait for
	// the next delivery.
	DefaultIdleTimeout = 60 * time.Second
	// readHeaderTimeout bounds the headers alone, so a client that never
	// finishes them is cut off early.
	readHeaderTimeout = 5 * time.Second
)

// run parses args (flags -addr, -secret, and the timeouts; the secret may
// come from TOKENIM_WEBHOOK_SECRET instead), serves webhooks until ctx ends
// and logs to out.
func run(ctx context.Context, out io.Writer, args []string, getenv func(string) string) error {
	fs := flag.NewFlagSet("webhook-server", flag.ContinueOnError)
	fs.SetOutput(out)
	addr := fs.String("addr", "localhost:8080", "address to listen on")
	secret := fs.String("secret", "", "webhook signing secret whsec_… (default $TOKENIM_WEBHOOK_SECRET)")
	readTimeout := fs.Duration("read-timeout", DefaultReadTimeout, "longest time to read a request, headers and body")
	writeTimeout := fs.Duration("write-timeout", DefaultWriteTimeout, "longest time from a request's headers to the end of its answer")
	idleTimeout := fs.Duration("idle-timeout", DefaultIdleTimeout, "longest time a kept-alive connection waits for the next request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *secret == "" {
		*secret = getenv("TOKENIM_WEBHOOK_SECRET")
	}
	if *secret == "" {
		return errors.New("no webhook secret: pass -secret or set TOKENIM_WEBHOOK_SECRET")
	}
	for _, f := range []string{"read-timeout", "write-timeout", "idle-timeout"} {
		if d := fs.Lookup(f).Value.(flag.Getter).Get().(time.Duration); d <= 0 {
			return fmt.Errorf("-%s must be positive, got %v", f, d)
		}
	}

	logger := slog.New(slog.NewTextHandler(out, nil))
	verifier, err := tokenim.NewWebhookVerifier([]string{*secret})
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err) // never contains the secret
	}
	webhooks, err := tokenim.NewWebhookHandler(verifier, handleEvent(logger),
		tokenim.WithWebhookLogger(logger)) // logs why a delivery was rejected
	if err != nil {
		return fmt.Errorf("webhook handler: %w", err) // never contains the secret
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+WebhookPath, webhooks)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: min(readHeaderTimeout, *readTimeout),
		ReadTimeout:       *readTimeout,
		WriteTimeout:      *writeTimeout,
		IdleTimeout:       *idleTimeout,
	}
	logger.Info("listening", "url", "http://"+ln.Addr().String()+WebhookPath)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	// Let deliveries in progress finish: an event cut off now is redelivered.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	<-serveErr // http.ErrServerClosed
	logger.Info("stopped")
	return nil
}

// handleEvent returns the function the webhook handler calls once per
// verified event. Returning an error answers 500, so Tokenim delivers the
// event again later.
func handleEvent(logger *slog.Logger) func(context.Context, *tokenim.Event) error {
	return func(ctx context.Context, ev *tokenim.Event) error {
		attrs := []any{"id", ev.ID, "type", ev.Type}
		switch ev.Type {
		case tokenim.EventOrderPaid, tokenim.EventOrderCanceled, tokenim.EventOrderExpired, tokenim.EventOrderRefunded:
			o, err := ev.Order()
			if err != nil {
				return err
			}
			attrs = append(attrs, "order", o.ID, "merchant_order_id", o.MerchantOrderID, "status", o.Status)
		case tokenim.EventPaymentSucceeded, tokenim.EventPaymentFailed, tokenim.EventPaymentRequiresAction, tokenim.EventPaymentCanceled:
			p, err := ev.Payment()
			if err != nil {
				return err
			}
			attrs = append(attrs, "payment", p.ID, "order", p.OrderID, "status", p.Status, "amount", p.Amount, "currency", p.Currency)
		case tokenim.EventRefundSucceeded, tokenim.EventRefundFailed:
			r, err := ev.Refund()
			if err != nil {
				return err
			}
			attrs = append(attrs, "refund", r.ID, "payment", r.PaymentID, "status", r.Status, "amount", r.Amount, "currency", r.Currency)
		}
		// Fulfil the order, notify the customer, etc. here.
		logger.InfoContext(ctx, "event", attrs...)
		return nil
	}
}
