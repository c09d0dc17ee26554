// Package journal makes money-moving calls durable: before the first
// attempt it writes the intent and its idempotency key to a SQL database,
// after the call it writes the outcome, and Resume re-drives, with the same
// key, every intent whose outcome a crash or an unknown-outcome error left
// open. A checkout that dies after the platform charged the card, or a
// refund whose answer was lost, is finished later without paying or
// refunding twice.
//
// Intents are keyed by the merchant's own reference (its order id, say)
// and the operation, so a page refresh or a double click reuses the intent
// and its key instead of starting a second payment.
//
// The package uses only database/sql: open the *sql.DB with
// modernc.org/sqlite (embedded) or github.com/jackc/pgx/v5/stdlib
// (PostgreSQL); the schema and statements are the same on both. Card
// numbers and CVCs are never written; see CreatePayment for what that
// means after a crash.
package journal

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqlschema"
)

// Table is the table the journal keeps intents in.
const Table = "tokenim_journal"

// Defaults of a Journal.
const (
	// DefaultLease is how long a claim on an intent holds. No instance
	// re-drives or looks up an intent while another's request for it may
	// still be on the wire, because the journal ends its own calls first:
	// Do gives a call, with all its retries, three quarters of the lease,
	// and Resume half of it.
	DefaultLease = 2 * time.Minute
	// DefaultRetryDelay is how long Resume leaves an intent it could not
	// settle before a later Resume tries it again.
	DefaultRetryDelay = 10 * time.Second
	// IdempotencyWindow is how long the platform keeps a key's response
	// (docs/tokenim-api.md §2), less an hour of margin. An older intent is
	// looked up before it is re-sent, as the key alone no longer protects it.
	IdempotencyWindow = 23 * time.Hour
)

// MetadataKey is the metadata entry the journal adds to the objects it
// creates, holding the intent's idempotency key. It lets Resume find, by
// listing, what an earlier attempt created, when the request cannot be
// re-sent (a card payment, whose card was never stored) or its key has
// expired on the platform.
const MetadataKey = "journal_key"

// State is where an intent stands.
type State string

// The intent states. Pending is the only unfinished one.
const (
	// StatePending: the call may or may not have executed; Resume settles it.
	StatePending State = "pending"
	// StateSucceeded: the platform executed the call; Result is its answer.
	StateSucceeded State = "succeeded"
	// StateFailed: the platform refused the call for good (a decline, an
	// order already paid, a validation error); no money moved.
	StateFailed State = "failed"
	// StateAbandoned: the platform never executed the call and the journal
	// cannot send it again by itself (the card data is gone with the
	// process that had it). Calling again with the same reference and the
	// customer's card finishes it.
	StateAbandoned State = "abandoned"
)

var schema = [][]string{{
	`CREATE TABLE ` + Table + ` (
	kind            TEXT NOT NULL,
	ref             TEXT NOT NULL,
	idempotency_key TEXT NOT NULL,
	params          TEXT NOT NULL,
	state           TEXT NOT NULL,
	result          TEXT NOT NULL,
	attempts        INTEGER NOT NULL,
	lease_owner     TEXT NOT NULL,
	lease_until     BIGINT NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	PRIMARY KEY (kind, ref)
)`,
	`CREATE INDEX ` + Table + `_unfinished ON ` + Table + ` (state, lease_until)`,
}}

