package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	sqlite "modernc.org/sqlite"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/sqlds"
)

// onReaderGoroutine reports whether the calling goroutine is one of the
// DB's reader goroutines.
func onReaderGoroutine() bool {
	buf := make([]byte, 64<<10)
	return bytes.Contains(buf[:runtime.Stack(buf, false)], []byte(".(*DB).reader("))
}

// checkedReads is a driver for the read pool that counts the statements
// it runs and those run off a reader goroutine.
type checkedReads struct {
	dsn              string
	reads, offReader atomic.Int64
}

func (d *checkedReads) Connect(context.Context) (driver.Conn, error) { return d.Open(d.dsn) }
func (d *checkedReads) Driver() driver.Driver                        { return d }

func (d *checkedReads) Open(name string) (driver.Conn, error) {
	c, err := (&sqlite.Driver{}).Open(name)
	if err != nil {
		return nil, err
	}
	return checkedConn{c, d}, nil
}

func (d *checkedReads) see() {
	d.reads.Add(1)
	if !onReaderGoroutine() {
		d.offReader.Add(1)
	}
}

type checkedConn struct {
	driver.Conn
	d *checkedReads
}

func (c checkedConn) Prepare(q string) (driver.Stmt, error) {
	c.d.see()
	s, err := c.Conn.Prepare(q)
	if err != nil {
		return nil, err
	}
	return checkedStmt{s, c.d}, nil
}

type checkedStmt struct {
	driver.Stmt
	d *checkedReads
}

func (s checkedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.d.see()
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

// TestReadsRunOnReaders runs every read of the backend and checks that its
// statements ran on the read pool on a reader goroutine, not on the
// caller's.
func TestReadsRunOnReaders(t *testing.T) {
	db, path := openTempAt(t)
	// The read pool, as Open opens it, through a driver that watches it.
	check := &checkedReads{dsn: readerDSN(path)}
	_ = db.r.Close()
	db.r = sql.OpenDB(check)
	reads, offReader := &check.reads, &check.offReader
	ctx := context.Background()
	const game = "g"
	acc, gs, st, ids, ds, rk := db.Accounts(), db.Gatherings(), db.Stations(), db.UniqueIDs(), db.DataStore(), rankBackend{db}
	// Empty results and ErrNotFound are fine: the statement ran all the same.
	ops := []struct {
		name string
		fn   func() error
	}{
		{"Accounts.Get", func() error { _, err := acc.Get(ctx, 1); return err }},
		{"Accounts.GetByName", func() error { _, err := acc.GetByName(ctx, "a"); return err }},
		{"Accounts.List", func() error { _, err := acc.List(ctx, 0, 10); return err }},
		{"Accounts.Count", func() error { _, err := acc.Count(ctx); return err }},
		{"Gatherings.Get", func() error { _, err := gs.Get(ctx, game, 1); return err }},
		{"Gatherings.Search", func() error { _, err := gs.Search(ctx, game, store.GatheringQuery{}); return err }},
		{"Gatherings.OfPID", func() error { _, err := gs.OfPID(ctx, game, 1); return err }},
		{"Gatherings.Members", func() error { _, err := gs.Members(ctx, game, nil, 10); return err }},
		{"Gatherings.BlockList", func() error { _, err := gs.BlockList(ctx, game, 1); return err }},
		{"Gatherings.Notices", func() error { _, err := gs.Notices(ctx, game, []uint64{1}, []uint32{1}); return err }},
		{"Gatherings.Participation", func() error { _, err := gs.Participation(ctx, game, 1, []uint32{1}); return err }},
		{"Stations.Get", func() error { _, err := st.Get(ctx, game, 1); return err }},
		{"Stations.GetByRVCID", func() error { _, err := st.GetByRVCID(ctx, game, 1); return err }},
		{"UniqueIDs.Associations", func() error { _, err := ids.Associations(ctx, game, 1); return err }},
		{"UniqueIDs.Lookup", func() error { _, _, err := ids.Lookup(ctx, game, 1); return err }},
		{"rankings.LoadCategory", func() error { return rk.LoadCategory(ctx, game, 1, func(store.RankingScore) {}) }},
		{"rankings.CategoryOrder", func() error { _, _, err := rk.CategoryOrder(ctx, game, 1); return err }},
		{"rankings.Categories", func() error { _, err := rk.Categories(ctx, game, 1, 1); return err }},
		{"rankings.CommonData", func() error { _, err := rk.CommonData(ctx, game, 1, 1); return err }},
		{"DataStore.Get", func() error { _, err := ds.Get(ctx, game, 1); return err }},
		{"DataStore.GetBySlot", func() error { _, err := ds.GetBySlot(ctx, game, 1, 1); return err }},
		{"DataStore.RatingLog", func() error { _, err := ds.RatingLog(ctx, game, 1, 1, 1); return err }},
		{"DataStore.Search", func() error {
			_, _, err := ds.Search(ctx, store.DataQuery{Game: game, CountLimit: 10})
			return err
		}},
		{"DataStore.Notifications", func() error { _, _, err := ds.Notifications(ctx, game, 1, 0, 10); return err }},
		{"DataStore.LatestNotification", func() error { _, err := ds.LatestNotification(ctx, game, 1); return err }},
	}
	for _, op := range ops {
		before := reads.Load()
		if err := op.fn(); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v", op.name, err)
		}
		if reads.Load() == before {
			t.Errorf("%s ran no statement on the read pool", op.name)
		}
		if n := offReader.Swap(0); n > 0 {
			t.Errorf("%s: %d reads ran on the caller's goroutine", op.name, n)
		}
	}
}

