// Command tokenim-sandbox runs the Tokenim sandbox as a standalone server:
// the whole /v1/ API plus the /_sandbox/ control API, for clients in any
// language.
//
//	go run ./cmd/tokenim-sandbox -addr 127.0.0.1:8420
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tokenim/tokenim-go/internal/sandboxserve"
	"github.com/tokenim/tokenim-go/sandbox"
)

const usage = `Serve the Tokenim sandbox: the whole /v1/ API plus the /_sandbox/ control
API, with a virtual clock. It prints the address and credentials to use, and
stops gracefully on Ctrl-C.

Usage:
  tokenim-sandbox [flags]

Then, in another shell (the line is printed at start):
  export TOKENIM_BASE_URL=http://127.0.0.1:8420 TOKENIM_API_KEY=` + sandbox.DefaultAPIKey + ` TOKENIM_MERCHANT_ID=` + sandbox.DefaultMerchantID + `

Flags:
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tokenim-sandbox:", err)
		os.Exit(1)
	}
}

// run parses args, serves the sandbox until ctx ends, then shuts down
// gracefully. It prints the address, credentials and ready export and curl
// lines to stdout once listening. -h prints the usage and returns nil, so
// the program exits 0 like `tokenim sandbox --help`.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokenim-sandbox", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var cfg sandboxserve.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return sandboxserve.Run(ctx, cfg, stdout, os.Stderr, func(base string, m sandbox.Merchant) {
		fmt.Fprintf(stdout, "\nUse it with:\n  %s\n", sandboxserve.ExportLine(base, m))
	})
}