// Migrate creates the journal's table, or upgrades it to this version's
// schema. Run it at start-up; concurrent runs from several instances are safe.
func Migrate(ctx context.Context, db *sql.DB) error {
	if err := sqlschema.Apply(ctx, db, "journal", schema); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Errors of Do and the typed calls.
var (
	// ErrInProgress: another call (a double click, another instance) holds
	// the intent right now. Show "processing" and look again shortly. The
	// error is a *HeldError naming the holder and when its lease ends.
	ErrInProgress = errors.New("journal: intent is in progress elsewhere")
	// ErrParamsMismatch: the reference was used before with other
	// parameters, and that intent is pending or succeeded.
	ErrParamsMismatch = errors.New("journal: reference already used with other parameters")
	// ErrNotExecuted is returned by a ResumeFunc that proved the platform
	// never executed the intent and cannot send it itself; the intent
	// becomes StateAbandoned.
	ErrNotExecuted = errors.New("journal: intent was never executed")
)

// Intent is one recorded call.
type Intent struct {
	Kind           string
	Ref            string
	IdempotencyKey string
	// Params is what the journal stored of the call's parameters: never a
	// card number or CVC.
	Params   json.RawMessage
	State    State
	Result   json.RawMessage
	Attempts int
	Created  time.Time
	Updated  time.Time
	// KeyExpired is set for a ResumeFunc when the intent is older than
	// IdempotencyWindow: the platform may have forgotten the key, so the
	// call must be looked up before it is sent again.
	KeyExpired bool
}

// ResumeFunc settles an unfinished intent of one kind: it re-sends the call
// with in.IdempotencyKey, or looks up what the platform did with it, and
// returns the platform's answer (a resource to store as the result), a
// definite *tokenim.Error, ErrNotExecuted, or any other error to leave the
// intent pending for a later Resume.
type ResumeFunc func(ctx context.Context, c *tokenim.Client, in Intent) (any, error)

// Journal records and re-drives money-moving calls. Create it with New; it
// is safe for concurrent use, and any number of Journals, in any number of
// processes, may share one database.
type Journal struct {
	db     *sql.DB
	client *tokenim.Client
	owner  string
	lease  time.Duration
	retry  time.Duration
	now    func() time.Time

	mu    sync.RWMutex
	kinds map[string]ResumeFunc
}

// Option configures a Journal.
type Option func(*Journal)

// WithLease sets how long a claim on an intent holds (default DefaultLease).
func WithLease(d time.Duration) Option { return func(j *Journal) { j.lease = d } }

// WithRetryDelay sets how long Resume leaves an intent it could not settle
// (default DefaultRetryDelay).
func WithRetryDelay(d time.Duration) Option { return func(j *Journal) { j.retry = d } }

// WithClock sets the journal's clock (default time.Now). Instances sharing
// a database need clocks that agree to well within the lease.
func WithClock(now func() time.Time) Option { return func(j *Journal) { j.now = now } }

// WithOwner names this instance in the leases it takes (default: random).
func WithOwner(name string) Option { return func(j *Journal) { j.owner = name } }

// New returns a Journal that records calls made with client in db. Run
// Migrate once before first use. Payments and refunds are registered.
func New(db *sql.DB, client *tokenim.Client, opts ...Option) (*Journal, error) {
	if db == nil {
		return nil, errors.New("journal: db must not be nil")
	}
	if client == nil {
		return nil, errors.New("journal: client must not be nil")
	}
	j := &Journal{db: db, client: client, lease: DefaultLease, retry: DefaultRetryDelay, now: time.Now, kinds: map[string]ResumeFunc{}}
	for _, o := range opts {
		if o != nil {
			o(j)
		}
	}
	switch {
	case j.lease <= 0:
		return nil, fmt.Errorf("journal: lease must be positive, got %v", j.lease)
	case j.retry <= 0:
		return nil, fmt.Errorf("journal: retry delay must be positive, got %v", j.retry)
	case j.now == nil:
		return nil, errors.New("journal: clock must not be nil")
	}
	if j.owner == "" {
		j.owner = randomHex(12)
	}
	j.Register(KindPayment, resumePayment)
	j.Register(KindRefund, resumeRefund)
	return j, nil
}

// Register adds an operation kind, or replaces how its intents are
// resumed. Payments and refunds are built in; a new money-moving call (a
// dispute's evidence, say) is a kind name, a ResumeFunc, and a typed
// wrapper around Do.
func (j *Journal) Register(kind string, resume ResumeFunc) {
	j.mu.Lock()
	j.kinds[kind] = resume
	j.mu.Unlock()
}

func (j *Journal) resumer(kind string) ResumeFunc {
	j.mu.RLock()
	defer j.mu.RUnlock()
	return j.kinds[kind]
}

const (
	// beginSQL records a new intent, or takes over an existing one: a
	// pending or abandoned one with the same params whose lease has ended
	// (its call is re-driven with its key), or a failed or abandoned one
	// with new params, which moved no money and so may start afresh under
	// a new key. Anything else (a live lease, a success, a pending intent
	// with other params) returns no row.
	beginSQL = `INSERT INTO ` + Table + ` (kind, ref, idempotency_key, params, state, result, attempts, lease_owner, lease_until, created_at, updated_at)
VALUES ($1, $2, $3, $4, 'pending', '', 1, $5, $6, $7, $7)
ON CONFLICT (kind, ref) DO UPDATE SET
	idempotency_key = CASE WHEN ` + Table + `.params = excluded.params THEN ` + Table + `.idempotency_key ELSE excluded.idempotency_key END,
	params = excluded.params, state = 'pending', result = '', attempts = ` + Table + `.attempts + 1,
	lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, updated_at = excluded.updated_at
WHERE ` + Table + `.lease_until <= $7 AND (
	(` + Table + `.state IN ('pending', 'abandoned') AND ` + Table + `.params = excluded.params)
	OR (` + Table + `.state IN ('failed', 'abandoned') AND ` + Table + `.params <> excluded.params))
RETURNING idempotency_key`
	selectSQL = `SELECT kind, ref, idempotency_key, params, state, result, attempts, created_at, updated_at FROM ` + Table + ` WHERE kind = $1 AND ref = $2`
	// finishSQL records a definite outcome of the key it came from. It
	// does not check the lease: the key makes every attempt's answer the
	// same, so a late writer writes what the current holder would. An
	// answer from the platform also overrides 'abandoned', which was only
	// inferred from a lookup. The key test keeps a late answer off an
	// intent that has since started afresh under a new key.
	finishSQL = `UPDATE ` + Table + ` SET state = $1, result = $2, lease_owner = '', lease_until = 0, updated_at = $3
WHERE kind = $4 AND ref = $5 AND idempotency_key = $6 AND state IN ('pending', 'abandoned')`
	// deferSQL gives up this instance's claim until $1.
	deferSQL = `UPDATE ` + Table + ` SET lease_until = $1, updated_at = $2
WHERE kind = $3 AND ref = $4 AND idempotency_key = $5 AND lease_owner = $6 AND state = 'pending'`
	// claimSQL takes up to 16 unfinished intents whose lease has ended.
	// The outer WHERE repeats the test so that, of instances racing for a
	// row, only the first updates it (PostgreSQL re-checks it on the row
	// it locked; SQLite runs writers one at a time).
	claimSQL = `UPDATE ` + Table + ` SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
WHERE state = 'pending' AND lease_until <= $3 AND (kind, ref) IN (
	SELECT kind, ref FROM ` + Table + ` WHERE state = 'pending' AND lease_until <= $3 ORDER BY created_at LIMIT 16)
RETURNING kind, ref, idempotency_key, params, attempts, created_at`
	claimableSQL = `SELECT COUNT(*) FROM ` + Table + ` WHERE state = 'pending' AND lease_until <= $1`
	heldSQL      = `SELECT kind, ref, lease_owner, lease_until FROM ` + Table + `
WHERE state = 'pending' AND lease_until > $1 AND lease_owner <> $2 ORDER BY lease_until LIMIT 100`
	takeOverSQL = `UPDATE ` + Table + ` SET lease_owner = '', lease_until = 0, updated_at = $1
WHERE state = 'pending' AND lease_owner = $2 AND lease_until > 0`
	leaseSQL      = `SELECT lease_owner, lease_until FROM ` + Table + ` WHERE kind = $1 AND ref = $2`
	unfinishedSQL = `SELECT COUNT(*) FROM ` + Table + ` WHERE state = 'pending'`
)

// Do records an intent of kind for the merchant's reference ref with
// params (stored as JSON: they must hold no secret) and runs call with the
// intent's idempotency key, recording its outcome. It returns the stored
// result when ref was already done with the same params, the recorded
// *tokenim.Error when it failed, ErrInProgress while another call holds
// it, and ErrParamsMismatch when ref is taken by other params. An unknown
// outcome leaves the intent pending for Resume and returns the
// *tokenim.UnknownOutcomeError.
func (j *Journal) Do(ctx context.Context, kind, ref string, params any, call func(ctx context.Context, key string) (any, error)) (json.RawMessage, error) {
	if kind == "" || ref == "" {
		return nil, errors.New("journal: kind and ref are required")
	}
	stored, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("journal: encode %s params: %w", kind, err)
	}
	now := j.now()
	var key string
	err = j.db.QueryRowContext(ctx, beginSQL, kind, ref, newKey(), string(stored), j.owner, ms(now.Add(j.lease)), ms(now)).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return j.recorded(ctx, kind, ref, stored)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: record %s %s: %w", kind, ref, err)
	}
	callCtx, cancel := context.WithTimeout(ctx, j.lease*3/4)
	defer cancel()
	res, callErr := call(callCtx, key)
	return j.settle(ctx, kind, ref, key, res, callErr)
}

