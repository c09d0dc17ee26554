package sandbox

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every resource object of docs/tokenim-api.md §10 encodes through
// wireJSON, so a change to any field — one no handler thought of, such as
// metadata alone — moves its version.
func TestVersion_anyChangeToAnyFieldMovesIt(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	id := newOrder(t, srv, 500)
	get := func() int64 {
		r := api(t, srv, "GET", "/v1/orders/"+id, nil)
		require.Equal(t, 200, r.status)
		v, ok := r.body["version"].(float64)
		require.True(t, ok, "version is a number: %v", r.body["version"])
		return int64(v)
	}
	assert.Equal(t, int64(1), get())
	assert.Equal(t, int64(1), get(), "looking is not a change")

	srv.mu.Lock()
	srv.merchants[srv.MerchantID].orders[id].Metadata["note"] = "changed behind every handler's back"
	srv.mu.Unlock()
	assert.Equal(t, int64(2), get(), "only metadata changed")
	assert.Equal(t, int64(2), get())

	// An event carries the version GET showed when no event carried it yet;
	// a second event about the unchanged order takes a version of its own.
	emit := func() int64 {
		srv.mu.Lock()
		m := srv.merchants[srv.MerchantID]
		snap := srv.emit(m, "order.canceled", m.orders[id])
		srv.mu.Unlock()
		var o struct{ Version int64 }
		require.NoError(t, json.Unmarshal(snap, &o))
		return o.Version
	}
	assert.Equal(t, int64(2), emit())
	assert.Equal(t, int64(3), emit())
	assert.Equal(t, int64(3), get(), "GET answers the newest")
}

// The resource types of §10 all carry the mechanism; a type that lost its
// embedded versioned or its encoder would fail here, not in production.
func TestVersion_everyResourceTypeIsVersioned(t *testing.T) {
	t.Parallel()
	objs := []any{&order{}, &payment{}, &refund{}, &apiKey{}, &dispute{}, &balanceTxn{}, &settlement{}, &endpoint{}}
	for _, o := range objs {
		_, versioned := o.(versionedObject)
		_, encodes := o.(json.Marshaler)
		assert.True(t, versioned && encodes, "%T embeds versioned and encodes through wireJSON", o)
		b, err := json.Marshal(o)
		require.NoError(t, err)
		var got struct{ Version int64 }
		require.NoError(t, json.Unmarshal(b, &got))
		assert.Equal(t, int64(1), got.Version, "%T is shown at version 1 first", o)
	}
	k := apiKeyWithSecret{apiKey: &apiKey{ID: "key_1"}, Secret: "sk_test_x"}
	b, err := json.Marshal(k)
	require.NoError(t, err)
	assert.JSONEq(t, `"sk_test_x"`, string(mustField(t, b, "secret")))
	assert.JSONEq(t, `1`, string(mustField(t, b, "version")))
}

func mustField(t *testing.T, b []byte, name string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	require.Contains(t, m, name)
	return m[name]
}
