// Command compare runs tokenim-go against its peers side by side and writes
// a markdown report to stdout:
//
//	cd bench && go run ./cmd/compare > RESULTS.md
//
// It measures (a) one create-payment call of tokenim-go and stripe-go
// against loopback servers, (b) webhook verification and decoding of
// tokenim-go, the Standard Webhooks library and stripe-go at 1 KiB and
// 64 KiB, and (c) create requests per second of the standalone sandbox and
// stripe-mock, each started as its own process, under 32 concurrent clients.
// Progress goes to stderr.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tokenim/tokenim-go/bench"
)

type config struct {
	count          int
	benchtime      time.Duration
	duration       time.Duration
	warmup         time.Duration
	clients        int
	root           string
	stripeMock     string
	stripeMockVers string
	skipLoad       bool
}

func main() {
	testing.Init()
	var cfg config
	flag.IntVar(&cfg.count, "count", 5, "runs of each benchmark, alternating with its peer; the median is reported")
	flag.DurationVar(&cfg.benchtime, "benchtime", time.Second, "target time of each benchmark run")
	flag.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time of each load run")
	flag.DurationVar(&cfg.warmup, "warmup", time.Second, "unmeasured time before each load run")
	flag.IntVar(&cfg.clients, "clients", 32, "concurrent clients of each load run")
	flag.StringVar(&cfg.root, "root", "..", "the tokenim-go repository (to build cmd/tokenim-sandbox)")
	flag.StringVar(&cfg.stripeMock, "stripe-mock", "", "stripe-mock binary (default: go install github.com/stripe/stripe-mock@<version> into a temp dir)")
	flag.StringVar(&cfg.stripeMockVers, "stripe-mock-version", "latest", "version of stripe-mock to install when -stripe-mock is not set")
	flag.BoolVar(&cfg.skipLoad, "skip-load", false, "skip the sandbox vs stripe-mock load runs")
	flag.Parse()
	if err := flag.Set("test.benchtime", cfg.benchtime.String()); err != nil {
		fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "compare:", err)
	os.Exit(1)
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }

// row is one line of the summary: lower is better for both values, so
// ratio = ours/peer and below 1 means tokenim-go is ahead.
type row struct {
	what, unit   string
	ours, peer   float64
	oursS, peerS string
}

// pair is two benchmarks measuring the same job.
type pair struct {
	job, ours, peer string
	oursFn, peerFn  func(*testing.B)
}

// measured is the median of several runs of one benchmark.
type measured struct {
	name                 string
	nsPerOp, bPerOp, aPO float64
}

func run(ctx context.Context, cfg config, w io.Writer) error {
	started := time.Now().UTC()
	pairs := []pair{
		{"create payment (loopback)", "Payments.Create", "stripe-go V1PaymentIntents.Create",
			bench.Bench(bench.TokenimCreatePayment), bench.Bench(bench.StripeCreatePaymentIntent)},
	}
	for _, size := range []int{1 << 10, 64 << 10} {
		label := fmt.Sprintf("%d KiB", size>>10)
		pairs = append(pairs,
			pair{"webhook verify+decode " + label + ", verifier reused", "WebhookVerifier.ParseEvent", "standard-webhooks Verify + json.Unmarshal",
				bench.BenchWebhook(bench.TokenimParseEvent, size), bench.BenchWebhook(bench.StandardWebhooksVerify, size)},
			pair{"webhook verify+decode " + label + ", one call", "tokenim.ConstructEvent", "stripe-go webhook.ConstructEvent",
				bench.BenchWebhook(bench.TokenimConstructEvent, size), bench.BenchWebhook(bench.StripeConstructEvent, size)},
		)
	}

	var rows []row
	var details []measured
	for _, p := range pairs {
		logf("benchmark: %s", p.job)
		o, q, err := medianPair(ctx, p, cfg.count)
		if err != nil {
			return err
		}
		details = append(details, o, q)
		rows = append(rows,
			row{what: p.job + " — time/op", unit: "ns", ours: o.nsPerOp, peer: q.nsPerOp, oursS: p.ours, peerS: p.peer},
			row{what: p.job + " — allocs/op", unit: "allocs", ours: o.aPO, peer: q.aPO, oursS: p.ours, peerS: p.peer},
		)
	}

	var loads []loadRow
	if !cfg.skipLoad {
		var err error
		loads, err = runLoads(ctx, cfg)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// The other rows still stand; the report says what is missing.
			logf("load runs failed: %v", err)
			loadSkipped = err.Error()
		}
	}
	report(w, cfg, started, rows, details, loads)
	return nil
}

