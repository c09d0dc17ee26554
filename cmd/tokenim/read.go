package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
)

// filter is one list filter flag, sent as a query parameter.
type filter struct {
	flag, param, help string
}

// resource describes a readable resource: its route, list filters and how
// one object and one list row read as text.
type resource struct {
	name    string // "orders"
	single  string // "order"
	path    string // "/v1/orders"
	filters []filter
	// header and row print a list as a table.
	header string
	row    func(raw json.RawMessage) (string, error)
	// detail prints one object as aligned "field value" lines.
	detail func(raw json.RawMessage) ([][2]string, error)
	// appendix, if set, names a part of the object printed as JSON after
	// the fields (an event's snapshot).
	appendix func(raw json.RawMessage) (string, json.RawMessage)
}

var ordersResource = resource{
	name: "orders", single: "order", path: "/v1/orders",
	filters: []filter{
		{"status", "status", "only orders in this status (open, paid, partially_refunded, refunded, canceled, expired)"},
		{"merchant-order-id", "merchant_order_id", "only the order with this merchant order id"},
	},
	header: "ID\tSTATUS\tAMOUNT\tMERCHANT ORDER ID\tCREATED",
	row: func(raw json.RawMessage) (string, error) {
		var o tokenim.Order
		if err := json.Unmarshal(raw, &o); err != nil {
			return "", err
		}
		return strings.Join([]string{o.ID, string(o.Status), money(o.Amount, o.Currency), o.MerchantOrderID, ts(&o.CreatedAt)}, "\t"), nil
	},
	detail: func(raw json.RawMessage) ([][2]string, error) {
		var o tokenim.Order
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, err
		}
		return [][2]string{
			{"id", o.ID},
			{"merchant_order_id", o.MerchantOrderID},
			{"status", string(o.Status)},
			{"amount", money(o.Amount, o.Currency)},
			{"amount_paid", money(o.AmountPaid, o.Currency)},
			{"amount_refunded", money(o.AmountRefunded, o.Currency)},
			{"description", o.Description},
			{"payment_id", o.PaymentID},
			{"created_at", ts(&o.CreatedAt)},
			{"expires_at", ts(&o.ExpiresAt)},
			{"paid_at", ts(o.PaidAt)},
			{"metadata", metadata(o.Metadata)},
		}, nil
	},
}

var paymentsResource = resource{
	name: "payments", single: "payment", path: "/v1/payments",
	filters: []filter{
		{"status", "status", "only payments in this status (processing, requires_action, succeeded, failed, canceled)"},
		{"order-id", "order_id", "only payments of this order"},
	},
	header: "ID\tSTATUS\tAMOUNT\tMETHOD\tORDER\tCREATED",
	row: func(raw json.RawMessage) (string, error) {
		var p tokenim.Payment
		if err := json.Unmarshal(raw, &p); err != nil {
			return "", err
		}
		return strings.Join([]string{p.ID, string(p.Status), money(p.Amount, p.Currency), method(p.Method), p.OrderID, ts(&p.CreatedAt)}, "\t"), nil
	},
	detail: func(raw json.RawMessage) ([][2]string, error) {
		var p tokenim.Payment
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, err
		}
		next := ""
		if p.NextAction != nil {
			next = string(p.NextAction.Type)
		}
		return [][2]string{
			{"id", p.ID},
			{"order_id", p.OrderID},
			{"status", string(p.Status)},
			{"amount", money(p.Amount, p.Currency)},
			{"method", method(p.Method)},
			{"fee", money(p.Fee, p.Currency)},
			{"net", money(p.Net, p.Currency)},
			{"amount_refunded", money(p.AmountRefunded, p.Currency)},
			{"failure_code", string(p.FailureCode)},
			{"failure_message", p.FailureMessage},
			{"next_action", next},
			{"receipt_number", p.ReceiptNumber},
			{"created_at", ts(&p.CreatedAt)},
			{"succeeded_at", ts(p.SucceededAt)},
			{"metadata", metadata(p.Metadata)},
		}, nil
	},
}

