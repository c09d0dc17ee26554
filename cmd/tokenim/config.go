package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	tokenim "github.com/tokenim/tokenim-go"
)

// Environment variables read when the matching flag is not given.
const (
	envAPIKey        = "TOKENIM_API_KEY"
	envMerchantID    = "TOKENIM_MERCHANT_ID"
	envBaseURL       = "TOKENIM_BASE_URL"
	envWebhookSecret = "TOKENIM_WEBHOOK_SECRET"
)

// config holds the connection flags every API command accepts.
type config struct {
	key        *secretInput
	apiKey     string // resolved from key and the environment
	merchantID string
	baseURL    string
}

func addConfigFlags(fs *flagSet) *config {
	c := &config{}
	c.key = addSecretFlags(fs, "api-key", envAPIKey, "API key, sk_test_… or sk_live_…", liveAPIKey)
	fs.StringVar(&c.merchantID, "merchant-id", "", "merchant id, mch_… (env "+envMerchantID+")")
	addBaseURLFlag(fs, c)
	return c
}

// addBaseURLFlag registers --base-url alone, for commands that need no key.
func addBaseURLFlag(fs *flagSet, c *config) {
	fs.StringVar(&c.baseURL, "base-url", "", "API base URL, e.g. http://127.0.0.1:8420 for a local sandbox (env "+envBaseURL+")")
}

// resolve fills what the flags left empty from the environment and registers
// the key as a secret to redact.
func (c *config) resolve(e *env, cmd string) error {
	if c.key != nil {
		k, err := c.key.resolve(e, cmd)
		if err != nil {
			return err
		}
		c.apiKey = k
	} else {
		// status takes no key but reads the environment's to pick live.
		c.apiKey = e.getenv(envAPIKey)
	}
	if c.merchantID == "" {
		c.merchantID = e.getenv(envMerchantID)
	}
	if c.baseURL == "" {
		c.baseURL = e.getenv(envBaseURL)
	}
	c.baseURL = strings.TrimRight(c.baseURL, "/")
	return nil
}

// effectiveBaseURL is the URL the client talks to.
func (c *config) effectiveBaseURL() string {
	switch {
	case c.baseURL != "":
		return c.baseURL
	case strings.HasPrefix(c.apiKey, "sk_live_"):
		return tokenim.DefaultLiveURL
	default:
		return tokenim.DefaultSandboxURL
	}
}

// client builds an API client; missing or malformed credentials are usage
// errors of cmd.
func (c *config) client(e *env, cmd string) (*tokenim.Client, error) {
	if err := c.resolve(e, cmd); err != nil {
		return nil, err
	}
	if c.apiKey == "" {
		return nil, usagef(cmd, "no API key: pass --api-key-file, --api-key - (stdin) or --api-key, or set %s", envAPIKey)
	}
	if c.merchantID == "" {
		return nil, usagef(cmd, "no merchant id: pass --merchant-id or set %s", envMerchantID)
	}
	opts := []tokenim.Option{tokenim.WithMerchantID(c.merchantID), tokenim.WithAppInfo("tokenim-cli", tokenim.Version, "")}
	if c.baseURL != "" {
		opts = append(opts, tokenim.WithBaseURL(c.baseURL))
	}
	cl, err := tokenim.NewClient(c.apiKey, opts...)
	if err != nil {
		return nil, usagef(cmd, "%s", strings.TrimPrefix(err.Error(), "tokenim: "))
	}
	return cl, nil
}

// getRaw GETs path with query q and returns the JSON body as received.
func getRaw(ctx context.Context, c *tokenim.Client, path string, q url.Values) (json.RawMessage, error) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	req, err := c.NewRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if _, err := c.Do(req, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// writeJSON writes raw indented, with a final newline.
func writeJSON(e *env, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("format response: %w", err)
	}
	buf.WriteByte('\n')
	_, err := e.stdout.Write(buf.Bytes())
	return err
}