// medianPair runs the two benchmarks of p alternately, count times each (so
// that both see the same background load), and keeps each one's run with
// the median time.
func medianPair(ctx context.Context, p pair, count int) (ours, peer measured, err error) {
	var o, q []measured
	for range count {
		for _, b := range []struct {
			name string
			fn   func(*testing.B)
			into *[]measured
		}{{p.ours, p.oursFn, &o}, {p.peer, p.peerFn, &q}} {
			if err := ctx.Err(); err != nil {
				return measured{}, measured{}, err
			}
			r := testing.Benchmark(b.fn)
			if r.N == 0 {
				return measured{}, measured{}, fmt.Errorf("benchmark %s (%s) failed (see above)", b.name, p.job)
			}
			*b.into = append(*b.into, measured{name: b.name + ", " + p.job, nsPerOp: float64(r.T.Nanoseconds()) / float64(r.N),
				bPerOp: float64(r.AllocedBytesPerOp()), aPO: float64(r.AllocsPerOp())})
		}
	}
	return medianOf(o), medianOf(q), nil
}

func medianOf(runs []measured) measured {
	sort.Slice(runs, func(i, j int) bool { return runs[i].nsPerOp < runs[j].nsPerOp })
	return runs[len(runs)/2]
}

// loadRow is one throughput comparison: higher is better, so the ratio is
// peer/ours and below 1 means tokenim-go is ahead.
type loadRow struct {
	peerName   string
	ours, peer bench.LoadResult
}

func runLoads(ctx context.Context, cfg config) ([]loadRow, error) {
	tmp, err := os.MkdirTemp("", "tokenim-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	root, err := filepath.Abs(cfg.root)
	if err != nil {
		return nil, err
	}
	ours := filepath.Join(tmp, "tokenim-sandbox")
	logf("build: tokenim-sandbox")
	if err := goCmd(ctx, root, nil, "build", "-o", ours, "./cmd/tokenim-sandbox"); err != nil {
		return nil, err
	}
	peer := cfg.stripeMock
	if peer == "" {
		logf("build: stripe-mock@%s", cfg.stripeMockVers)
		if err := goCmd(ctx, tmp, []string{"GOBIN=" + tmp}, "install", "github.com/stripe/stripe-mock@"+cfg.stripeMockVers); err != nil {
			return nil, err
		}
		peer = filepath.Join(tmp, "stripe-mock")
	}
	stripeMockVersion = moduleVersion(ctx, peer, "github.com/stripe/stripe-mock")

	addr, err := bench.FreeAddr()
	if err != nil {
		return nil, err
	}
	const apiKey, merchant = "sk_test_bench_4eC39HqLyjWDarjtT1zdp7dc", "mch_bench"
	logf("start: tokenim-sandbox on %s", addr)
	sp, err := bench.StartProcess(ctx, "tokenim-sandbox", ours,
		[]string{"-addr", addr, "-api-key", apiKey, "-merchant-id", merchant, "-seed", "1"},
		"http://"+addr, "/v1/status", nil, http.StatusOK, 60*time.Second)
	if err != nil {
		return nil, err
	}
	defer sp.Stop()

	addr, err = bench.FreeAddr()
	if err != nil {
		return nil, err
	}
	logf("start: stripe-mock on %s", addr)
	mp, err := bench.StartProcess(ctx, "stripe-mock", peer, []string{"-http-addr", addr},
		"http://"+addr, "/v1/customers/cus_123", http.Header{"Authorization": {"Bearer sk_test_123"}}, http.StatusOK, 120*time.Second)
	if err != nil {
		return nil, err
	}
	defer mp.Stop()

	var out []loadRow
	for _, t := range []bench.Target{
		bench.StripeMockCreate(mp.URL, "/v1/payment_intents", "amount=2000&currency=usd&payment_method=pm_card_visa&confirm=true"),
		bench.StripeMockCreate(mp.URL, "/v1/customers", "email=jenny.rosen%40example.com&name=Jenny+Rosen"),
	} {
		logf("load: tokenim-sandbox POST /v1/orders, %d clients, %s", cfg.clients, cfg.duration)
		o := bench.RunLoad(ctx, bench.TokenimCreateOrder(sp.URL, apiKey, merchant), cfg.clients, cfg.warmup, cfg.duration)
		logf("load: stripe-mock %s, %d clients, %s", t.Name, cfg.clients, cfg.duration)
		p := bench.RunLoad(ctx, t, cfg.clients, cfg.warmup, cfg.duration)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, r := range []bench.LoadResult{o, p} {
			if r.OK == 0 {
				return nil, fmt.Errorf("a load run got no successful answer: %s", r.FirstErr)
			}
		}
		out = append(out, loadRow{peerName: "stripe-mock " + t.Name, ours: o, peer: p})
	}
	return out, nil
}

var (
	stripeMockVersion = "unknown"
	loadSkipped       string // why the load rows are missing, if they are
)

func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

// moduleVersion reads the version of mod a Go binary was built from.
func moduleVersion(ctx context.Context, bin, mod string) string {
	out, err := exec.CommandContext(ctx, "go", "version", "-m", bin).Output()
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[0] == "mod" || f[0] == "dep") && f[1] == mod {
			return f[2]
		}
	}
	return "unknown"
}

