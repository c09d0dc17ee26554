package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func firstState(ws []window, state string) int {
	for i, w := range ws {
		if w.State == state {
			return i
		}
	}
	return -1
}

func TestRun_alertFiresWhenTheFailureRateStaysAboveTheThreshold(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	cfg := defaultConfig()

	ws, err := run(context.Background(), &out, cfg)

	require.NoError(t, err, out.String())
	require.Len(t, ws, len(cfg.DeclineShare))
	t.Log("\n" + out.String())
	// The measured rate is the share of decline cards: the counter sees
	// every call, labelled by outcome.
	for i, w := range ws {
		assert.EqualValues(t, cfg.CheckoutsPerWindow, w.Calls, "window %d", i+1)
		want := int64(cfg.DeclineShare[i]*float64(cfg.CheckoutsPerWindow) + 0.5)
		assert.Equal(t, want, w.Failures, "window %d", i+1)
		var declines int64
		for _, v := range w.Declines {
			declines += v
		}
		assert.Equal(t, want, declines, "window %d: every failure is a decline, by code", i+1)
	}
	// 10 % is the threshold, not above it: window 6 stays ok. Window 7
	// (15 %) crosses it and pends; window 8 keeps it up and fires.
	crossing := firstState(ws, "pending")
	assert.Equal(t, 6, crossing, "the condition first holds in window 7")
	for i := range crossing {
		assert.Equal(t, "ok", ws[i].State, "window %d is below the threshold", i+1)
		assert.LessOrEqual(t, ws[i].Rate, cfg.Threshold)
	}
	assert.Equal(t, crossing+cfg.For-1, firstState(ws, "firing"), "the alert fires once the condition has held For windows, not before")
	assert.Contains(t, out.String(), "ALERT FIRING at window 8")
}

func TestRun_forOneWindowFiresAtTheCrossing(t *testing.T) {
	t.Parallel()
	cfg := config{CheckoutsPerWindow: 20, DeclineShare: []float64{0, 0.10, 0.25, 0}, Threshold: 0.10, For: 1}

	ws, err := run(context.Background(), &bytes.Buffer{}, cfg)

	require.NoError(t, err)
	assert.Equal(t, []string{"ok", "ok", "firing", "ok"}, []string{ws[0].State, ws[1].State, ws[2].State, ws[3].State},
		"fires in the window above the threshold and resolves when the rate falls")
}
