// Package sqlite implements the store interfaces on an embedded SQLite
// database (modernc.org/sqlite, no cgo): the default backend, nothing to
// install.
//
// Writes go through one writer goroutine that batches concurrent writes into
// one transaction (group commit) and answers each caller after the commit
// is on disk; reads use a separate pool of read-only connections, which WAL
// lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/migrate"
	"github.com/nexproxy/nexproxy/internal/store/rankmem"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Options tunes a DB; zero values pick the defaults.
type Options struct {
	// MaxBatch bounds the writes of one group commit (default 512).
	MaxBatch int
	// Readers is the read pool size (default 4).
	Readers int
}

// DB is an open SQLite database serving every SQL domain.
type DB struct {
	w, r     *sql.DB
	maxBatch int

	reqs     chan *writeReq
	stopping chan struct{}
	done     chan struct{}
	stopOnce sync.Once

	reads   chan readReq   // to the reader goroutines (onReader)
	readers sync.WaitGroup // the reader goroutines

	wstmts map[string]*sql.Stmt // used by the writer goroutine only

	rmu    sync.Mutex
	rstmts map[string]*sql.Stmt

	now func() time.Time

	rankOnce sync.Once
	rankings *rankmem.Rankings
}

// readReq is a read run by a reader goroutine.
type readReq struct {
	fn   func()
	done chan struct{}
}

type writeReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *Tx) error
	done chan error
}

// Tx is a write transaction handed to a write function; its statements are
// prepared once and reused.
type Tx struct {
	db *DB
	tx *sql.Tx
}

// Durability: the database runs in WAL mode with synchronous=FULL, which
// fsyncs the WAL at every commit, so a write is on disk before its caller
// is answered. synchronous=NORMAL would sync only at checkpoints: fine for
// a process crash, but a power cut could lose acknowledged accounts or hand
// out unique ids twice. Group commit pays one fsync per batch, which is what
// makes FULL affordable.
const pragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)"

// readerDSN is how the read pool opens the database at path: read only.
func readerDSN(path string) string { return "file:" + path + "?" + pragmas + "&_pragma=query_only(1)" }

// Open opens (creating if needed) the database at path and applies the
// pending migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("store/sqlite: create folder for %s: %w", path, err)
	}
	// _txlock=immediate takes the write lock at BEGIN, so a second process
	// sharing the file waits (busy_timeout) instead of failing at COMMIT.
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{
		w: w, maxBatch: opts.MaxBatch,
		reqs: make(chan *writeReq), stopping: make(chan struct{}), done: make(chan struct{}),
		wstmts: make(map[string]*sql.Stmt), rstmts: make(map[string]*sql.Stmt),
		now: time.Now,
	}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.prepareWrites(ctx); err != nil {
		db.closeStmts()
		w.Close()
		return nil, err
	}
	// Opened after the migrations so that the readers see the WAL file.
	r, err := sql.Open("sqlite", readerDSN(path))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store/sqlite: open readers on %s: %w", path, err)
	}
	r.SetMaxOpenConns(opts.Readers)
	r.SetMaxIdleConns(opts.Readers)
	db.r = r
	db.reads = make(chan readReq)
	db.readers.Add(opts.Readers)
	for range opts.Readers {
		go db.reader()
	}
	go db.run()
	return db, nil
}

// reader runs reads (onReader) until the database closes.
func (db *DB) reader() {
	defer db.readers.Done()
	for {
		select {
		case r := <-db.reads:
			r.fn()
			close(r.done)
		case <-db.stopping:
			return
		}
	}
}