// depVersion is the version of a module compiled into this program.
func depVersion(mod string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range bi.Deps {
		if d.Path == mod {
			return d.Version
		}
	}
	return "unknown"
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown (" + runtime.GOARCH + ")"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown (" + runtime.GOARCH + ")"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// noise is the ratio band around 1 that this shared machine cannot tell
// from 1: rows inside it say so.
const noise = 0.10

func verdict(ratio float64) string {
	switch {
	case ratio < 1-noise:
		return "ahead"
	case ratio < 1:
		return "ahead, within noise"
	case ratio < 1+noise:
		return "**behind**, within noise"
	}
	return "**behind**"
}

func human(v float64, unit string) string {
	switch unit {
	case "ns":
		d := time.Duration(v)
		switch {
		case d >= time.Millisecond:
			return fmt.Sprintf("%.2f ms", v/1e6)
		case d >= time.Microsecond:
			return fmt.Sprintf("%.1f µs", v/1e3)
		}
		return fmt.Sprintf("%.0f ns", v)
	case "req/s":
		return fmt.Sprintf("%.0f req/s", v)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

func report(w io.Writer, cfg config, started time.Time, rows []row, details []measured, loads []loadRow) {
	load := loadAverage()
	fmt.Fprintf(w, "# tokenim-go vs peers\n\n")
	fmt.Fprintf(w, "Generated by `cd bench && go run ./cmd/compare` on %s.\n\n", started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "| machine | |\n|---|---|\n")
	fmt.Fprintf(w, "| CPU | %s |\n| cores | %d (GOMAXPROCS %d) |\n| Go | %s %s/%s |\n| load average at the end | %s |\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
	fmt.Fprintf(w, "| peers | stripe-go/v85 %s, standard-webhooks %s, stripe-mock %s |\n\n",
		depVersion("github.com/stripe/stripe-go/v85"), depVersion("github.com/standard-webhooks/standard-webhooks/libraries"), stripeMockVersion)

	fmt.Fprintf(w, "## Summary\n\nRatios are arranged so that **below 1 means tokenim-go is ahead**: ours/peer for time and allocations, peer/ours for throughput.\n\n")
	fmt.Fprintf(w, "| comparison | tokenim-go | peer | ratio | |\n|---|---:|---:|---:|---|\n")
	behind := 0
	for _, r := range rows {
		ratio := r.ours / r.peer
		if ratio >= 1 {
			behind++
		}
		fmt.Fprintf(w, "| %s<br>*%s* vs *%s* | %s | %s | %.2f | %s |\n", r.what, r.oursS, r.peerS, human(r.ours, r.unit), human(r.peer, r.unit), ratio, verdict(ratio))
	}
	for _, l := range loads {
		ratio := l.peer.PerSecond() / l.ours.PerSecond()
		if ratio >= 1 {
			behind++
		}
		fmt.Fprintf(w, "| create throughput, %d clients, %s<br>*tokenim-sandbox POST /v1/orders* vs *%s* | %s | %s | %.2f | %s |\n",
			cfg.clients, cfg.duration, l.peerName, human(l.ours.PerSecond(), "req/s"), human(l.peer.PerSecond(), "req/s"), ratio, verdict(ratio))
	}
	if loadSkipped != "" {
		fmt.Fprintf(w, "| create throughput, sandbox vs stripe-mock | not measured | not measured | – | **missing**: `%s` |\n", strings.ReplaceAll(loadSkipped, "|", "/"))
	}
	if behind == 0 {
		every := "every row"
		if loadSkipped != "" {
			every = "every measured row (the load rows are missing)"
		}
		fmt.Fprintf(w, "\ntokenim-go is ahead on %s. Ratios within %.0f%% of 1 are marked: on this machine they are within run-to-run noise.\n", every, noise*100)
	} else {
		fmt.Fprintf(w, "\ntokenim-go is **behind on %d row(s)**; see the rows marked behind.\n", behind)
	}

	fmt.Fprintf(w, "\n## Benchmarks (median of %d runs, benchtime %s, each pair run alternately)\n\n", cfg.count, cfg.benchtime)
	fmt.Fprintf(w, "Allocations count the whole process, so the loopback server's share is in both columns of a create-payment pair.\n\n")
	fmt.Fprintf(w, "| benchmark | time/op | B/op | allocs/op |\n|---|---:|---:|---:|\n")
	for _, d := range details {
		fmt.Fprintf(w, "| %s | %s | %.0f | %.0f |\n", d.name, human(d.nsPerOp, "ns"), d.bPerOp, d.aPO)
	}
	if len(loads) > 0 {
		fmt.Fprintf(w, "\n## Load runs (%d clients, %s warm-up, %s measured, each server its own process on 127.0.0.1)\n\n", cfg.clients, cfg.warmup, cfg.duration)
		fmt.Fprintf(w, "| server | endpoint | 2xx | failed | req/s |\n|---|---|---:|---:|---:|\n")
		for _, l := range loads {
			fmt.Fprintf(w, "| tokenim-sandbox | POST /v1/orders | %d | %d | %.0f |\n", l.ours.OK, l.ours.Failed, l.ours.PerSecond())
			fmt.Fprintf(w, "| %s | | %d | %d | %.0f |\n", l.peerName, l.peer.OK, l.peer.Failed, l.peer.PerSecond())
		}
		for _, l := range loads {
			for _, r := range []bench.LoadResult{l.ours, l.peer} {
				if r.Failed > 0 {
					fmt.Fprintf(w, "\nA run had failures; the first: `%s`.\n", r.FirstErr)
				}
			}
		}
	}
	fmt.Fprintf(w, "\nThe machine is shared with other work (see the load average), so absolute numbers move between runs; each pair ran alternately under the same conditions, so the ratios are the meaningful part.\n")
	fmt.Fprint(w, readingFigures)
}

// readingFigures is the closing section of RESULTS.md: how to read these
// figures on a small shared machine.
const readingFigures = `
## Reading the figures on a 2-core machine

- **Compare ratios of interleaved pairs, never absolute times.** Both sides of a pair run alternately, so they share the machine's load; a time/op from a different run, hour or machine is not comparable. ` + "`" + `bench/pairs.sh` + "`" + ` (the SDK's own client/bare pairs, ` + "`" + `ROUNDS=5` + "`" + ` by default) prints medians, ratios and the goals; for a second opinion feed two ` + "`" + `-count 10` + "`" + ` runs to ` + "`" + `go run golang.org/x/perf/cmd/benchstat@latest` + "`" + `.
- **Note the load average.** With 2 cores, a load above 2 means something else holds a core for part of every run. Above about 4, a single pair can move by 20 % either way and the verify pair (about 1 µs) by more: the 5 % goals cannot be judged then. Re-run when the load is below 2, or count instructions instead.
- **Instruction counts do not depend on load.** ` + "`" + `GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind ./tokenim.test -test.run '^$' -test.bench 'Client_CreatePayment$' -test.benchtime Nx` + "`" + ` at two values of N, subtracted and divided by their difference, gives instructions per call; that is the proof of a saving on a busy machine (it does not show waiting: contention shows in ` + "`" + `-mutexprofile` + "`" + ` and ` + "`" + `-blockprofile` + "`" + `).
- **The parallel pair (64 goroutines, ` + "`" + `SetParallelism(32)` + "`" + `) reports ns/op as the wall time per call across all goroutines**: throughput is its inverse, so its goal (throughput at least 0.95× of bare) is a time ratio of at most 1.053. With 2 cores both sides are bound by the loopback server sharing the same cores; the pair shows contention in the client (pooled state, timers), not absolute throughput.
- **Allocations are exact** (they do not move with load) and count the whole process, the loopback server included on both sides of a pair.
`
