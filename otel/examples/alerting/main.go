// Command alerting shows a failure-rate alert on the SDK's metrics. A stream
// of checkouts runs against an embedded sandbox while the share of declined
// cards rises window by window (the decline test cards of
// docs/tokenim-api.md §6). After each window the program reads
// tokenim.client.calls from an OpenTelemetry ManualReader, as Prometheus
// would scrape tokenim_client_calls_total, computes the window's failure
// rate of Payments.Create and evaluates the alert rule of otel/README.md:
//
//	failure rate > threshold, for N consecutive windows
//
// It prints each window and the moment the alert goes pending and fires.
//
//	cd otel && go run ./examples/alerting
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/tokenim/tokenim-go"
	tokenimotel "github.com/tokenim/tokenim-go/otel"
	"github.com/tokenim/tokenim-go/sandbox"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace/noop"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, os.Stdout, defaultConfig()); err != nil {
		fmt.Fprintln(os.Stderr, "alerting:", err)
		os.Exit(1)
	}
}

// config is the stream and the alert rule.
type config struct {
	// CheckoutsPerWindow is how many checkouts each window runs.
	CheckoutsPerWindow int
	// DeclineShare is the share of checkouts paid with a decline card, one
	// entry per window.
	DeclineShare []float64
	// Threshold is the failure rate above which the rule's condition holds.
	Threshold float64
	// For is how many consecutive windows the condition must hold before
	// the alert fires (Prometheus' "for:"), so one bad window only pends.
	For int
}

func defaultConfig() config {
	return config{
		CheckoutsPerWindow: 40,
		DeclineShare:       []float64{0.025, 0.025, 0.05, 0.05, 0.075, 0.10, 0.15, 0.20, 0.30, 0.40},
		Threshold:          0.10,
		For:                2,
	}
}

// window is what one window measured and what the rule made of it.
type window struct {
	Calls, Failures int64
	Rate            float64
	Declines        map[string]int64 // by decline code
	State           string           // "ok", "pending" or "firing"
}

// declineCards are the sandbox's decline cards (docs/tokenim-api.md §6).
var declineCards = []string{
	"4000000000000002", // generic_decline
	"4000000000009995", // insufficient_funds
	"4000000000000069", // expired_card
	"4000000000000127", // incorrect_cvc
	"4000000000009987", // card_frozen
	"4000000000000119", // processing_error
}

const goodCard = "4242424242424242"

// run plays the stream and evaluates the alert after every window. It
// returns the windows, each with the state the rule was in after it.
func run(ctx context.Context, out io.Writer, cfg config) ([]window, error) {
	srv := sandbox.NewServer()
	defer srv.Close()

	// The two lines a merchant adds, here with a ManualReader standing in for
	// the Prometheus exporter, and no traces.
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	obs, err := tokenimotel.NewObserver(tokenimotel.WithMeterProvider(mp), tokenimotel.WithTracerProvider(noop.NewTracerProvider()))
	if err != nil {
		return nil, err
	}
	client, err := tokenim.NewClient(srv.APIKey(), tokenim.WithMerchantID(srv.MerchantID), tokenim.WithBaseURL(srv.URL),
		tokenim.WithHTTPClient(srv.Client()), tokenim.WithObserver(obs))
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(out, "alert: Payments.Create failure rate > %.0f%% for %d windows of %d checkouts\n",
		cfg.Threshold*100, cfg.For, cfg.CheckoutsPerWindow)
	var (
		windows []window
		prev    counts
		streak  int
		fired   = -1
		n       int
	)
	for i, share := range cfg.DeclineShare {
		declines := int(share*float64(cfg.CheckoutsPerWindow) + 0.5)
		for j := range cfg.CheckoutsPerWindow {
			// Spread the window's declines evenly over it.
			card := goodCard
			if (j+1)*declines/cfg.CheckoutsPerWindow != j*declines/cfg.CheckoutsPerWindow {
				card = declineCards[n%len(declineCards)]
			}
			n++
			if err := checkout(ctx, client, n, card); err != nil && !tokenim.IsDeclined(err) {
				return windows, fmt.Errorf("checkout %d: %w", n, err)
			}
		}
		now, err := collect(ctx, reader)
		if err != nil {
			return windows, err
		}
		w := now.since(prev)
		prev = now
		if w.Rate > cfg.Threshold {
			streak++
		} else {
			streak = 0
		}
		switch {
		case streak >= cfg.For:
			w.State = "firing"
		case streak > 0:
			w.State = "pending"
		default:
			w.State = "ok"
		}
		windows = append(windows, w)
		fmt.Fprintf(out, "window %2d: %3d calls, %3d failed, failure rate %5.1f%%  %-7s %s\n",
			i+1, w.Calls, w.Failures, w.Rate*100, w.State, declineSummary(w.Declines))
		if w.State == "firing" && fired < 0 {
			fired = i
			fmt.Fprintf(out, "ALERT FIRING at window %d: failure rate %.1f%% has been above %.0f%% for %d windows\n",
				i+1, w.Rate*100, cfg.Threshold*100, cfg.For)
		}
	}
	if fired < 0 {
		fmt.Fprintln(out, "the alert never fired")
	}
	return windows, nil
}

// checkout creates an order and pays it with card.
func checkout(ctx context.Context, c *tokenim.Client, n int, card string) error {
	o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: fmt.Sprintf("A-%06d", n), Amount: 1999, Currency: "CNY"})
	if err != nil {
		return err
	}
	_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card(card, 12, 2030, "123")})
	return err
}

// counts are the cumulative tokenim.client.calls of Payments.Create, as a
// scrape sees them.
type counts struct {
	total, failed int64
	declines      map[string]int64
}

// collect reads tokenim.client.calls from reader.
func collect(ctx context.Context, reader *sdkmetric.ManualReader) (counts, error) {
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return counts{}, err
	}
	c := counts{declines: map[string]int64{}}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if m.Name != "tokenim.client.calls" || !ok {
				continue
			}
			for _, p := range sum.DataPoints {
				if attr(p.Attributes, tokenimotel.AttrOperation) != "Payments.Create" {
					continue
				}
				c.total += p.Value
				outcome := attr(p.Attributes, tokenimotel.AttrOutcome)
				if outcome != tokenimotel.OutcomeSucceeded {
					c.failed += p.Value
				}
				if outcome == tokenimotel.OutcomeDeclined {
					c.declines[attr(p.Attributes, tokenimotel.AttrDeclineCode)] += p.Value
				}
			}
		}
	}
	return c, nil
}

// since is the window between two scrapes: what increase() computes.
func (c counts) since(prev counts) window {
	w := window{Calls: c.total - prev.total, Failures: c.failed - prev.failed, Declines: map[string]int64{}}
	for code, v := range c.declines {
		if d := v - prev.declines[code]; d > 0 {
			w.Declines[code] = d
		}
	}
	if w.Calls > 0 {
		w.Rate = float64(w.Failures) / float64(w.Calls)
	}
	return w
}

func attr(set attribute.Set, key attribute.Key) string {
	v, _ := set.Value(key)
	return v.AsString()
}

func declineSummary(m map[string]int64) string {
	codes := make([]string, 0, len(m))
	for code := range m {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, code := range codes {
		parts[i] = fmt.Sprintf("%s=%d", code, m[code])
	}
	return strings.Join(parts, " ")
}