// recorded answers a Do that could not take the intent.
func (j *Journal) recorded(ctx context.Context, kind, ref string, stored []byte) (json.RawMessage, error) {
	in, err := j.Intent(ctx, kind, ref)
	if err != nil {
		return nil, err
	}
	switch {
	case string(in.Params) != string(stored):
		return nil, fmt.Errorf("%w: %s %s is %s", ErrParamsMismatch, kind, ref, in.State)
	case in.State == StateSucceeded:
		return in.Result, nil
	case in.State == StateFailed:
		return nil, decodeFailure(in.Result)
	}
	var h HeldError
	var until int64
	if err := j.db.QueryRowContext(ctx, leaseSQL, kind, ref).Scan(&h.Owner, &until); err != nil {
		return nil, fmt.Errorf("%w: %s %s", ErrInProgress, kind, ref)
	}
	h.Kind, h.Ref, h.Until = kind, ref, time.UnixMilli(until)
	return nil, &h
}

// settle records the outcome of one attempt and returns it to the caller.
func (j *Journal) settle(ctx context.Context, kind, ref, key string, res any, callErr error) (json.RawMessage, error) {
	state, result, err := outcome(res, callErr)
	if err != nil {
		return nil, fmt.Errorf("journal: encode %s result: %w", kind, err)
	}
	if err := j.record(ctx, kind, ref, key, state, result, 0); err != nil {
		return nil, errors.Join(callErr, err)
	}
	if callErr != nil {
		return nil, callErr
	}
	return result, nil
}