var refundsResource = resource{
	name: "refunds", single: "refund", path: "/v1/refunds",
	filters: []filter{
		{"payment-id", "payment_id", "only refunds of this payment"},
	},
	header: "ID\tSTATUS\tAMOUNT\tPAYMENT\tCREATED",
	row: func(raw json.RawMessage) (string, error) {
		var r tokenim.Refund
		if err := json.Unmarshal(raw, &r); err != nil {
			return "", err
		}
		return strings.Join([]string{r.ID, string(r.Status), money(r.Amount, r.Currency), r.PaymentID, ts(&r.CreatedAt)}, "\t"), nil
	},
	detail: func(raw json.RawMessage) ([][2]string, error) {
		var r tokenim.Refund
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, err
		}
		return [][2]string{
			{"id", r.ID},
			{"payment_id", r.PaymentID},
			{"order_id", r.OrderID},
			{"status", string(r.Status)},
			{"amount", money(r.Amount, r.Currency)},
			{"reason", string(r.Reason)},
			{"failure_code", string(r.FailureCode)},
			{"created_at", ts(&r.CreatedAt)},
			{"succeeded_at", ts(r.SucceededAt)},
			{"metadata", metadata(r.Metadata)},
		}, nil
	},
}

var eventsResource = resource{
	name: "events", single: "event", path: "/v1/events",
	filters: []filter{
		{"type", "type", "only events of this type (e.g. payment.succeeded)"},
	},
	header: "ID\tTYPE\tOBJECT\tCREATED",
	row: func(raw json.RawMessage) (string, error) {
		var ev tokenim.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return "", err
		}
		return strings.Join([]string{ev.ID, string(ev.Type), snapshotID(ev.Data.Object), ts(&ev.CreatedAt)}, "\t"), nil
	},
	detail: func(raw json.RawMessage) ([][2]string, error) {
		var ev tokenim.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		return [][2]string{
			{"id", ev.ID},
			{"type", string(ev.Type)},
			{"created_at", ts(&ev.CreatedAt)},
			{"api_version", ev.APIVersion},
			{"object", snapshotID(ev.Data.Object)},
		}, nil
	},
	appendix: func(raw json.RawMessage) (string, json.RawMessage) {
		var ev tokenim.Event
		if json.Unmarshal(raw, &ev) != nil {
			return "", nil
		}
		return "data.object", ev.Data.Object
	},
}

// resourceCommand returns the "get|list" command group of r.
func resourceCommand(r resource) func(*env, []string) error {
	return func(e *env, args []string) error {
		return group(e, r.name, "Read "+r.name+".", args, map[string]func(*env, []string) error{
			"get":  func(e *env, args []string) error { return resourceGet(e, r, args) },
			"list": func(e *env, args []string) error { return resourceList(e, r, args) },
		}, []string{"get", "list"})
	}
}

func resourceGet(e *env, r resource, args []string) error {
	cmd := r.name + " get"
	fs := newFlagSet(cmd, fmt.Sprintf("Show one %s.\n\nUsage:\n  tokenim %s <%s id> [--json]", r.single, cmd, r.single))
	cfg := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON object")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef(cmd, "%s get takes exactly one %s id, got %d arguments", r.name, r.single, len(pos))
	}
	if pos[0] == "" {
		return usagef(cmd, "the %s id is empty", r.single)
	}
	c, err := cfg.client(e, cmd)
	if err != nil {
		return err
	}
	raw, err := getRaw(e.ctx, c, r.path+"/"+url.PathEscape(pos[0]), nil)
	if err != nil {
		return fmt.Errorf("get %s %s: %w", r.single, pos[0], err)
	}
	if *asJSON {
		return writeJSON(e, raw)
	}
	fields, err := r.detail(raw)
	if err != nil {
		return fmt.Errorf("decode %s: %w", r.single, err)
	}
	if err := writeFields(e.stdout, fields); err != nil {
		return err
	}
	if r.appendix == nil {
		return nil
	}
	name, extra := r.appendix(raw)
	if len(extra) == 0 {
		return nil
	}
	fmt.Fprintf(e.stdout, "%s:\n", name)
	return writeJSON(e, extra)
}

