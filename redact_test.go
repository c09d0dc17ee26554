package tokenim

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSentSecrets_scrub(t *testing.T) {
	t.Parallel()
	s := &sentSecrets{number: "4000056655665556", token: "9317"}
	for in, want := range map[string]string{
		"":                               "",
		"card 4000056655665556 declined": "card [REDACTED] declined",
		"4000056655665556":               "[REDACTED]",
		"x40000566556655569":             "x[REDACTED]9",
		"4000 0566 5566 5556 / 4000-0566-5566-5556": "[REDACTED] / [REDACTED]",
		"cvc 9317, cvc=9317, \"9317\"":              "cvc [REDACTED], cvc=[REDACTED], \"[REDACTED]\"",
		"req_9317ab 19317 93170 a9317":              "req_9317ab 19317 93170 a9317", // not the CVC standing alone
		"4000 05":                                   "4000 05",
		"40000566556655":                            "40000566556655",
		"9317":                                      "[REDACTED]",
		"a 4000056655665556 and 4000056655665556":   "a [REDACTED] and [REDACTED]",
	} {
		assert.Equal(t, want, s.scrub(in), "%q", in)
	}
	assert.Equal(t, "card 4000056655665556", (*sentSecrets)(nil).scrub("card 4000056655665556"))
	short := &sentSecrets{number: "42", token: "1"}
	assert.Equal(t, "after 1 attempt 42", short.scrub("after 1 attempt 42"), "too short to be a card or a code: nothing to strip")

	// An opaque error in the chain that prints the card is wrapped, and
	// errors.Is/As still see through it.
	apiErr := &Error{HTTPStatus: 402, Code: CodeCardDeclined, Detail: "card 4000056655665556"}
	err := s.scrubErr(fmt.Errorf("lost 4000056655665556: %w", apiErr))
	assert.Equal(t, "lost [REDACTED]: tokenim: 402 card_declined: card [REDACTED]", err.Error())
	assert.True(t, errors.Is(err, ErrDeclined))
	assert.Equal(t, "card [REDACTED]", apiErr.Detail)
	assert.Nil(t, s.scrubErr(nil))
}
