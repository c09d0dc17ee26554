package tokenim

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
)

var whBenchSizes = []struct {
	name string
	size int
}{
	{"0B", 0},
	{"1KiB", 1 << 10},
	{"64KiB", 64 << 10},
}

// BenchmarkVerify measures a whole verification: header parsing, the
// timestamp check, the HMAC and the constant-time comparison.
func BenchmarkVerify(b *testing.B) {
	for _, s := range whBenchSizes {
		b.Run(s.name, func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), s.size)
			v := whVerifier(b, []string{whSecretNew})
			h := whHeader(b, "evt_1234567890abcdefghij", whNow, body, whSecretNew)
			b.ReportAllocs()
			b.SetBytes(int64(s.size))
			for b.Loop() {
				if err := v.Verify(h, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkBareHMAC is the floor BenchmarkVerify is compared against: the
// HMAC-SHA256 of the same signed bytes with a reused hash, base64, and a
// constant-time comparison, with no parsing at all.
func BenchmarkBareHMAC(b *testing.B) {
	for _, s := range whBenchSizes {
		b.Run(s.name, func(b *testing.B) {
			body := bytes.Repeat([]byte("x"), s.size)
			id, ts := "evt_1234567890abcdefghij", strconv.FormatInt(whNow.Unix(), 10)
			want := []byte(strings.TrimPrefix(whIndependentSig(b, whSecretNew, id, ts, body), "v1,"))
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whSecretNew, "whsec_"))
			if err != nil {
				b.Fatal(err)
			}
			mac := hmac.New(sha256.New, key)
			prefix := []byte(id + "." + ts + ".")
			sum := make([]byte, 0, sha256.Size)
			enc := make([]byte, base64.StdEncoding.EncodedLen(sha256.Size))
			b.ReportAllocs()
			b.SetBytes(int64(s.size))
			for b.Loop() {
				mac.Reset()
				mac.Write(prefix)
				mac.Write(body)
				sum = mac.Sum(sum[:0])
				base64.StdEncoding.Encode(enc, sum)
				if !hmac.Equal(enc, want) {
					b.Fatal("signature mismatch")
				}
			}
		})
	}
}

// BenchmarkVerify_secretsFunc is BenchmarkVerify's 1 KiB delivery with the
// secret given at construction (static), asked of a function on every
// verification (func), and held by a WebhookSecrets (holder): the function
// must cost next to nothing beside the HMAC.
func BenchmarkVerify_secretsFunc(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	h := whHeader(b, "evt_1234567890abcdefghij", whNow, body, whSecretNew)
	list := []string{whSecretNew}
	var holder WebhookSecrets
	holder.Set(whSecretNew)
	for _, c := range []struct {
		name string
		v    *WebhookVerifier
	}{
		{"static", whVerifier(b, list)},
		{"func", whVerifier(b, nil, WithWebhookSecretsFunc(func(context.Context) ([]string, error) { return list, nil }))},
		{"holder", whVerifier(b, nil, WithWebhookSecretsFunc(holder.Get))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := c.v.Verify(h, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
