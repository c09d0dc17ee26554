package main

// tokenim balance, transactions, settlements and reconcile: the
// money of docs/tokenim-api.md §9.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/reconcile"
	"github.com/tokenim/tokenim-go/reconcile/platform"
)

func cmdBalance(e *env, args []string) error {
	fs := newFlagSet("balance", `Show the balance (GET /v1/balance): per currency, the unsettled money
already available for the next daily settlement and what is still pending.

Usage:
  tokenim balance [--json]`)
	cfg := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON balance")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("balance", "balance takes no arguments, got %q", pos[0])
	}
	c, err := cfg.client(e, "balance")
	if err != nil {
		return err
	}
	raw, err := getRaw(e.ctx, c, "/v1/balance", nil)
	if err != nil {
		return fmt.Errorf("get balance: %w", err)
	}
	if *asJSON {
		return writeJSON(e, raw)
	}
	var b tokenim.Balance
	if err := json.Unmarshal(raw, &b); err != nil {
		return fmt.Errorf("decode balance: %w", err)
	}
	if len(b.Available) == 0 && len(b.Pending) == 0 {
		fmt.Fprintln(e.stdout, "no balance yet")
		return nil
	}
	var currencies []tokenim.Currency
	for _, list := range [][]tokenim.BalanceAmount{b.Available, b.Pending} {
		for _, a := range list {
			if !slices.Contains(currencies, a.Currency) {
				currencies = append(currencies, a.Currency)
			}
		}
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CURRENCY\tAVAILABLE\tPENDING")
	for _, cur := range currencies {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", cur, money(b.AvailableIn(cur), cur), money(b.PendingIn(cur), cur))
	}
	return tw.Flush()
}

var balanceTransactionsResource = resource{
	name: "transactions", single: "balance transaction", path: "/v1/balance_transactions",
	filters: []filter{
		{"type", "type", "only transactions of this type (payment, refund, dispute, dispute_reversal)"},
		{"source", "source", "only transactions of this payment, refund or dispute"},
		{"settlement-id", "settlement_id", "only transactions paid out by this settlement"},
		{"created-gte", "created_gte", "only transactions created at or after this RFC 3339 time"},
		{"created-lt", "created_lt", "only transactions created before this RFC 3339 time"},
	},
	header: "ID\tTYPE\tAMOUNT\tFEE\tNET\tSOURCE\tSETTLEMENT\tCREATED",
	row: func(raw json.RawMessage) (string, error) {
		var x tokenim.BalanceTransaction
		if err := json.Unmarshal(raw, &x); err != nil {
			return "", err
		}
		return strings.Join([]string{x.ID, string(x.Type), money(x.Amount, x.Currency), money(x.Fee, x.Currency),
			money(x.Net, x.Currency), x.Source, orDash(x.SettlementID), ts(&x.CreatedAt)}, "\t"), nil
	},
	detail: func(raw json.RawMessage) ([][2]string, error) {
		var x tokenim.BalanceTransaction
		if err := json.Unmarshal(raw, &x); err != nil {
			return nil, err
		}
		return [][2]string{
			{"id", x.ID},
			{"type", string(x.Type)},
			{"source", x.Source},
			{"order_id", x.OrderID},
			{"amount", money(x.Amount, x.Currency)},
			{"fee", money(x.Fee, x.Currency)},
			{"net", money(x.Net, x.Currency)},
			{"available_on", ts(&x.AvailableOn)},
			{"settlement_id", x.SettlementID},
			{"created_at", ts(&x.CreatedAt)},
		}, nil
	},
}

