package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		{[]string{"status", "-h"}, "tokenim status [--json]"},
		{[]string{"version", "--help"}, "tokenim --version"},
		{[]string{"help", "version"}, "tokenim --version"},
		{[]string{"help", "webhook", "sign"}, "tokenim webhook sign --secret"},
		{[]string{"webhook", "help"}, "tokenim webhook sign [flags]"},
		{[]string{"sandbox", "-help"}, "tokenim sandbox [flags]"},
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
	for _, f := range []string{"--limit", "--status", "--merchant-order-id", "--json", "--api-key", "--merchant-id", "--base-url"} {
		assert.Regexp(t, `(?m)^  `+f+`( \w+)?$`, r.stdout)
	}
	assert.Contains(t, r.stdout, "  --limit int\n      how many to show, 1–100 (default 10)\n")
	r = cli(t, "listen", "--help")
	for _, f := range []string{"--forward-to", "--secret", "--secret-file", "--events", "--receiver-addr", "--receiver-url", "--replay", "--once", "--retries", "--retry-wait"} {
		assert.Regexp(t, `(?m)^  `+f+`( \w+)?$`, r.stdout)
	}
}

// everyHelp is the --help of every command and subcommand.
func everyHelp() [][]string {
	var all [][]string
	for _, c := range commands() {
		switch c.name {
		case "webhook":
			all = append(all, []string{"webhook", "sign"}, []string{"webhook", "verify"})
		case "orders", "payments", "refunds", "events":
			all = append(all, []string{c.name, "get"}, []string{c.name, "list"})
		}
		all = append(all, []string{c.name})
	}
	return all
}

func TestRun_helpSpellsFlagsWithTwoDashes(t *testing.T) {
	t.Parallel()
	flagLine := regexp.MustCompile(`^  (--[a-z][a-z0-9-]+|-[a-z])( \w+)?$`)
	oneDash := regexp.MustCompile(`(^|[\s(,])-[a-z][a-z-]{2,}`)
	for _, args := range everyHelp() {
		r := cli(t, append(args, "--help")...)
		require.Equal(t, exitOK, r.code, "%q --help", args)
		require.Empty(t, r.stderr)
		lines := strings.Split(r.stdout, "\n")
		inFlags := false
		for i, l := range lines {
			assert.NotRegexp(t, oneDash, l, "%q --help: a flag with one dash", args)
			if l == "Flags:" {
				inFlags = true
				continue
			}
			if inFlags && l != "" && !strings.HasPrefix(l, "      ") {
				assert.Regexp(t, flagLine, l, "%q --help line %d", args, i)
			}
		}
	}
	r := cli(t, "sandbox", "--help")
	assert.Contains(t, r.stdout, "\n  --webhook-url string\n")
	assert.Contains(t, r.stdout, "for --webhook-url:")
	assert.Contains(t, r.stdout, "\n  -v\n", "a one-letter flag keeps one dash")
}

func TestRun_statusHelpOffersNoCredentials(t *testing.T) {
	t.Parallel()
	r := cli(t, "status", "--help")
	require.Equal(t, exitOK, r.code)
	assert.Contains(t, r.stdout, "needs no credentials")
	assert.Contains(t, r.stdout, "  --base-url string\n")
	assert.NotContains(t, r.stdout, "--api-key")
	assert.NotContains(t, r.stdout, "--merchant-id")
}

func TestRun_exitCodes(t *testing.T) {
	t.Parallel()
	for _, args := range everyHelp() {
		for _, h := range []string{"--help", "-h", "-help"} {
			assert.Equal(t, exitOK, cli(t, append(args, h)...).code, "%q %s", args, h)
		}
		assert.Equal(t, exitOK, cli(t, append([]string{"help"}, args...)...).code, "help %q", args)
		r := cli(t, append(args, "--no-such-flag")...)
		assert.Equal(t, exitUsage, r.code, "%q --no-such-flag", args)
		assert.Contains(t, r.stderr, "Run 'tokenim "+strings.Join(args, " ")+" --help' for usage.")
	}
	assert.Equal(t, exitUsage, cli(t).code, "no command")
	// A failure that is not the command line's fault exits 1: nothing listens.
	r := cli(t, "status", "--base-url", "http://127.0.0.1:1")
	assert.Equal(t, exitError, r.code, r.stderr)
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
		{"unknown flag", []string{"orders", "list", "--bogus"}, "flag provided but not defined: --bogus\n"},
		{"flag typo", []string{"orders", "list", "--limt", "3"}, "flag provided but not defined: --limt; did you mean --limit?"},
		{"bad flag value", []string{"orders", "list", "--limit", "many"}, `invalid value "many" for flag --limit`},
		{"unknown subcommand with hint", []string{"webhook", "sing"}, `unknown webhook subcommand "sing"; did you mean "sign"?`},
		{"version typo", []string{"versoin"}, `unknown command "versoin"; did you mean "version"?`},
		{"status takes no key", []string{"status", "--api-key", "sk_test_x1"}, "flag provided but not defined: --api-key"},
		{"limit out of range", []string{"orders", "list", "--limit", "101"}, "--limit must be between 1 and 100, got 101"},
		{"get without id", []string{"refunds", "get"}, "refunds get takes exactly one refund id, got 0 arguments"},
		{"get with two ids", []string{"events", "get", "evt_1", "evt_2"}, "got 2 arguments"},
		{"list with argument", []string{"orders", "list", "ord_1"}, `orders list takes no arguments, got "ord_1"`},
		{"no api key", []string{"orders", "list"}, "no API key: pass --api-key-file, --api-key - (stdin) or --api-key, or set TOKENIM_API_KEY"},
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
	types := triggerTypes()
	assert.Equal(t, "payment.succeeded", suggest("payment.sucess", types))
	assert.Equal(t, "payment.succeeded", suggest("payment.success", types))
	assert.Equal(t, "refund.failed", suggest("refund.fail", types))
	assert.Equal(t, "order.canceled", suggest("order.cancelled", types))
	assert.Empty(t, suggest("invoice.created", types))
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

func TestRun_helpPrintsNoZeroDefaults(t *testing.T) {
	t.Parallel()
	zero := regexp.MustCompile(`\(default (0s|0|false|""|0\.0|\[\])\)`)
	all := append(everyHelp(),
		[]string{"disputes", "list"}, []string{"disputes", "get"}, []string{"disputes", "evidence"}, []string{"disputes", "accept"},
		[]string{"keys", "list"}, []string{"keys", "roll"}, []string{"keys", "revoke"},
		[]string{"settlements", "list"}, []string{"settlements", "get"}, []string{"settlements", "report"},
		[]string{"transactions", "list"}, []string{"transactions", "get"})
	for _, args := range all {
		r := cli(t, append(args, "--help")...)
		require.Equal(t, exitOK, r.code, "%q --help", args)
		assert.NotRegexp(t, zero, r.stdout, "%q --help", args)
	}
	r := cli(t, "disputes", "list", "--help")
	assert.Contains(t, r.stdout, "  --due-within duration\n", "the flag is listed")
	r = cli(t, "webhook", "verify", "--help")
	assert.Contains(t, r.stdout, "(default 5m0s)", "a non-zero default still prints")
}
