// Command tokenim is the Tokenim command-line tool. It works offline against
// the bundled sandbox as well as against a live account:
//
//	tokenim sandbox                     serve the sandbox locally
//	tokenim trigger payment.succeeded   make the sandbox emit an event
//	tokenim post /v1/orders -d k=v      POST a body of key=value pairs
//	tokenim listen --forward-to URL     forward new events as signed webhooks
//	tokenim webhook sign|verify         sign or check a webhook payload
//	tokenim orders|payments|refunds|events get ID|list
//	tokenim disputes list --due-within 48h  disputes to answer, most urgent first
//	tokenim keys list|roll|revoke       rotate API keys
//	tokenim logs [--follow]             read the account's API calls
//	tokenim status
//	tokenim balance                     the balance per currency
//	tokenim transactions get ID|list     balance transactions
//	tokenim settlements list|get ID|report ID [--csv]
//	tokenim reconcile --orders orders.csv --from DATE --to DATE [--json]
//	tokenim version                     print the tool, Go and API versions
//
// Credentials come from --api-key, --merchant-id and --base-url or from the
// environment variables TOKENIM_API_KEY, TOKENIM_MERCHANT_ID and
// TOKENIM_BASE_URL; flags win. Every secret flag also reads a file
// (--api-key-file, --secret-file) or stdin (--api-key -), so that the
// secret stays out of the process table; a live key or a webhook secret
// typed on the command line draws a warning.
//
// Exit codes: 0 success (and --help), 1 an API or runtime error, 2 a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"reflect"
	"regexp"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// env is what a command may touch: everything comes in through run, so that
// tests drive the whole program in-process.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	// secrets collects every secret the command was given, so that an error
	// message that somehow carries one is redacted before it is printed.
	secrets []string

	// stdinOwner names what reads stdin ("--api-key -", "the body"), so that
	// a second reader is refused instead of finding it empty.
	stdinOwner string
}

func (e *env) addSecret(s string) {
	if s != "" {
		e.secrets = append(e.secrets, s)
	}
}

// redact replaces every known secret in s.
func (e *env) redact(s string) string {
	for _, sec := range e.secrets {
		s = strings.ReplaceAll(s, sec, "[redacted]")
	}
	return s
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// errHelp means usage was printed to stdout on request: exit 0.
var errHelp = errors.New("help requested")

// usageError is a mistake in the command line: exit 2 with a hint.
type usageError struct {
	cmd string // "orders list"; empty for the top level
	msg string
}

func (u *usageError) Error() string { return u.msg }

func usagef(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

// silentError carries an exit code whose explanation was already printed.
type silentError struct{ code int }

func (s *silentError) Error() string { return fmt.Sprintf("exit status %d", s.code) }

// run is the whole program: it parses args, runs the command and returns the
// exit code. It never calls os.Exit.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	err := dispatch(e, args)
	var ue *usageError
	var se *silentError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.As(err, &se):
		return se.code
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "tokenim: %s\n", e.redact(ue.msg))
		hint := "tokenim --help"
		if ue.cmd != "" {
			hint = "tokenim " + ue.cmd + " --help"
		}
		fmt.Fprintf(stderr, "Run '%s' for usage.\n", hint)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "tokenim: %s\n", e.redact(errorText(err)))
		return exitError
	}
}

// errorText is err's message without the "tokenim: " prefixes that the SDK
// puts on each wrapped error: run prints one.
func errorText(err error) string {
	return strings.ReplaceAll(err.Error(), "tokenim: ", "")
}

// command is one top-level command.
type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

func commands() []command {
	return []command{
		{"sandbox", "serve the Tokenim sandbox locally", cmdSandbox},
		{"trigger", "drive a sandbox through the calls that produce an event", cmdTrigger},
		{"listen", "forward new events to a local URL through a temporary webhook endpoint", cmdListen},
		{"webhook", "sign or verify a webhook payload (sign, verify)", cmdWebhook},
		{"post", "POST to an API path with a body of key=value pairs", cmdPost},
		{"orders", "read orders (get, list)", resourceCommand(ordersResource)},
		{"payments", "read payments (get, list)", resourceCommand(paymentsResource)},
		{"refunds", "read refunds (get, list)", resourceCommand(refundsResource)},
		{"events", "read events (get, list)", resourceCommand(eventsResource)},
		{"disputes", "answer disputes before their deadline (list, get, evidence, accept)", cmdDisputes},
		{"keys", "list, roll and revoke API keys (list, roll, revoke)", cmdKeys},
		{"logs", "show or follow the account's API calls", cmdLogs},
		{"status", "show the platform status", cmdStatus},
		{"balance", "show the balance per currency", cmdBalance},
		{"transactions", "read balance transactions (get, list)", resourceCommand(balanceTransactionsResource)},
		{"settlements", "read settlements and their statements (list, get, report)", cmdSettlements},
		{"reconcile", "reconcile your orders against the platform's transactions", cmdReconcile},
		{"version", "print the tool, Go and API versions", cmdVersion},
	}
}

