package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
)

// A missed evidence deadline loses the money (docs/tokenim-api.md §8), so
// the disputes command puts the time left first: list shows a due-in
// column and can narrow to what is due soon; evidence and accept answer.

var disputesResource = resource{
	name: "disputes", single: "dispute", path: "/v1/disputes",
	detail: func(raw json.RawMessage) ([][2]string, error) {
		var d tokenim.Dispute
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, err
		}
		return disputeFields(&d), nil
	},
}

func disputeFields(d *tokenim.Dispute) [][2]string {
	ev := d.Evidence
	return [][2]string{
		{"id", d.ID},
		{"payment_id", d.PaymentID},
		{"order_id", d.OrderID},
		{"status", string(d.Status)},
		{"reason", string(d.Reason)},
		{"amount", money(d.Amount, d.Currency)},
		{"fee", money(d.Fee, d.Currency)},
		{"evidence_due_by", ts(&d.EvidenceDueBy)},
		{"submitted_at", ts(d.SubmittedAt)},
		{"created_at", ts(&d.CreatedAt)},
		{"closed_at", ts(d.ClosedAt)},
		{"evidence.product_description", ev.ProductDescription},
		{"evidence.customer_communication", ev.CustomerCommunication},
		{"evidence.shipping_tracking_number", ev.ShippingTrackingNumber},
		{"evidence.refund_policy", ev.RefundPolicy},
		{"evidence.uncategorized_text", ev.UncategorizedText},
	}
}

func cmdDisputes(e *env, args []string) error {
	return group(e, "disputes", "Answer disputes before their evidence deadline.", args, map[string]func(*env, []string) error{
		"get":      func(e *env, args []string) error { return resourceGet(e, disputesResource, args) },
		"list":     disputesList,
		"evidence": disputesEvidence,
		"accept":   disputesAccept,
	}, []string{"list", "get", "evidence", "accept"})
}

func disputesList(e *env, args []string) error {
	const cmd = "disputes list"
	fs := newFlagSet(cmd, `List disputes, newest first, with the time left to answer each one that
still needs a response. With --due-within, list only those needing a response
whose deadline is that close, the most urgent first: run it from cron and act
on every line.

Usage:
  tokenim disputes list [flags]`)
	cfg := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "print the disputes as a JSON array")
	status := fs.String("status", "", "only disputes in this status (needs_response, under_review, won, lost)")
	paymentID := fs.String("payment-id", "", "only the dispute of this payment")
	within := fs.Duration("due-within", 0, "only disputes needing a response due within this duration, e.g. 48h")
	limit := fs.Int("limit", 100, "list at most this many disputes, 1–100 (all with --due-within)")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "disputes list takes no arguments, got %q", pos[0])
	}
	if *within < 0 {
		return usagef(cmd, "--due-within must be positive, got %s", *within)
	}
	if *limit < 1 || *limit > 100 {
		return usagef(cmd, "--limit must be between 1 and 100, got %d", *limit)
	}
	if *within > 0 && *status != "" && *status != string(tokenim.DisputeStatusNeedsResponse) {
		return usagef(cmd, "--due-within lists disputes that need a response; it cannot be combined with --status %s", *status)
	}
	c, err := cfg.client(e, cmd)
	if err != nil {
		return err
	}
	now := platformNow(e, cfg)
	var disputes []*tokenim.Dispute
	if *within > 0 {
		due, err := c.Disputes.NeedingResponse(e.ctx, now)
		if err != nil {
			return fmt.Errorf("list disputes: %w", err)
		}
		for _, d := range due {
			if d.Left <= *within && (*paymentID == "" || d.Dispute.PaymentID == *paymentID) {
				disputes = append(disputes, d.Dispute)
			}
		}
	} else {
		page, err := c.Disputes.List(e.ctx, &tokenim.DisputeListParams{
			ListParams: tokenim.ListParams{Limit: *limit},
			Status:     tokenim.DisputeStatus(*status), PaymentID: *paymentID,
		})
		if err != nil {
			return fmt.Errorf("list disputes: %w", err)
		}
		disputes = page.Data
	}
	if *asJSON {
		raw, err := json.Marshal(disputes)
		if err != nil {
			return err
		}
		return writeJSON(e, raw)
	}
	if len(disputes) == 0 {
		fmt.Fprintln(e.stdout, "no disputes")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tDUE IN\tAMOUNT\tREASON\tPAYMENT\tDUE BY")
	for _, d := range disputes {
		fmt.Fprintln(tw, strings.Join([]string{d.ID, string(d.Status), dueIn(d, now), money(d.Amount, d.Currency),
			string(d.Reason), d.PaymentID, ts(&d.EvidenceDueBy)}, "\t"))
	}
	return tw.Flush()
}