// record writes a definite outcome of key, or for StatePending gives up
// this instance's claim until now+wait. It runs even if the caller's context
// ended: the outcome is what keeps a later call from re-driving a settled
// intent. A failed write leaves the intent pending, and a later attempt
// gets the same answer again by the key.
func (j *Journal) record(ctx context.Context, kind, ref, key string, state State, result json.RawMessage, wait time.Duration) error {
	ctx = context.WithoutCancel(ctx)
	now := j.now()
	var err error
	if state == StatePending {
		_, err = j.db.ExecContext(ctx, deferSQL, ms(now.Add(wait)), ms(now), kind, ref, key, j.owner)
	} else {
		_, err = j.db.ExecContext(ctx, finishSQL, string(state), string(result), ms(now), kind, ref, key)
	}
	if err != nil {
		return fmt.Errorf("journal: record outcome of %s %s: %w", kind, ref, err)
	}
	return nil
}

// outcome classifies one attempt's answer after docs/tokenim-api.md §2: the
// platform stores (and so will replay) 2xx, 402, 404 and 409 other than
// in-use; 400 and 422 are as deterministic for the same body. Everything
// else (no answer, 401, 403, 409 in-use, 429, 5xx) settles nothing.
func outcome(res any, err error) (State, json.RawMessage, error) {
	if err == nil {
		b, merr := json.Marshal(res)
		return StateSucceeded, b, merr
	}
	if errors.Is(err, ErrNotExecuted) {
		return StateAbandoned, json.RawMessage(`{}`), nil
	}
	var ve *tokenim.ValidationError
	if errors.As(err, &ve) {
		// Nothing was sent; the same params would fail the same way.
		return StateAbandoned, json.RawMessage(`{}`), nil
	}
	var uo *tokenim.UnknownOutcomeError
	var pe *tokenim.Error
	if errors.As(err, &uo) || !errors.As(err, &pe) {
		return StatePending, nil, nil
	}
	switch {
	case pe.HTTPStatus == http.StatusConflict && pe.Code == "idempotency_key_in_use",
		pe.HTTPStatus == http.StatusUnauthorized, pe.HTTPStatus == http.StatusForbidden,
		pe.HTTPStatus == http.StatusTooManyRequests, pe.HTTPStatus >= 500,
		// 422 idempotency_key_reused: this key went out with another body
		// (a card payment re-entered with another card); Resume looks
		// up what it did.
		pe.HTTPStatus == http.StatusUnprocessableEntity:
		return StatePending, nil, nil
	}
	b, merr := json.Marshal(failure{Error: pe, HTTPStatus: pe.HTTPStatus})
	return StateFailed, b, merr
}

// failure is how a definite refusal is stored.
type failure struct {
	*tokenim.Error
	HTTPStatus int `json:"http_status"`
}

func decodeFailure(b json.RawMessage) error {
	f := failure{Error: new(tokenim.Error)}
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("journal: decode recorded failure: %w", err)
	}
	f.Error.HTTPStatus = f.HTTPStatus
	return f.Error
}