func topUsage(w io.Writer) {
	fmt.Fprint(w, `tokenim is the Tokenim command-line tool: a local sandbox, event triggers,
a webhook forwarder and read access to orders, payments, refunds and events.

Usage:
  tokenim <command> [subcommand] [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `  help         show help for a command

Configuration: --api-key, --merchant-id and --base-url on any command that
calls the API, or TOKENIM_API_KEY, TOKENIM_MERCHANT_ID, TOKENIM_BASE_URL in the
environment (flags win). A secret flag's value shows in ps: give the key as
--api-key-file PATH, as --api-key - (read from stdin) or in the environment,
and likewise --secret-file / --secret - for a webhook secret.

Run 'tokenim <command> --help' for the flags of a command.
Exit codes: 0 success (and help), 1 an API or runtime error, 2 a usage error.
`)
}

func dispatch(e *env, args []string) error {
	if len(args) == 0 {
		topUsage(e.stderr)
		return &silentError{code: exitUsage}
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		topUsage(e.stdout)
		return errHelp
	case "-version", "--version":
		return cmdVersion(e, rest)
	case "help":
		if len(rest) == 0 {
			topUsage(e.stdout)
			return errHelp
		}
		// "tokenim help orders list" is "tokenim orders list --help".
		return dispatch(e, append(append([]string{}, rest...), "--help"))
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(e, rest)
		}
	}
	if strings.HasPrefix(name, "-") {
		return usagef("", "flag %s must follow a command", name)
	}
	return usagef("", "unknown command %q%s", name, didYouMean(name, commandNames()))
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return append(names, "help")
}

// suggest returns the candidate closest to s, or "" when none is close: a
// candidate is close within two edits, or a third of its length for long
// names such as event types ("payment.sucess" is five edits from
// "payment.succeeded" and six from "payment.canceled").
func suggest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := editDistance(s, c)
		if d > max(2, len([]rune(c))/3) {
			continue
		}
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// didYouMean is "; did you mean "x"?" for the candidate nearest s, or "".
func didYouMean(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" {
		return fmt.Sprintf("; did you mean %q?", c)
	}
	return ""
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// group dispatches the subcommands of a command such as "webhook".
func group(e *env, name, summary string, args []string, subs map[string]func(*env, []string) error, order []string) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "%s\n\nUsage:\n", summary)
		for _, s := range order {
			fmt.Fprintf(w, "  tokenim %s %s [flags]\n", name, s)
		}
		fmt.Fprintf(w, "\nRun 'tokenim %s <subcommand> --help' for its flags.\n", name)
	}
	if len(args) == 0 {
		return usagef(name, "%s needs a subcommand: %s", name, strings.Join(order, ", "))
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return errHelp
	}
	if f, ok := subs[args[0]]; ok {
		return f(e, args[1:])
	}
	if hint := didYouMean(args[0], order); hint != "" {
		return usagef(name, "unknown %s subcommand %q%s", name, args[0], hint)
	}
	return usagef(name, "unknown %s subcommand %q (want %s)", name, args[0], strings.Join(order, ", "))
}

// flagSet is a flag.FlagSet with the text printed above its flags by --help.
type flagSet struct {
	*flag.FlagSet
	cmd   string // "orders list"
	usage string
}

func newFlagSet(cmd, usage string) *flagSet {
	fs := flag.NewFlagSet("tokenim "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, help by printUsage
	return &flagSet{FlagSet: fs, cmd: cmd, usage: usage}
}

func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprint(w, strings.TrimRight(fs.usage, "\n"), "\n")
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		name, help := flag.UnquoteUsage(f)
		line := "  " + dashed(f.Name)
		if name != "" {
			line += " " + name
		}
		if !isZeroDefault(f) {
			help += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, fs.dashFlags(help))
	})
}

// isZeroDefault reports whether f's default is its type's zero value ("",
// false, 0, 0s…), which help does not print: "(default 0s)" says nothing.
// It is the flag package's own test, which it does not export.
func isZeroDefault(f *flag.Flag) bool {
	if f.DefValue == "" {
		return true
	}
	t := reflect.TypeOf(f.Value)
	var z reflect.Value
	if t.Kind() == reflect.Pointer {
		z = reflect.New(t.Elem())
	} else {
		z = reflect.Zero(t)
	}
	v, ok := z.Interface().(flag.Value)
	return ok && v.String() == f.DefValue
}

// dashed spells a flag as help and errors print it: "--webhook-url", and
// "-v" for a one-letter flag, as command-line tools conventionally do (the
// flag package accepts one dash or two for every flag).
func dashed(name string) string {
	if len([]rune(name)) == 1 {
		return "-" + name
	}
	return "--" + name
}

// singleDashFlag finds "-name" where a flag is named in text written for
// the flag package, which prints one dash.
var singleDashFlag = regexp.MustCompile(`(^|[\s(:,])-([a-z][a-z0-9-]*)`)

// dashFlags respells the flags of fs named in s with dashed, so that text
// from shared flag registrations (internal/sandboxserve) and the flag
// package's own errors read like the rest of the help.
func (fs *flagSet) dashFlags(s string) string {
	return singleDashFlag.ReplaceAllStringFunc(s, func(m string) string {
		sub := singleDashFlag.FindStringSubmatch(m)
		if fs.Lookup(sub[2]) == nil && !strings.HasPrefix(s, "flag provided but not defined") {
			return m
		}
		return sub[1] + dashed(sub[2])
	})
}

// parseError turns an error of the flag package into a usage error that
// spells flags as help does and suggests the nearest flag for a typo.
func (fs *flagSet) parseError(err error) error {
	msg := fs.dashFlags(err.Error())
	const undefined = "flag provided but not defined: -"
	if name, ok := strings.CutPrefix(err.Error(), undefined); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if s := suggest(strings.TrimLeft(name, "-"), names); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", dashed(s))
		}
	}
	return usagef(fs.cmd, "%s", msg)
}

// parse parses args, allowing flags after positional arguments
// ("orders get ord_1 --json") until a "--". It returns the positional
// arguments; errHelp after printing usage for -h/--help.
func (fs *flagSet) parse(e *env, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printUsage(e.stdout)
				return nil, errHelp
			}
			return nil, fs.parseError(err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