// onReader runs fn, a read, on one of the long-lived reader goroutines
// and waits for it. SQLite's interpreter (modernc.org/sqlite) needs tens
// of KiB of stack: a request served on a fresh goroutine would grow its
// stack, copying it several times, at each call, which costs more than
// the query; a reader grows its stack once. fn must honour its own
// context: once taken, it runs to its end.
func (db *DB) onReader(ctx context.Context, fn func()) error {
	r := readReq{fn: fn, done: make(chan struct{})}
	select {
	case db.reads <- r:
	case <-db.stopping:
		return store.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	<-r.done
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	all, err := migrate.Load(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("store/sqlite: %w", err)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store/sqlite: migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store/sqlite: migrate: create schema_migrations: %w", err)
	}
	var applied int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
		return fmt.Errorf("store/sqlite: migrate: read version: %w", err)
	}
	pending, err := migrate.Pending(all, applied)
	if err != nil {
		return fmt.Errorf("store/sqlite: %w", err)
	}
	for _, m := range pending {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("store/sqlite: migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)`,
			m.Version, m.Name, time.Now().UnixMilli()); err != nil {
			return fmt.Errorf("store/sqlite: record migration %d: %w", m.Version, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store/sqlite: migrate: commit: %w", err)
	}
	return nil
}

// Close stops the writer after the batch in flight and closes the
// database. Writes not yet taken by the writer fail with store.ErrClosed.
func (db *DB) Close() error {
	db.stopOnce.Do(func() { close(db.stopping) })
	<-db.done
	db.readers.Wait()
	errs := []error{db.closeStmts(), db.r.Close(), db.w.Close()}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store/sqlite: close: %w", err)
	}
	return nil
}

func (db *DB) closeStmts() error {
	var errs []error
	for q, s := range db.wstmts {
		errs = append(errs, s.Close())
		delete(db.wstmts, q)
	}
	db.rmu.Lock()
	for q, s := range db.rstmts {
		errs = append(errs, s.Close())
		delete(db.rstmts, q)
	}
	db.rmu.Unlock()
	return errors.Join(errs...)
}

// write runs fn in the writer's current batch and returns once the batch
// is durably committed (or failed). fn runs inside a savepoint: its error
// undoes only its own changes, not the other writes of the batch. Once the
// writer has taken the request the caller waits for the definite outcome
// even if ctx ends, so an error never hides a committed write that ctx
// cancellation raced with.
func (db *DB) write(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case db.reqs <- r:
	case <-db.stopping:
		return store.ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.done
}

func (db *DB) run() {
	defer close(db.done)
	batch := make([]*writeReq, 0, db.maxBatch)
	for {
		select {
		case r := <-db.reqs:
			batch = append(batch[:0], r)
		case <-db.stopping:
			return
		}
		// Everything that queued up while the previous commit was syncing
		// joins this one.
	fill:
		for len(batch) < db.maxBatch {
			select {
			case r := <-db.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commit(batch)
		clear(batch)
	}
}

func (db *DB) commit(batch []*writeReq) {
	fail := func(err error) {
		for _, r := range batch {
			r.done <- fmt.Errorf("store/sqlite: group commit: %w", err)
		}
	}
	ctx := context.Background()
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	tx := &Tx{db: db, tx: stx}
	results := make([]error, len(batch))
	single := len(batch) == 1
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		// A write the writer took runs to its end (see write), so its
		// statements need no cancellation: with a cancellable context
		// database/sql and the driver start a goroutine per statement
		// to watch it.
		rctx := context.WithoutCancel(r.ctx)
		if single {
			results[i] = r.fn(rctx, tx)
			continue
		}
		if _, err := tx.exec(ctx, "SAVEPOINT w"); err != nil {
			_ = stx.Rollback()
			fail(err)
			return
		}
		results[i] = r.fn(rctx, tx)
		if results[i] != nil {
			if _, err := tx.exec(ctx, "ROLLBACK TO w"); err != nil {
				_ = stx.Rollback()
				fail(err)
				return
			}
		}
		if _, err := tx.exec(ctx, "RELEASE w"); err != nil {
			_ = stx.Rollback()
			fail(err)
			return
		}
	}
	if single && results[0] != nil {
		_ = stx.Rollback()
		batch[0].done <- results[0]
		return
	}
	if err := stx.Commit(); err != nil {
		fail(err)
		return
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// stmt returns query prepared on the writer connection. The writer's only
// connection is busy with the transaction, so statements cannot be prepared
// on the pool here (it would wait for itself): they are prepared once by
// prepareWrites, and a query missing there is prepared in the transaction.
func (tx *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := tx.db.wstmts[query]; s != nil {
		return tx.tx.StmtContext(ctx, s), nil
	}
	return tx.tx.PrepareContext(ctx, query)
}

// writeQueries are the statements the writer runs, registered by wq from
// the domain files' package-level variables.
var writeQueries = []string{"SAVEPOINT w", "ROLLBACK TO w", "RELEASE w"}

// wq registers a writer statement for prepareWrites and returns it.
func wq(query string) string {
	writeQueries = append(writeQueries, query)
	return query
}

func (db *DB) prepareWrites(ctx context.Context) error {
	for _, q := range writeQueries {
		s, err := db.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store/sqlite: prepare %q: %w", q, err)
		}
		db.wstmts[q] = s
	}
	return nil
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	s, err := tx.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return s.ExecContext(ctx, args...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := tx.stmt(ctx, query)
	if err != nil {
		// QueryRow has no error return; a failed prepare surfaces on Scan.
		return tx.tx.QueryRowContext(ctx, query, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// rstmt returns query prepared on the read pool; only reads (read) use it.
func (db *DB) rstmt(ctx context.Context, query string) (*sql.Stmt, error) {
	db.rmu.Lock()
	defer db.rmu.Unlock()
	s := db.rstmts[query]
	if s == nil {
		var err error
		if s, err = db.r.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		db.rstmts[query] = s
	}
	return s, nil
}

// readCost says whether a read's statements honour its context once a
// reader has taken it; waiting for a reader always does.
type readCost bool

const (
	// short reads (a row, or a few, by key) run to their end: with a
	// cancellable context database/sql and the driver start a goroutine
	// per statement to watch it, which costs more than such a read.
	shortRead readCost = false
	// long reads (searches, listings, counts) stop when their context ends.
	longRead readCost = true
)

// read runs fn, which runs and scans statements on the read pool, on a
// reader goroutine (onReader) and returns its error. fn's statements use
// the context it is given: ctx, or ctx without its cancellation for a
// short read.
func (db *DB) read(ctx context.Context, cost readCost, fn func(ctx context.Context) error) error {
	var err error
	if rerr := db.onReader(ctx, func() {
		rctx := ctx
		if cost == shortRead {
			rctx = context.WithoutCancel(ctx)
		}
		err = fn(rctx)
	}); rerr != nil {
		return rerr
	}
	return err
}

// readRow runs query on a reader goroutine and hands its row to scan
// there (SQLite does its work in Scan). It returns the error of the
// prepare or, unchanged, scan's (sql.ErrNoRows for no row).
func (db *DB) readRow(ctx context.Context, cost readCost, query string, args []any, scan func(*sql.Row) error) error {
	return db.read(ctx, cost, func(ctx context.Context) error {
		s, err := db.rstmt(ctx, query)
		if err != nil {
			return err
		}
		return scan(s.QueryRowContext(ctx, args...))
	})
}

// readRows runs query on a reader goroutine and hands its rows to scan
// there, which iterates them; readRows closes them and returns the first
// of scan's error and the rows' own.
func (db *DB) readRows(ctx context.Context, cost readCost, query string, args []any, scan func(*sql.Rows) error) error {
	return db.read(ctx, cost, func(ctx context.Context) error {
		s, err := db.rstmt(ctx, query)
		if err != nil {
			return err
		}
		rows, err := s.QueryContext(ctx, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := scan(rows); err != nil {
			return err
		}
		return rows.Err()
	})
}

// isConstraint reports a UNIQUE or PRIMARY KEY violation.
func isConstraint(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound maps sql.ErrNoRows to store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