// Intent returns the recorded intent of kind for ref, or an error
// matching sql.ErrNoRows when there is none.
func (j *Journal) Intent(ctx context.Context, kind, ref string) (*Intent, error) {
	var in Intent
	var params, result, state string
	var created, updated int64
	err := j.db.QueryRowContext(ctx, selectSQL, kind, ref).Scan(&in.Kind, &in.Ref, &in.IdempotencyKey, &params, &state, &result, &in.Attempts, &created, &updated)
	if err != nil {
		return nil, fmt.Errorf("journal: read %s %s: %w", kind, ref, err)
	}
	in.Params, in.State = json.RawMessage(params), State(state)
	if result != "" {
		in.Result = json.RawMessage(result)
	}
	in.Created, in.Updated = time.UnixMilli(created), time.UnixMilli(updated)
	return &in, nil
}

// Unfinished counts the pending intents, claimed or not.
func (j *Journal) Unfinished(ctx context.Context) (int, error) {
	var n int
	if err := j.db.QueryRowContext(ctx, unfinishedSQL).Scan(&n); err != nil {
		return 0, fmt.Errorf("journal: count unfinished: %w", err)
	}
	return n, nil
}

// HeldError says who holds an intent and until when: the lease of the
// instance that took it (WithOwner names instances). A lease ends by itself
// at Until; when the holder is known to be dead (killed, its host gone), an
// operator can end it at once with TakeOver. errors.Is(err, ErrInProgress)
// holds.
type HeldError struct {
	Kind, Ref string
	// Owner is the holder's name (WithOwner, or a random one per Journal).
	Owner string
	// Until is when the lease ends and another instance may take the intent.
	Until time.Time
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("journal: %s %s is held by instance %q until %s; if that instance is dead, Journal.TakeOver(ctx, %q) frees it now",
		e.Kind, e.Ref, e.Owner, e.Until.UTC().Format(time.RFC3339), e.Owner)
}

// Is makes errors.Is(err, ErrInProgress) true.
func (e *HeldError) Is(target error) bool { return target == ErrInProgress }

// ResumeReport counts what one Resume did.
type ResumeReport struct {
	Succeeded, Failed, Abandoned int
	// Unsettled intents could not be settled this time (the platform was
	// unreachable, say); a later Resume tries them again.
	Unsettled int
	// Held lists the unfinished intents Resume left alone because another
	// instance's lease on them has not ended (at most 100, soonest free
	// first): after a crash, the dead instance's intents wait here until
	// their lease ends, or until TakeOver.
	Held []HeldError
}

// NextFree is when the first held intent's lease ends (zero when none is
// held): the time a later Resume can settle it.
func (r ResumeReport) NextFree() time.Time {
	if len(r.Held) == 0 {
		return time.Time{}
	}
	return r.Held[0].Until
}

// String says what Resume did and why anything is left.
func (r ResumeReport) String() string {
	s := fmt.Sprintf("%d succeeded, %d failed, %d abandoned, %d unsettled", r.Succeeded, r.Failed, r.Abandoned, r.Unsettled)
	if len(r.Held) > 0 {
		h := r.Held[0]
		s += fmt.Sprintf("; %d held by other instances, the first (%s %s, by %q) free at %s", len(r.Held), h.Kind, h.Ref, h.Owner, h.Until.UTC().Format(time.RFC3339))
	}
	return s
}

// Resume re-drives every unfinished intent whose lease has ended — left by
// a crash, an unknown outcome or an unreachable platform — until each has
// a definite outcome or could not be settled this time. Several instances
// may run it at once: each intent is claimed by one of them. It returns an
// error naming how many intents stay unsettled, or the database's error.
func (j *Journal) Resume(ctx context.Context) (ResumeReport, error) {
	var rep ResumeReport
	// tried ends the call when the platform keeps failing: an intent
	// deferred by this call may become claimable again before it ends.
	tried := map[[2]string]bool{}
	for {
		batch, err := j.claim(ctx)
		if err != nil {
			return rep, err
		}
		if len(batch) == 0 {
			var n int
			if err := j.db.QueryRowContext(ctx, claimableSQL, ms(j.now())).Scan(&n); err != nil {
				return rep, fmt.Errorf("journal: resume: %w", err)
			}
			if n == 0 {
				break
			}
			continue // lost a race for the last batch; more remain
		}
		fresh, claimed := 0, j.now()
		for _, in := range batch {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			id := [2]string{in.Kind, in.Ref}
			if tried[id] {
				_ = j.record(ctx, in.Kind, in.Ref, in.IdempotencyKey, StatePending, nil, j.retry)
				continue
			}
			if j.now().Sub(claimed) > j.lease/4 {
				// Too little of this claim's lease is left for a call:
				// hand the intent back for the next batch.
				_ = j.record(ctx, in.Kind, in.Ref, in.IdempotencyKey, StatePending, nil, 0)
				fresh++
				continue
			}
			tried[id] = true
			fresh++
			j.resumeOne(ctx, in, &rep)
		}
		if fresh == 0 {
			break
		}
	}
	held, err := j.held(ctx)
	if err != nil {
		return rep, err
	}
	rep.Held = held
	if rep.Unsettled > 0 {
		return rep, fmt.Errorf("journal: resume: %d intents unsettled, retry after %v", rep.Unsettled, j.retry)
	}
	return rep, nil
}

