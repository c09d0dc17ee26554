package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	tokenim "github.com/tokenim/tokenim-go"
)

func cmdPost(e *env, args []string) error {
	fs := newFlagSet("post", `POST to an API path with a JSON body built from key=value pairs, and print
the JSON answer: the shape of 'stripe post'. Keys nest with dots or brackets
(method.type=card, method[card][exp_month]=12); a key ending in [] appends to
a list (events[]=order.paid). An integer becomes a JSON number and
true/false/null their literals, except under metadata and in number, cvc,
otp and merchant_order_id, which stay strings; a value in double quotes is
always a string (-d 'metadata.k="123"', -d 'amount="12"').

The call carries an idempotency key (a fresh one unless --idempotency-key is
given) and is retried as every SDK call is (docs/tokenim-api.md §2, §3).

Usage:
  tokenim post PATH -d key=value [-d key=value…] [flags]

Example:
  tokenim post /v1/orders -d merchant_order_id=A-1001 -d amount=1999 -d currency=CNY`)
	cfg := addConfigFlags(fs)
	var pairs pairsFlag
	fs.Var(&pairs, "d", "a key=value `pair` of the body; repeat it")
	idem := fs.String("idempotency-key", "", "idempotency key to send (default: a fresh one; reuse one to repeat a call safely)")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("post", "post takes one API path, such as /v1/orders; got %d arguments", len(pos))
	}
	path := pos[0]
	if !strings.HasPrefix(path, "/v1/") || strings.ContainsAny(path, "?# ") {
		return usagef("post", "the path must start with /v1/ and carry no query, got %q", path)
	}
	body, err := formBody("-d post", pairs)
	if err != nil {
		return err
	}
	c, err := cfg.client(e, "post")
	if err != nil {
		return err
	}
	if liveAPIKey(cfg.apiKey) && carriesCardData(pairs) {
		fmt.Fprintln(e.stderr, "tokenim: warning: card data on the command line can be read by other users of this machine (ps) and stays in your shell history")
	}
	var opts []tokenim.RequestOption
	if *idem != "" {
		opts = append(opts, tokenim.WithIdempotencyKey(*idem))
	}
	req, err := c.NewRequest(e.ctx, http.MethodPost, path, body, opts...)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if _, err := c.Do(req, &raw); err != nil {
		return err
	}
	return writeJSON(e, raw)
}

// carriesCardData reports a -d pair with a card number or CVC.
func carriesCardData(pairs []string) bool {
	for _, p := range pairs {
		if shownPair(p) != p {
			return true
		}
	}
	return false
}
