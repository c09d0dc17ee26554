package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

var day0 = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

func TestBalance_showsAvailableAndPendingPerCurrency(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(day0))
	r := against(t, srv, "balance")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "no balance yet\n", r.stdout)

	c := sdkClient(t, srv)
	paidOrder(t, c, "bal-1", 1999) // fee 88, net 19.11
	srv.Advance(25 * time.Hour)    // available, not yet settled (that is at 00:00 on day 2)
	paidOrder(t, c, "bal-2", 1000) // fee 59, pending
	r = against(t, srv, "balance")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^CURRENCY +AVAILABLE +PENDING$`, r.stdout)
	assert.Regexp(t, `(?m)^CNY +19\.11 CNY +9\.41 CNY$`, r.stdout)

	r = against(t, srv, "balance", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var b tokenim.Balance
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &b))
	assert.Equal(t, int64(1911), b.AvailableIn("CNY"))
	assert.Equal(t, int64(941), b.PendingIn("CNY"))
}

func TestSettlements_listAndReport(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(day0))
	c := sdkClient(t, srv)
	o, p := paidOrder(t, c, "st-1", 1999)
	srv.Advance(72 * time.Hour)
	page, err := c.Settlements.List(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	st := page.Data[0]

	r := against(t, srv, "settlements", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^`+st.ID+` +19\.11 CNY +1 +2026-11-23T00:00:00Z +paid$`, r.stdout)

	r = against(t, srv, "settlements", "report", st.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^txn_\w+ +payment +`+p.ID+` +`+o.ID+` +st-1 +19\.99 CNY +0\.88 CNY +19\.11 CNY +2026-11-21T09:30:00Z$`, r.stdout)
	assert.Contains(t, r.stdout, "total net: 19.11 CNY\n")

	r = against(t, srv, "settlements", "report", st.ID, "--csv")
	require.Equal(t, exitOK, r.code, r.stderr)
	rep, err := c.Settlements.Report(t.Context(), st.ID)
	require.NoError(t, err)
	assert.Equal(t, string(rep.Raw()), r.stdout, "--csv writes the statement byte for byte")
	assert.True(t, strings.HasPrefix(r.stdout, "balance_transaction_id,type,source,order_id,merchant_order_id,amount,fee,net,currency,created_at\r\n"))

	r = against(t, srv, "settlements", "report")
	assert.Equal(t, exitUsage, r.code)
	r = against(t, srv, "settlements", "report", "st_missing")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "resource_missing")
	r = against(t, srv, "settlements", "reprot")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `did you mean "report"?`)
}

func writeOrders(t *testing.T, rows ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "orders.csv")
	require.NoError(t, os.WriteFile(path, []byte("order_id,merchant_order_id,amount,currency,status,method\n"+strings.Join(rows, "\n")+"\n"), 0o600))
	return path
}

func TestReconcile_summaryDifferencesAndExitCode(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(day0))
	c := sdkClient(t, srv)
	o1, _ := paidOrder(t, c, "rc-1", 1999)
	srv.Advance(time.Hour)
	o2, _ := paidOrder(t, c, "rc-2", 5000)
	srv.Advance(72 * time.Hour)

	clean := writeOrders(t, o1.ID+",rc-1,1999,CNY,paid,card", o2.ID+",rc-2,5000,CNY,paid,card")
	r := against(t, srv, "reconcile", "--orders", clean, "--from", "2026-11-21", "--to", "2026-11-22")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `(?m)^transactions +2$`, r.stdout)
	assert.Regexp(t, `(?m)^settlements +1 checked$`, r.stdout)
	assert.Regexp(t, `(?m)^missed_payment +0$`, r.stdout)
	assert.Contains(t, r.stdout, "no differences")

	// o2 unknown locally (a missed webhook), and a local order the platform never took.
	dirty := writeOrders(t, o1.ID+",rc-1,1999,CNY,paid,card", "ord_ghost,rc-3,700,CNY,paid,card")
	r = against(t, srv, "reconcile", "--orders", dirty, "--from", "2026-11-21", "--to", "2026-11-22")
	require.Equal(t, exitError, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `(?m)^missed_payment +1$`, r.stdout)
	assert.Regexp(t, `(?m)^not_on_platform +1$`, r.stdout)
	assert.Contains(t, r.stdout, "2 differences:")
	assert.Regexp(t, `(?m)^  missed_payment: order=`+o2.ID, r.stdout)

	r = against(t, srv, "reconcile", "--orders", dirty, "--from", "2026-11-21", "--to", "2026-11-22", "--json")
	require.Equal(t, exitError, r.code, r.stderr)
	var rep struct {
		Settlements []string `json:"settlements"`
		Summary     struct {
			Differences int `json:"differences"`
		} `json:"summary"`
		Differences []struct {
			Kind    string `json:"kind"`
			OrderID string `json:"order_id"`
		} `json:"differences"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &rep))
	assert.Equal(t, 2, rep.Summary.Differences)
	assert.Len(t, rep.Settlements, 1)
	assert.Equal(t, "missed_payment", rep.Differences[0].Kind)
	assert.Equal(t, o2.ID, rep.Differences[0].OrderID)

	// A period that cuts the settlement leaves its header out rather than
	// reporting a total that differs.
	r = against(t, srv, "reconcile", "--orders", writeOrders(t, o2.ID+",rc-2,5000,CNY,paid,card"),
		"--from", "2026-11-21T10:00:00Z", "--to", "2026-11-22T00:00:00Z")
	require.Equal(t, exitOK, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `(?m)^settlements +0 checked, 1 cut by the period`, r.stdout)
}

func TestReconcile_usageErrors(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(day0))
	orders := writeOrders(t)
	for name, args := range map[string][]string{
		"no orders":   {"--from", "2026-11-21", "--to", "2026-11-22"},
		"no from":     {"--orders", orders, "--to", "2026-11-22"},
		"bad date":    {"--orders", orders, "--from", "21/11/2026", "--to", "2026-11-22"},
		"empty range": {"--orders", orders, "--from", "2026-11-22", "--to", "2026-11-22"},
	} {
		r := against(t, srv, append([]string{"reconcile"}, args...)...)
		assert.Equal(t, exitUsage, r.code, name+": "+r.stderr)
	}
	r := against(t, srv, "reconcile", "--orders", filepath.Join(t.TempDir(), "none.csv"), "--from", "2026-11-21", "--to", "2026-11-22")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "none.csv")
}