// TestReadWaitHonoursContext checks that a read waiting for a busy reader
// returns when its context ends, with the context's error.
func TestReadWaitHonoursContext(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "nexproxy.db"), Options{Readers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	// Occupy the only reader.
	taken, release := make(chan struct{}), make(chan struct{})
	busy := make(chan error, 1)
	go func() { busy <- db.onReader(context.Background(), func() { close(taken); <-release }) }()
	<-taken
	defer func() {
		close(release)
		if err := <-busy; err != nil {
			t.Errorf("busy read: %v", err)
		}
	}()

	for _, op := range []struct {
		name string
		fn   func(ctx context.Context) error
	}{
		{"short read", func(ctx context.Context) error { _, err := db.Accounts().Get(ctx, 1); return err }},
		{"long read", func(ctx context.Context) error {
			_, err := db.Gatherings().Search(ctx, "g", store.GatheringQuery{})
			return err
		}},
		{"DataStore read", func(ctx context.Context) error { _, err := db.DataStore().Get(ctx, "g", 1); return err }},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		done := make(chan error, 1)
		go func() { done <- op.fn(ctx) }()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s cancelled while waiting for a reader: %v, want context.Canceled", op.name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still waiting for a reader 10s after its context ended", op.name)
		}
		cancel()
	}
}

// TestDataStoreReadsTakeOneReader: a DataStore search (pages, counts and
// ratings) and a slot lookup each take a reader once.
func TestDataStoreReadsTakeOneReader(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.DataStore().Create(ctx, store.DataObject{Game: "g", DataID: 1, Owner: 1, Size: 1, PersistenceSlot: 1,
		Status: 1, Ratings: []store.DataRating{{Slot: 0}}}); err != nil {
		t.Fatal(err)
	}
	b := db.dataStoreBackend()
	read := b.Read
	var hops int
	b.Read = func(ctx context.Context, fn func(ctx context.Context, c sqlds.Conn) error) error {
		hops++
		return read(ctx, fn)
	}
	ds := sqlds.New(b)
	for _, op := range []struct {
		name string
		fn   func() error
	}{
		{"Search", func() error {
			_, _, err := ds.Search(ctx, store.DataQuery{Game: "g", CountLimit: 10})
			return err
		}},
		{"Search by rating", func() error {
			_, _, err := ds.Search(ctx, store.DataQuery{Game: "g", Order: store.OrderRatingTotal, CountLimit: 10})
			return err
		}},
		{"GetBySlot", func() error { _, err := ds.GetBySlot(ctx, "g", 1, 1); return err }},
	} {
		hops = 0
		if err := op.fn(); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if hops != 1 {
			t.Errorf("%s took a reader %d times, want once", op.name, hops)
		}
	}
}