var settlementsResource = resource{
	name: "settlements", single: "settlement", path: "/v1/settlements",
	header: "ID\tAMOUNT\tTRANSACTIONS\tPERIOD END\tSTATUS",
	row: func(raw json.RawMessage) (string, error) {
		var s tokenim.Settlement
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return strings.Join([]string{s.ID, money(s.Amount, s.Currency), strconv.FormatInt(s.TransactionCount, 10),
			ts(&s.PeriodEnd), string(s.Status)}, "\t"), nil
	},
	detail: func(raw json.RawMessage) ([][2]string, error) {
		var s tokenim.Settlement
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return [][2]string{
			{"id", s.ID},
			{"status", string(s.Status)},
			{"amount", money(s.Amount, s.Currency)},
			{"transaction_count", strconv.FormatInt(s.TransactionCount, 10)},
			{"period_end", ts(&s.PeriodEnd)},
			{"created_at", ts(&s.CreatedAt)},
		}, nil
	},
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cmdSettlements is "tokenim settlements list|get|report".
func cmdSettlements(e *env, args []string) error {
	r := settlementsResource
	return group(e, r.name, "Read settlements and their statements.", args, map[string]func(*env, []string) error{
		"list":   func(e *env, args []string) error { return resourceList(e, r, args) },
		"get":    func(e *env, args []string) error { return resourceGet(e, r, args) },
		"report": cmdSettlementReport,
	}, []string{"list", "get", "report"})
}

func cmdSettlementReport(e *env, args []string) error {
	const cmd = "settlements report"
	fs := newFlagSet(cmd, `Show a settlement's statement (GET /v1/settlements/{id}/report): one row per
balance transaction, oldest first, and the total of the net column. With
--csv, write the statement exactly as the platform sent it, for archiving.

Usage:
  tokenim settlements report <settlement id> [--csv]`)
	cfg := addConfigFlags(fs)
	asCSV := fs.Bool("csv", false, "write the raw text/csv statement")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usagef(cmd, "settlements report takes exactly one settlement id, got %d arguments", len(pos))
	}
	c, err := cfg.client(e, cmd)
	if err != nil {
		return err
	}
	rep, err := c.Settlements.Report(e.ctx, pos[0])
	if err != nil {
		return fmt.Errorf("get statement of %s: %w", pos[0], err)
	}
	if *asCSV {
		_, err := e.stdout.Write(rep.Raw())
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TRANSACTION\tTYPE\tSOURCE\tORDER\tMERCHANT ORDER\tAMOUNT\tFEE\tNET\tCREATED")
	total := map[tokenim.Currency]int64{}
	var order []tokenim.Currency
	for row, err := range rep.Rows() {
		if err != nil {
			return err
		}
		if _, seen := total[row.Currency]; !seen {
			order = append(order, row.Currency)
		}
		total[row.Currency] += row.Net
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", row.BalanceTransactionID, row.Type, row.Source,
			row.OrderID, orDash(row.MerchantOrderID), money(row.Amount, row.Currency), money(row.Fee, row.Currency),
			money(row.Net, row.Currency), ts(&row.CreatedAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, cur := range order {
		fmt.Fprintf(e.stdout, "total net: %s\n", money(total[cur], cur))
	}
	return nil
}

func cmdReconcile(e *env, args []string) error {
	const cmd = "reconcile"
	fs := newFlagSet(cmd, `Reconcile the merchant's own orders against the platform's balance
transactions created in [--from, --to) and the settlements wholly inside
that period (docs/tokenim-api.md §9). Prints a summary and every difference;
exits 1 when any is found.

The orders file is CSV with a header row: order_id (the platform's ord_ id,
which balance transactions carry), amount, currency, status (paid, unpaid,
partially_refunded, refunded), and optionally merchant_order_id,
refunded_amount and method. Amounts are minor-unit integers.

Dates are YYYY-MM-DD (00:00 UTC) or RFC 3339 times.

Usage:
  tokenim reconcile --orders orders.csv --from DATE --to DATE [--json]`)
	cfg := addConfigFlags(fs)
	ordersPath := fs.String("orders", "", "the merchant's orders, a CSV file (required)")
	fromFlag := fs.String("from", "", "start of the period, inclusive (required)")
	toFlag := fs.String("to", "", "end of the period, exclusive (required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "reconcile takes no arguments, got %q", pos[0])
	}
	if *ordersPath == "" {
		return usagef(cmd, "--orders is required: the merchant's orders as CSV")
	}
	from, err := parseDate("--from", *fromFlag)
	if err != nil {
		return usagef(cmd, "%s", err)
	}
	to, err := parseDate("--to", *toFlag)
	if err != nil {
		return usagef(cmd, "%s", err)
	}
	if !from.Before(to) {
		return usagef(cmd, "--from (%s) must be before --to (%s)", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	f, err := os.Open(*ordersPath)
	if err != nil {
		return err
	}
	defer f.Close()
	c, err := cfg.client(e, cmd)
	if err != nil {
		return err
	}
	var r reconcile.Reconciler
	period, err := platform.AddPeriod(e.ctx, c, &r, from, to)
	if err != nil {
		return err
	}
	if err := r.AddRecords(reconcile.NewRecordReader(f).All()); err != nil {
		return fmt.Errorf("%s: %w", *ordersPath, err)
	}
	rep := r.Report()
	if *asJSON {
		out, err := json.Marshal(struct {
			From           time.Time `json:"from"`
			To             time.Time `json:"to"`
			Settlements    []string  `json:"settlements"`
			CutSettlements []string  `json:"cut_settlements"`
			*reconcile.Report
		}{from, to, nonNil(period.Settlements), nonNil(period.Cut), rep})
		if err != nil {
			return err
		}
		if err := writeJSON(e, out); err != nil {
			return err
		}
	} else {
		writeReconcileReport(e, period, rep)
	}
	if !rep.OK() {
		return &silentError{code: exitError}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// parseDate reads a YYYY-MM-DD day (00:00 UTC) or an RFC 3339 time.
func parseDate(flagName, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is required (YYYY-MM-DD or RFC 3339)", flagName)
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is neither YYYY-MM-DD nor an RFC 3339 time", flagName, s)
	}
	return t, nil
}

func writeReconcileReport(e *env, p *platform.Period, rep *reconcile.Report) {
	s := rep.Summary
	fmt.Fprintf(e.stdout, "period        %s … %s\n", p.From.UTC().Format(time.RFC3339), p.To.UTC().Format(time.RFC3339))
	fmt.Fprintf(e.stdout, "transactions  %d\nrecords       %d\norders        %d\nsettlements   %d checked", s.Transactions, s.Records, s.Orders, len(p.Settlements))
	if len(p.Cut) > 0 {
		fmt.Fprintf(e.stdout, ", %d cut by the period (totals not checked: %s)", len(p.Cut), strings.Join(p.Cut, ", "))
	}
	fmt.Fprintln(e.stdout)
	fmt.Fprintln(e.stdout)
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DIFFERENCE\tCOUNT")
	for _, k := range reconcile.Kinds() {
		fmt.Fprintf(tw, "%s\t%d\n", k, s.Counts[k])
	}
	_ = tw.Flush()
	fmt.Fprintln(e.stdout)
	if rep.OK() {
		fmt.Fprintln(e.stdout, "no differences")
		return
	}
	fmt.Fprintf(e.stdout, "%d differences:\n", len(rep.Differences))
	for _, d := range rep.Differences {
		fmt.Fprintln(e.stdout, "  "+d.String())
	}
}

// settlement pays an order and moves the sandbox clock to the second 00:00
// UTC after the payment, when it has been available for a while and is paid
// out (docs/tokenim-api.md §9).
func (t *triggerer) settlement() error {
	p, err := t.paidPayment(triggerAmount)
	if err != nil {
		return err
	}
	payout := p.CreatedAt.UTC().Truncate(24 * time.Hour).Add(48 * time.Hour)
	if err := t.advance(int(payout.Sub(p.CreatedAt).Seconds()) + 1); err != nil {
		return err
	}
	l, err := t.c.Settlements.List(t.ctx, &tokenim.SettlementListParams{ListParams: tokenim.ListParams{Limit: 1}})
	if err != nil {
		return fmt.Errorf("GET /v1/settlements: %w", err)
	}
	if len(l.Data) == 0 {
		return errors.New("GET /v1/settlements: nothing was settled (the merchant's available CNY balance is not above 0)")
	}
	s := l.Data[0]
	t.step("GET /v1/settlements?limit=1", fmt.Sprintf("%s (%s, %s)", s.ID, s.Status, money(s.Amount, s.Currency)))
	return nil
}
