// Command tokenim-sandbox runs the Tokenim sandbox as a standalone server:
// the whole /v1/ API plus the /_sandbox/ control API, for clients in any
// language.
//
//	go run ./cmd/tokenim-sandbox -addr 127.0.0.1:8420
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tokenim/tokenim-go/internal/sandboxserve"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tokenim-sandbox:", err)
		os.Exit(1)
	}
}

// run parses args, serves the sandbox until ctx ends, then shuts down
// gracefully. It prints the address and credentials to stdout once listening.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tokenim-sandbox", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var cfg sandboxserve.Config
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return sandboxserve.Run(ctx, cfg, stdout, os.Stderr, nil)
}
