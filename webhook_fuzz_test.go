package tokenim

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseSignatureHeader feeds arbitrary webhook-signature values to the
// header parser. Seeds live in testdata/fuzz/FuzzParseSignatureHeader.
func FuzzParseSignatureHeader(f *testing.F) {
	f.Add(whVectorSignature)
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1a,abc v2,xyz")
	f.Fuzz(func(t *testing.T, header string) {
		var sigs [maxWebhookSignatures]string
		n, err := parseWebhookSignatures(header, &sigs)
		if err != nil {
			if !errors.Is(err, ErrWebhookMalformedHeader) || !errors.Is(err, ErrWebhookVerification) {
				t.Fatalf("error %v is not ErrWebhookMalformedHeader", err)
			}
			if n != 0 {
				t.Fatalf("n = %d with an error", n)
			}
			if len(header) > 8 && strings.Contains(err.Error(), header) {
				t.Fatalf("error %q echoes the header", err)
			}
			return
		}
		if n < 1 || n > maxWebhookSignatures {
			t.Fatalf("n = %d out of range", n)
		}
		if len(header) > maxWebhookSignatureLen {
			t.Fatalf("accepted a %d-byte header", len(header))
		}
		// Every candidate is, in order, a space-separated v1 entry of the
		// header, of the length of an encoded HMAC-SHA256.
		entries := strings.Split(header, " ")
		next := 0
		for i := 0; i < n; i++ {
			if len(sigs[i]) != webhookSigBase64Len {
				t.Fatalf("candidate %q has length %d", sigs[i], len(sigs[i]))
			}
			for next < len(entries) && entries[next] != "v1,"+sigs[i] {
				next++
			}
			if next == len(entries) {
				t.Fatalf("candidate %d (%q) is not an entry of %q", i, sigs[i], header)
			}
			next++
		}
		// A candidate that decodes re-encodes to itself: one spelling only.
		for i := 0; i < n; i++ {
			if !isWebhookSig(sigs[i]) {
				continue
			}
			dec, err := base64.StdEncoding.DecodeString(sigs[i])
			if err != nil || base64.StdEncoding.EncodeToString(dec) != sigs[i] {
				t.Fatalf("isWebhookSig accepted non-canonical %q", sigs[i])
			}
		}
	})
}

// FuzzVerify feeds arbitrary headers and bodies to Verify. With sign set, a
// genuine signature (computed with crypto/hmac, not our code) is prepended
// to the signature header so that the accepting path is explored too.
// Seeds live in testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	ts := strconv.FormatInt(whNow.Unix(), 10)
	f.Add("evt_1", ts, "", []byte(`{"id":"evt_1"}`), true)
	f.Add("evt_1", ts, "v1,AAAA v2,BBBB", []byte(`{}`), true)
	f.Add(whVectorID, strconv.Itoa(whVectorTimestamp), whVectorSignature, []byte(whVectorBody), false)
	f.Add("evt_1", "-1", "v1,", []byte{}, false)

	v, err := NewWebhookVerifier([]string{whSecretOld, whSecretNew}, WithWebhookClock(whFixedClock(whNow)))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, id, tsHeader, sigHeader string, body []byte, sign bool) {
		genuine := whIndependentSig(t, whSecretNew, id, tsHeader, body)
		if sign {
			sigHeader = genuine + " " + sigHeader
		}
		h := http.Header{}
		for name, val := range map[string]string{WebhookIDHeader: id, WebhookTimestampHeader: tsHeader, WebhookSignatureHeader: sigHeader} {
			if val != "" {
				h[http.CanonicalHeaderKey(name)] = []string{val}
			}
		}
		err := v.Verify(h, body)
		if err != nil {
			if !errors.Is(err, ErrWebhookVerification) {
				t.Fatalf("error %v is not a verification error", err)
			}
			for _, secret := range []string{genuine, strings.TrimPrefix(genuine, "v1,"), strings.TrimPrefix(whSecretNew, "whsec_")} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q reveals a secret or the expected signature", err)
				}
			}
			return
		}
		// Accepted: the header must hold a genuine signature over exactly
		// these id, timestamp and body, and the timestamp must be in range.
		oldSig := whIndependentSig(t, whSecretOld, id, tsHeader, body)
		found := false
		for _, e := range strings.Fields(sigHeader) {
			found = found || e == genuine || e == oldSig
		}
		if !found {
			t.Fatalf("accepted id %q ts %q body %q with signatures %q", id, tsHeader, body, sigHeader)
		}
		sec, perr := strconv.ParseInt(tsHeader, 10, 64)
		if perr != nil || time.Unix(sec, 0).Sub(whNow).Abs() > DefaultWebhookTolerance {
			t.Fatalf("accepted timestamp %q", tsHeader)
		}
		if strings.Contains(id, ".") {
			t.Fatalf("accepted id %q", id)
		}
	})
}
