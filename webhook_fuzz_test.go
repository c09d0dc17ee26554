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
		var sigs [maxWebhookSignatures][webhookSigLen]byte
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
		// Every decoded signature is spelled, canonically, as a v1 entry.
		entries := strings.Fields(header)
		for i := 0; i < n; i++ {
			want := "v1," + base64.StdEncoding.EncodeToString(sigs[i][:])
			found := false
			for _, e := range entries {
				found = found || e == want
			}
			if !found {
				t.Fatalf("signature %d (%s) is not an entry of %q", i, want, header)
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
