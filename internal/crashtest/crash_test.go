// Package crashtest kills a real merchant process with SIGKILL at random
// points while it runs checkouts through the journal against a standalone
// sandbox that drops answers after committing them, restarts it, and checks
// that every checkout was paid exactly once and no refund ran twice.
package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqltest"
	"github.com/tokenim/tokenim-go/journal"
)

var (
	kills = flag.Int("crash.kills", 20, "SIGKILLs to deliver to the merchant per engine (try 500)")
	seed  = flag.Uint64("crash.seed", 0, "seed for the kill points (0: from the clock)")
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the sandbox and the merchant program once per test run.
func binaries(t *testing.T) (sandboxBin, merchantBin string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "tokenim-crashtest")
		if buildErr != nil {
			return
		}
		for _, pkg := range []string{"github.com/tokenim/tokenim-go/cmd/tokenim-sandbox", "./merchant"} {
			out, err := exec.Command("go", "build", "-o", binDir, pkg).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	require.NoError(t, buildErr)
	return filepath.Join(binDir, "tokenim-sandbox"), filepath.Join(binDir, "merchant")
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// sandboxProc is a standalone sandbox process.
type sandboxProc struct {
	URL, APIKey, MerchantID string
}

func startSandbox(t *testing.T, bin string) *sandboxProc {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	sp := &sandboxProc{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && (sp.URL == "" || sp.APIKey == "" || sp.MerchantID == "") {
		line := sc.Text()
		if u, ok := strings.CutPrefix(line, "tokenim sandbox listening on "); ok {
			sp.URL = u
		}
		if k, ok := strings.CutPrefix(line, "api key:"); ok {
			sp.APIKey = strings.TrimSpace(k)
		}
		if m, ok := strings.CutPrefix(line, "merchant id:"); ok {
			sp.MerchantID = strings.TrimSpace(m)
		}
	}
	require.NotEmpty(t, sp.URL, "sandbox did not print its address")
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return sp
}

// setFaults installs a fault plan through the sandbox's control API.
func (s *sandboxProc) setFaults(t *testing.T, plan any) {
	t.Helper()
	body, err := json.Marshal(plan)
	require.NoError(t, err)
	resp, err := http.Post(s.URL+"/_sandbox/faults", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
}

// faultPlan drops a third of the answers to money-moving calls after the
// platform committed them, and some requests before.
var faultPlan = map[string]any{
	"seed": 7,
	"rules": []map[string]any{
		{"method": "POST", "path": "/v1/payments", "kind": "drop_after_commit", "rate": 0.3},
		{"method": "POST", "path": "/v1/refunds", "kind": "drop_after_commit", "rate": 0.3},
		{"method": "POST", "path": "/v1/orders", "kind": "drop_after_commit", "rate": 0.2},
		{"method": "POST", "path": "/v1/payments", "kind": "drop_before_commit", "rate": 0.1},
	},
}

func TestCrash(t *testing.T) {
	t.Parallel()
	for _, engine := range sqltest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			runCrash(t, sqltest.New(t, engine))
		})
	}
}

func runCrash(t *testing.T, d *sqltest.DB) {
	sandboxBin, merchantBin := binaries(t)
	sb := startSandbox(t, sandboxBin)
	sb.setFaults(t, faultPlan)
	s := *seed
	if s == 0 {
		s = uint64(time.Now().UnixNano())
	}
	t.Logf("kill seed %d (rerun with -crash.seed=%d)", s, s)
	rng := rand.New(rand.NewPCG(s, s))

	checkouts := 20
	merchant := func(args ...string) *exec.Cmd {
		cmd := exec.Command(merchantBin, append([]string{"-sandbox", sb.URL, "-api-key", sb.APIKey, "-merchant-id", sb.MerchantID,
			"-driver", d.Driver, "-dsn", d.DSN, "-checkouts", fmt.Sprint(checkouts)}, args...)...)
		cmd.Stderr = os.Stderr
		return cmd
	}
	start := time.Now()
	delivered, completed := 0, 0
	for delivered < *kills {
		cmd := merchant()
		require.NoError(t, cmd.Start())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// A kill point anywhere from start-up to well into the run.
		select {
		case err := <-exited:
			require.NoError(t, err, "merchant failed without being killed")
			completed++
			checkouts += 10 // it finished: give the next run new work to die in
		case <-time.After(time.Duration(rng.IntN(250)) * time.Millisecond):
			// The run may end on its own as the kill point comes (a race
			// the machine's speed decides): then it counts as finished.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				require.ErrorIs(t, err, os.ErrProcessDone)
			}
			err := <-exited
			var ee *exec.ExitError
			if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL {
				delivered++
				continue
			}
			require.NoError(t, err, "merchant failed without being killed")
			completed++
			checkouts += 10
		}
	}
	// The last run finishes the checkouts, then the resumer settles what
	// remains (card intents whose attempt never reached the platform).
	for _, args := range [][]string{nil, {"-resume"}} {
		var out bytes.Buffer
		cmd := merchant(args...)
		cmd.Stdout = &out
		require.NoError(t, cmd.Run(), "%s", out.String())
		if args != nil {
			t.Logf("%s", strings.TrimSpace(out.String()))
		}
	}
	t.Logf("%s: %d kills, %d runs finished early, %d checkouts, %v", d.Engine, delivered, completed, checkouts, time.Since(start).Round(time.Millisecond))

	verify(t, d, sb, checkouts)
}