// held lists the pending intents under another instance's live lease.
func (j *Journal) held(ctx context.Context) ([]HeldError, error) {
	rows, err := j.db.QueryContext(ctx, heldSQL, ms(j.now()), j.owner)
	if err != nil {
		return nil, fmt.Errorf("journal: resume: held intents: %w", err)
	}
	defer rows.Close()
	var out []HeldError
	for rows.Next() {
		var h HeldError
		var until int64
		if err := rows.Scan(&h.Kind, &h.Ref, &h.Owner, &until); err != nil {
			return nil, fmt.Errorf("journal: resume: held intents: %w", err)
		}
		h.Until = time.UnixMilli(until)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: resume: held intents: %w", err)
	}
	return out, nil
}

// TakeOver ends the leases the instance owner holds on unfinished intents,
// at once, and returns how many it freed; the next Do or Resume of any
// instance takes them. Call it when owner is known to be dead (a crash, a
// killed pod, a host that is gone): by calling it the operator asserts
// that no request of owner's is still on the wire. Even if one is, no money
// moves twice, since every attempt sends the intent's idempotency key and
// the platform executes a key once; the two instances may only both record
// the same outcome. Intents already settled are never touched.
func (j *Journal) TakeOver(ctx context.Context, owner string) (int, error) {
	if owner == "" {
		return 0, errors.New("journal: TakeOver needs the owner to take over (HeldError.Owner, ResumeReport.Held)")
	}
	res, err := j.db.ExecContext(ctx, takeOverSQL, ms(j.now()), owner)
	if err != nil {
		return 0, fmt.Errorf("journal: take over %q: %w", owner, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("journal: take over %q: %w", owner, err)
	}
	return int(n), nil
}

func (j *Journal) claim(ctx context.Context) ([]Intent, error) {
	now := j.now()
	rows, err := j.db.QueryContext(ctx, claimSQL, j.owner, ms(now.Add(j.lease)), ms(now))
	if err != nil {
		return nil, fmt.Errorf("journal: resume: claim: %w", err)
	}
	defer rows.Close()
	var batch []Intent
	for rows.Next() {
		var in Intent
		var params string
		var created int64
		if err := rows.Scan(&in.Kind, &in.Ref, &in.IdempotencyKey, &params, &in.Attempts, &created); err != nil {
			return nil, fmt.Errorf("journal: resume: claim: %w", err)
		}
		in.Params, in.State, in.Created = json.RawMessage(params), StatePending, time.UnixMilli(created)
		batch = append(batch, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: resume: claim: %w", err)
	}
	return batch, nil
}

func (j *Journal) resumeOne(ctx context.Context, in Intent, rep *ResumeReport) {
	var res any
	err := fmt.Errorf("journal: no operation registered for kind %q", in.Kind)
	if fn := j.resumer(in.Kind); fn != nil {
		in.KeyExpired = j.now().Sub(in.Created) > IdempotencyWindow
		callCtx, cancel := context.WithTimeout(ctx, j.lease/2)
		res, err = fn(callCtx, j.client, in)
		cancel()
	}
	state, result, err := outcome(res, err)
	if err != nil {
		state = StatePending
	}
	if j.record(ctx, in.Kind, in.Ref, in.IdempotencyKey, state, result, j.retry) != nil {
		state = StatePending
	}
	switch state {
	case StateSucceeded:
		rep.Succeeded++
	case StateFailed:
		rep.Failed++
	case StateAbandoned:
		rep.Abandoned++
	default:
		rep.Unsettled++
	}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func newKey() string { return "jrnl_" + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