// dueIn is the time left to answer d at now, "-" once it needs no answer.
func dueIn(d *tokenim.Dispute, now time.Time) string {
	if d.Status != tokenim.DisputeStatusNeedsResponse {
		return "-"
	}
	left := d.EvidenceDueBy.Sub(now)
	if left <= 0 {
		return "overdue"
	}
	days, hours, minutes := int(left/(24*time.Hour)), int(left%(24*time.Hour)/time.Hour), int(left%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd %dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh %dm", hours, minutes)
	}
	return fmt.Sprintf("%dm", max(minutes, 1))
}

// platformNow is the time deadlines are measured against: a sandbox's own
// clock (tests move it forward) when the base URL serves /_sandbox/clock,
// the machine's clock otherwise.
func platformNow(e *env, cfg *config) time.Time {
	if !strings.HasPrefix(cfg.apiKey, "sk_test_") {
		return time.Now()
	}
	t := &triggerer{ctx: e.ctx, base: cfg.effectiveBaseURL(), out: io.Discard, hc: &http.Client{Timeout: 5 * time.Second}}
	defer t.hc.CloseIdleConnections()
	if now, err := t.sandboxNow(); err == nil {
		return now
	}
	return time.Now()
}

func disputesEvidence(e *env, args []string) error {
	const cmd = "disputes evidence"
	fs := newFlagSet(cmd, `Stage evidence for a dispute from a JSON file and, with --submit, send
everything staged for review. Each field in the file replaces its staged
value; the others stay. Submitting is possible once, before evidence_due_by.

The file holds any of: product_description, customer_communication,
shipping_tracking_number, refund_policy, uncategorized_text (each at most
20 000 characters), e.g.
  {"product_description": "Blue mug", "shipping_tracking_number": "SF1234"}
Use --file - to read it from standard input.

Usage:
  tokenim disputes evidence <dispute id> --file evidence.json [--submit]`)
	cfg := addConfigFlags(fs)
	file := fs.String("file", "", "JSON file with the evidence fields (- for standard input)")
	submit := fs.Bool("submit", false, "submit the evidence for review after staging it")
	asJSON := fs.Bool("json", false, "print the raw JSON dispute")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usagef(cmd, "disputes evidence takes exactly one dispute id")
	}
	if *file == "" && !*submit {
		return usagef(cmd, "give --file with the evidence, --submit, or both")
	}
	var evidence *tokenim.DisputeEvidence
	if *file != "" {
		if evidence, err = readEvidence(e, *file); err != nil {
			return usagef(cmd, "%s", err)
		}
	}
	c, err := cfg.client(e, cmd)
	if err != nil {
		return err
	}
	var d *tokenim.Dispute
	if *submit {
		d, err = c.Disputes.SubmitEvidence(e.ctx, pos[0], evidence)
	} else {
		d, err = c.Disputes.UpdateEvidence(e.ctx, pos[0], evidence)
	}
	if err != nil {
		return fmt.Errorf("evidence for dispute %s: %w", pos[0], disputeHint(err))
	}
	return printDispute(e, d, *asJSON)
}

// readEvidence decodes an evidence file strictly, so that a misspelt field
// is an error rather than evidence silently left out.
func readEvidence(e *env, name string) (*tokenim.DisputeEvidence, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(io.LimitReader(e.stdin, 1<<20))
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("read --file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var ev tokenim.DisputeEvidence
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("--file %s is not an evidence object: %w", name, err)
	}
	if ev == (tokenim.DisputeEvidence{}) {
		return nil, fmt.Errorf("--file %s has no evidence field", name)
	}
	return &ev, nil
}

func disputesAccept(e *env, args []string) error {
	const cmd = "disputes accept"
	fs := newFlagSet(cmd, `Concede a dispute: it is lost at once, and its amount and fee stay
withdrawn. Only a dispute that still needs a response can be accepted.

Usage:
  tokenim disputes accept <dispute id>`)
	cfg := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON dispute")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usagef(cmd, "disputes accept takes exactly one dispute id")
	}
	c, err := cfg.client(e, cmd)
	if err != nil {
		return err
	}
	d, err := c.Disputes.Accept(e.ctx, pos[0])
	if err != nil {
		return fmt.Errorf("accept dispute %s: %w", pos[0], disputeHint(err))
	}
	return printDispute(e, d, *asJSON)
}

// disputeHint adds what dispute_not_open means for the merchant.
func disputeHint(err error) error {
	var apiErr *tokenim.Error
	if errors.As(err, &apiErr) && apiErr.Code == tokenim.CodeDisputeNotOpen {
		return fmt.Errorf("%w (the dispute no longer needs a response: see tokenim disputes get %s)", err, apiErr.DisputeID)
	}
	return err
}

func printDispute(e *env, d *tokenim.Dispute, asJSON bool) error {
	if asJSON {
		raw, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return writeJSON(e, raw)
	}
	return writeFields(e.stdout, disputeFields(d))
}