func resourceList(e *env, r resource, args []string) error {
	cmd := r.name + " list"
	fs := newFlagSet(cmd, fmt.Sprintf("List %s, newest first.\n\nUsage:\n  tokenim %s [flags]", r.name, cmd))
	cfg := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON list")
	limit := fs.Int("limit", 10, "how many to show, 1–100")
	after := fs.String("starting-after", "", "show the page after this id (from a previous list)")
	values := make([]*string, len(r.filters))
	for i, f := range r.filters {
		values[i] = fs.String(f.flag, "", f.help)
	}
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef(cmd, "%s list takes no arguments, got %q", r.name, pos[0])
	}
	if *limit < 1 || *limit > 100 {
		return usagef(cmd, "--limit must be between 1 and 100, got %d", *limit)
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	if *after != "" {
		q.Set("starting_after", *after)
	}
	for i, f := range r.filters {
		if *values[i] != "" {
			q.Set(f.param, *values[i])
		}
	}
	c, err := cfg.client(e, cmd)
	if err != nil {
		return err
	}
	raw, err := getRaw(e.ctx, c, r.path, q)
	if err != nil {
		return fmt.Errorf("list %s: %w", r.name, err)
	}
	if *asJSON {
		return writeJSON(e, raw)
	}
	var page struct {
		Data    []json.RawMessage `json:"data"`
		HasMore bool              `json:"has_more"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return fmt.Errorf("decode %s list: %w", r.name, err)
	}
	if len(page.Data) == 0 {
		fmt.Fprintf(e.stdout, "no %s\n", r.name)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, r.header)
	var lastID string
	for _, item := range page.Data {
		line, err := r.row(item)
		if err != nil {
			return fmt.Errorf("decode %s: %w", r.single, err)
		}
		fmt.Fprintln(tw, line)
		lastID, _, _ = strings.Cut(line, "\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.HasMore {
		fmt.Fprintf(e.stdout, "more: tokenim %s --starting-after %s\n", cmd, lastID)
	}
	return nil
}

func cmdStatus(e *env, args []string) error {
	fs := newFlagSet("status", `Show the platform status (GET /v1/status). It needs no credentials and
sends none. Without --base-url it asks the sandbox URL, or the live API when
`+envAPIKey+` holds a sk_live_ key.

Usage:
  tokenim status [--json] [--base-url URL]`)
	// Only --base-url: the route needs no key, so status offers none.
	cfg := &config{}
	addBaseURLFlag(fs, cfg)
	asJSON := fs.Bool("json", false, "print the raw JSON status")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("status", "status takes no arguments, got %q", pos[0])
	}
	if err := cfg.resolve(e, "status"); err != nil {
		return err
	}
	base := cfg.effectiveBaseURL()
	// The status route needs no credentials: read it without the client so
	// that nothing secret is sent and none is required.
	raw, err := getStatus(e.ctx, base)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e, raw)
	}
	var st tokenim.PlatformStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("decode status: %w", err)
	}
	return writeFields(e.stdout, [][2]string{
		{"status", string(st.Status)},
		{"message", st.Message},
		{"updated_at", ts(&st.UpdatedAt)},
		{"base_url", base},
	})
}

// writeFields prints name/value pairs aligned, "-" for empty values.
func writeFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range fields {
		v := f[1]
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\n", f[0], v)
	}
	return tw.Flush()
}

// money formats minor units in the currency's major unit: 1999 CNY is
// "19.99 CNY", 500 JPY is "500 JPY". Integer arithmetic only. It takes a
// resource's tokenim.Currency or a plain string.
func money[C ~string](amount int64, c C) string {
	currency := string(c)
	digits := 2
	switch strings.ToUpper(currency) {
	case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF":
		digits = 0
	case "KWD", "BHD", "JOD", "OMR", "TND", "IQD", "LYD":
		digits = 3
	}
	sign := ""
	u := uint64(amount)
	if amount < 0 {
		sign, u = "-", uint64(-(amount+1))+1
	}
	s := strconv.FormatUint(u, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	return strings.TrimSpace(sign + s + " " + currency)
}

// ts formats a time as RFC 3339 UTC, "" for none.
func ts(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func metadata(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, " ")
}

func method(m tokenim.PaymentMethod) string {
	switch {
	case m.Card != nil:
		return string(m.Card.Brand) + " •••• " + m.Card.Last4
	case m.Wallet != nil:
		return string(m.Wallet.Provider)
	default:
		return string(m.Type)
	}
}

// snapshotID names the object an event is about: "payment pay_…".
func snapshotID(raw json.RawMessage) string {
	var head struct {
		ID     string `json:"id"`
		Object string `json:"object"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.ID == "" {
		return ""
	}
	return strings.TrimSpace(head.Object + " " + head.ID)
}

// getStatus reads GET /v1/status of base without authentication.
func getStatus(ctx context.Context, base string) (json.RawMessage, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("base URL must be an absolute http:// or https:// URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/status", nil)
	if err != nil {
		return nil, fmt.Errorf("get status: %w", err)
	}
	req.Header.Set("Tokenim-Version", tokenim.APIVersion)
	req.Header.Set("User-Agent", "tokenim-cli/"+tokenim.Version)
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get status: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("get status: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get status: HTTP %d from %s", resp.StatusCode, base)
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("get status: the answer of %s is not JSON", base)
	}
	return body, nil
}
