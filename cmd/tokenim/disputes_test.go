package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// openDispute pays amount with the dispute test card and moves the sandbox
// clock until its dispute opens.
func openDispute(t *testing.T, srv *sandbox.Server, c *tokenim.Client, ref string, amount int64) *tokenim.Dispute {
	t.Helper()
	o, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: "CNY"})
	require.NoError(t, err)
	p, err := c.Payments.Create(t.Context(), &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card(cardDisputed, 12, 2040, "123")})
	require.NoError(t, err)
	srv.Advance(time.Hour)
	l, err := c.Disputes.List(t.Context(), &tokenim.DisputeListParams{PaymentID: p.ID})
	require.NoError(t, err)
	require.Len(t, l.Data, 1)
	return l.Data[0]
}

func TestDisputes_listShowsTimeLeftAndFiltersByDeadline(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)))
	c := sdkClient(t, srv)
	early := openDispute(t, srv, c, "cli-dp-1", 1999)
	srv.Advance(3 * 24 * time.Hour)
	late := openDispute(t, srv, c, "cli-dp-2", 500)
	answered := openDispute(t, srv, c, "cli-dp-3", 700)
	_, err := c.Disputes.Accept(t.Context(), answered.ID)
	require.NoError(t, err)
	// The sandbox clock is now 3 d 2 h after the first dispute opened.

	r := against(t, srv, "disputes", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^ID +STATUS +DUE IN +AMOUNT`, r.stdout)
	assert.Regexp(t, `(?m)^`+early.ID+` +needs_response +3d 22h +19\.99 CNY +fraudulent`, r.stdout)
	assert.Regexp(t, `(?m)^`+late.ID+` +needs_response +6d 23h +5\.00 CNY`, r.stdout)
	assert.Regexp(t, `(?m)^`+answered.ID+` +lost +- `, r.stdout)

	r = against(t, srv, "disputes", "list", "--due-within", "96h")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, early.ID)
	assert.NotContains(t, r.stdout, late.ID, "due in more than 96 h")
	assert.NotContains(t, r.stdout, answered.ID, "needs no response")

	r = against(t, srv, "disputes", "list", "--due-within", "200h")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := regexp.MustCompile(`(?m)^dp_\S+`).FindAllString(r.stdout, -1)
	assert.Equal(t, []string{early.ID, late.ID}, lines, "most urgent first")

	r = against(t, srv, "disputes", "list", "--due-within", "-1h")
	assert.Equal(t, exitUsage, r.code)
	r = against(t, srv, "disputes", "list", "--due-within", "48h", "--status", "lost")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "--due-within")
}

func TestDisputes_evidenceStagesThenSubmits(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)))
	c := sdkClient(t, srv)
	d := openDispute(t, srv, c, "cli-ev-1", 1999)
	file := filepath.Join(t.TempDir(), "evidence.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"product_description":"Blue mug","shipping_tracking_number":"SF1234"}`), 0o600))

	r := against(t, srv, "disputes", "evidence", d.ID, "--file", file)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^status +needs_response$`, r.stdout)
	assert.Regexp(t, `(?m)^evidence.shipping_tracking_number +SF1234$`, r.stdout)

	r = invocation{env: sandboxEnv(srv), stdin: `{"uncategorized_text":"Signed for at the door."}`}.run(t,
		"disputes", "evidence", d.ID, "--file", "-", "--submit")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^status +under_review$`, r.stdout)
	assert.Regexp(t, `(?m)^evidence.product_description +Blue mug$`, r.stdout, "staged fields stay")

	r = against(t, srv, "disputes", "evidence", d.ID, "--submit")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "dispute_not_open")
	assert.Contains(t, r.stderr, "no longer needs a response")

	srv.Advance(24 * time.Hour)
	r = against(t, srv, "disputes", "get", d.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^status +won$`, r.stdout)
}

func TestDisputes_evidenceFileMistakesAreUsageErrors(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.json")
	require.NoError(t, os.WriteFile(typo, []byte(`{"product_descripton":"mug"}`), 0o600))
	empty := filepath.Join(dir, "empty.json")
	require.NoError(t, os.WriteFile(empty, []byte(`{}`), 0o600))
	for name, args := range map[string][]string{
		"misspelt field": {"disputes", "evidence", "dp_1", "--file", typo},
		"no field":       {"disputes", "evidence", "dp_1", "--file", empty},
		"missing file":   {"disputes", "evidence", "dp_1", "--file", filepath.Join(dir, "nope.json")},
		"nothing to do":  {"disputes", "evidence", "dp_1"},
		"no id":          {"disputes", "evidence", "--submit"},
	} {
		r := against(t, srv, args...)
		assert.Equal(t, exitUsage, r.code, name)
	}
	r := against(t, srv, "disputes", "evidence", "dp_1", "--file", typo)
	assert.Contains(t, r.stderr, "product_descripton")
}

func TestDisputes_accept(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)))
	c := sdkClient(t, srv)
	d := openDispute(t, srv, c, "cli-acc-1", 1999)
	r := against(t, srv, "disputes", "accept", d.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^status +lost$`, r.stdout)
	r = against(t, srv, "disputes", "accept", d.ID)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "dispute_not_open")
	r = against(t, srv, "disputes", "acept", d.ID)
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `did you mean "accept"?`)
}