// verify checks the platform's records against the intended checkouts.
func verify(t *testing.T, d *sqltest.DB, sb *sandboxProc, checkouts int) {
	ctx := context.Background()
	c, err := tokenim.NewClient(sb.APIKey, tokenim.WithBaseURL(sb.URL), tokenim.WithMerchantID(sb.MerchantID))
	require.NoError(t, err)
	sb.setFaults(t, map[string]any{"rules": []any{}})

	orders := 0
	for range c.Orders.All(ctx, nil) {
		orders++
	}
	assert.Equal(t, checkouts, orders, "one order per intended checkout")
	refunds := 0
	for i := range checkouts {
		ref := fmt.Sprintf("co-%04d", i)
		page, err := c.Orders.List(ctx, &tokenim.OrderListParams{MerchantOrderID: ref})
		require.NoError(t, err)
		require.Len(t, page.Data, 1, ref)
		o := page.Data[0]
		var succeeded []*tokenim.Payment
		for p, err := range c.Payments.All(ctx, &tokenim.PaymentListParams{OrderID: o.ID}) {
			require.NoError(t, err)
			if p.Status == tokenim.PaymentStatusSucceeded {
				succeeded = append(succeeded, p)
			}
		}
		if !assert.Len(t, succeeded, 1, "%s: paid exactly once", ref) {
			continue
		}
		n := 0
		for r, err := range c.Refunds.All(ctx, &tokenim.RefundListParams{PaymentID: succeeded[0].ID}) {
			require.NoError(t, err)
			assert.Equal(t, int64(500+i), r.Amount)
			n++
		}
		want := 0
		if i%3 == 0 {
			want = 1
		}
		assert.Equal(t, want, n, "%s: refunds executed", ref)
		refunds += n
	}
	j, err := journal.New(d.Open(), c)
	require.NoError(t, err)
	left, err := j.Unfinished(ctx)
	require.NoError(t, err)
	assert.Zero(t, left, "unfinished intents after the resumer ran")
	var redriven, attempts int
	require.NoError(t, d.Open().QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(attempts), 0) FROM "+journal.Table+" WHERE attempts > 1").Scan(&redriven, &attempts))
	t.Logf("%s: %d intents were re-driven with their key after a kill or a lost answer (%d attempts)", d.Engine, redriven, attempts)
	t.Logf("%s: %d checkouts paid once each, %d refunds executed once each, 0 intents unfinished", d.Engine, checkouts, refunds)
}
