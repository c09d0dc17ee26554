package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRun_helpForEveryCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string // a line of the usage that names the command
	}{
		{[]string{"--help"}, "tokenim <command> [subcommand] [flags]"},
		{[]string{"-h"}, "tokenim <command> [subcommand] [flags]"},
		{[]string{"help"}, "tokenim <command> [subcommand] [flags]"},
		{[]string{"help", "trigger"}, "tokenim trigger <event-type> [flags]"},
		{[]string{"sandbox", "--help"}, "tokenim sandbox [flags]"},
		{[]string{"trigger", "-h"}, "tokenim trigger <event-type> [flags]"},
		{[]string{"listen", "--help"}, "tokenim listen --forward-to"},
		{[]string{"webhook", "--help"}, "tokenim webhook sign [flags]"},
		{[]string{"webhook", "sign", "--help"}, "tokenim webhook sign --secret"},
		{[]string{"webhook", "verify", "-h"}, "tokenim webhook verify --secret"},
		{[]string{"status", "--help"}, "tokenim status [--json]"},
	}
	for _, res := range []string{"orders", "payments", "refunds", "events"} {
		cases = append(cases,
			struct {
				args []string
				want string
			}{[]string{res, "-h"}, "tokenim " + res + " list [flags]"},
			struct {
				args []string
				want string
			}{[]string{res, "get", "--help"}, "tokenim " + res + " get <"},
			struct {
				args []string
				want string
			}{[]string{res, "list", "--help"}, "tokenim " + res + " list [flags]"},
		)
	}
	for _, tc := range cases {
		t.Run(tc.args[0], func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.args...)
			assert.Equal(t, exitOK, r.code, "args %q", tc.args)
			assert.Contains(t, r.stdout, tc.want, "args %q", tc.args)
			assert.Empty(t, r.stderr, "args %q", tc.args)
		})
	}
}

func TestRun_helpListsFlags(t *testing.T) {
	t.Parallel()
	r := cli(t, "orders", "list", "--help")
	assert.Equal(t, exitOK, r.code)
	for _, f := range []string{"-limit", "-status", "-merchant-order-id", "-json", "-api-key", "-merchant-id", "-base-url"} {
		assert.Contains(t, r.stdout, f)
	}
	assert.Contains(t, r.stdout, "  --limit int\n      how many to show, 1–100 (default 10)\n")
	r = cli(t, "listen", "--help")
	for _, f := range []string{"-forward-to", "-secret", "-events", "-interval", "-replay", "-once"} {
		assert.Contains(t, r.stdout, f)
	}
}

func TestRun_usageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "Commands:"},
		{"unknown command with hint", []string{"ordrs"}, `unknown command "ordrs"; did you mean "orders"?`},
		{"unknown command far from all", []string{"xyzzyplugh"}, "Run 'tokenim --help' for usage."},
		{"flag before command", []string{"--json"}, "must follow a command"},
		{"group without subcommand", []string{"orders"}, "orders needs a subcommand: get, list"},
		{"unknown subcommand", []string{"payments", "show"}, `unknown payments subcommand "show"`},
		{"unknown flag", []string{"orders", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{"bad flag value", []string{"orders", "list", "--limit", "many"}, `invalid value "many" for flag -limit`},
		{"limit out of range", []string{"orders", "list", "--limit", "101"}, "--limit must be between 1 and 100, got 101"},
		{"get without id", []string{"refunds", "get"}, "refunds get takes exactly one refund id, got 0 arguments"},
		{"get with two ids", []string{"events", "get", "evt_1", "evt_2"}, "got 2 arguments"},
		{"list with argument", []string{"orders", "list", "ord_1"}, `orders list takes no arguments, got "ord_1"`},
		{"no api key", []string{"orders", "list"}, "no API key: pass --api-key or set TOKENIM_API_KEY"},
		{"no merchant id", []string{"orders", "list", "--api-key", "sk_test_x1"}, "no merchant id: pass --merchant-id or set TOKENIM_MERCHANT_ID"},
		{"malformed key", []string{"orders", "list", "--api-key", "pk_abc", "--merchant-id", "mch_1"}, "invalid api key: must start with sk_test_ or sk_live_"},
		{"bad base url", []string{"orders", "list", "--api-key", "sk_test_x1", "--merchant-id", "mch_1", "--base-url", "ftp://x"}, "base URL"},
		{"status with argument", []string{"status", "now"}, `status takes no arguments, got "now"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, tc.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestRun_flagsAfterArguments(t *testing.T) {
	t.Parallel()
	// "orders get ID --help" still finds the flag after the id.
	r := cli(t, "orders", "get", "ord_1", "--help")
	assert.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "Show one order.")
	// After "--" nothing is a flag: "--help" is a second argument.
	r = cli(t, "orders", "get", "--", "ord_1", "--help")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "got 2 arguments")
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	names := commandNames()
	assert.Equal(t, "orders", suggest("order", names))
	assert.Equal(t, "listen", suggest("lisen", names))
	assert.Equal(t, "status", suggest("statsu", names))
	assert.Empty(t, suggest("completely-different", names))
}

func TestMoney(t *testing.T) {
	t.Parallel()
	cases := []struct {
		amount   int64
		currency string
		want     string
	}{
		{1999, "CNY", "19.99 CNY"},
		{5, "USD", "0.05 USD"},
		{100, "EUR", "1.00 EUR"},
		{500, "JPY", "500 JPY"},
		{1234, "KWD", "1.234 KWD"},
		{7, "KWD", "0.007 KWD"},
		{99999999999, "HKD", "999999999.99 HKD"},
		{-250, "GBP", "-2.50 GBP"},
		{0, "SGD", "0.00 SGD"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, money(tc.amount, tc.currency), "%d %s", tc.amount, tc.currency)
	}
}
