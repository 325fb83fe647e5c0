package sqlite

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// crashEnv names the database a re-executed test binary hammers until it is
// killed (see TestCrashKeepsAcknowledgedWrites).
const crashEnv = "NEXPROXY_TEST_SQLITE_CRASH_CHILD"

// crashChild runs the child side of the crash test when the environment
// asks for it: 16 writers create accounts with distinct PIDs and print each
// PID on stdout once Create has returned. It reports whether it ran.
func crashChild() bool {
	path := os.Getenv(crashEnv)
	if path == "" {
		return false
	}
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	accounts, ids := db.Accounts(), db.UniqueIDs()
	var mu sync.Mutex // one line per write; os.Stdout is unbuffered
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				pid := uint64(w)<<32 | uint64(i+1)
				if _, err := accounts.Create(context.Background(), store.Account{PID: pid, Username: strconv.FormatUint(pid, 10), Password: "p"}); err != nil {
					fmt.Fprintln(os.Stderr, "child create:", err)
					os.Exit(2)
				}
				first, err := ids.Reserve(context.Background(), "crash", 10)
				if err != nil {
					fmt.Fprintln(os.Stderr, "child reserve:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Printf("%d %d\n", pid, first)
				mu.Unlock()
			}
		})
	}
	wg.Wait() // never: the parent kills us
	return true
}

// TestCrashKeepsAcknowledgedWrites re-executes the test binary as a child
// that writes as fast as it can, SIGKILLs it in the middle of the burst,
// and checks that every write the child saw acknowledged is in the
// database, and that unique ids reserved after the crash never repeat one
// the child was given.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A child that hangs must not hang the test.
	watchdog := time.AfterFunc(90*time.Second, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	acked := make(map[uint64]uint64)
	sc := bufio.NewScanner(out)
	const killAfter = 2000
	deadline := time.Now().Add(60 * time.Second)
	for sc.Scan() {
		var pid, first uint64
		if _, err := fmt.Sscanf(sc.Text(), "%d %d", &pid, &first); err != nil {
			t.Fatalf("child line %q: %v", sc.Text(), err)
		}
		acked[pid] = first
		if len(acked) == killAfter || time.Now().After(deadline) {
			// Killed mid-burst: 16 writers have requests in flight.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	// Lines already written before the kill still count as acknowledged.
	for sc.Scan() {
		var pid, first uint64
		if _, err := fmt.Sscanf(sc.Text(), "%d %d", &pid, &first); err == nil {
			acked[pid] = first
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	if len(acked) < 100 {
		t.Fatalf("child acknowledged only %d writes before dying", len(acked))
	}

	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer db.Close()
	ctx := context.Background()
	var maxFirst uint64
	for pid, first := range acked {
		if _, err := db.Accounts().Get(ctx, pid); err != nil {
			t.Errorf("acknowledged account %d lost: %v", pid, err)
		}
		maxFirst = max(maxFirst, first)
	}
	next, err := db.UniqueIDs().Reserve(ctx, "crash", 1)
	if err != nil {
		t.Fatal(err)
	}
	if next < maxFirst+10 {
		t.Errorf("after the crash Reserve gave %d, but the child was given ids up to %d", next, maxFirst+9)
	}
	n, _ := db.Accounts().Count(ctx)
	t.Logf("%d writes acknowledged before SIGKILL, %d accounts on disk", len(acked), n)
}

// TestRestart checks that accounts, associations and the unique id counter
// survive a clean close and reopen, and that ids handed out after the
// restart never repeat earlier ones.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "restart.db")
	seen := make(map[uint64]bool)
	for round := range 3 {
		db, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("open round %d: %v", round, err)
		}
		alloc := store.NewIDAllocator(db.UniqueIDs(), 100)
		for range 250 {
			id, err := alloc.Next(ctx, "mk8")
			if err != nil {
				t.Fatal(err)
			}
			if seen[id] {
				t.Fatalf("round %d: id %d repeated after restart", round, id)
			}
			seen[id] = true
		}
		pid := uint64(1000 + round)
		if _, err := db.Accounts().Create(ctx, store.Account{PID: pid, Username: fmt.Sprint("user", round), Password: "pw"}); err != nil {
			t.Fatal(err)
		}
		if err := db.UniqueIDs().Associate(ctx, "mk8", pid, store.UniqueID{ID: uint64(round + 1), Password: 5}); err != nil {
			t.Fatal(err)
		}
		for prev := range round + 1 {
			p := uint64(1000 + prev)
			a, err := db.Accounts().Get(ctx, p)
			if err != nil || a.Password.Reveal() != "pw" {
				t.Errorf("round %d: account %d = %+v, %v", round, p, a, err)
			}
			if ids, err := db.UniqueIDs().Associations(ctx, "mk8", p); err != nil || len(ids) != 1 || ids[0].ID != uint64(prev+1) {
				t.Errorf("round %d: associations of %d = %v, %v", round, p, ids, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigrationsOnce checks that reopening applies nothing twice and that a
// database from a newer nexproxy is refused.
func TestMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	var n, maxV int
	if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &maxV); err != nil {
		t.Fatal(err)
	}
	if n != maxV || n < 3 {
		t.Errorf("schema_migrations has %d rows up to version %d", n, maxV)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (999, 'future', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err := Open(ctx, path, Options{}); err == nil {
		db.Close()
		t.Error("a database from a newer version was opened")
	}
}

// TestClosedAndCancelled checks the errors after Close and with a done
// context.
func TestClosedAndCancelled(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.UniqueIDs().Reserve(cctx, "g", 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Reserve with cancelled ctx: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err == nil {
		// Closing twice is harmless for the writer; the sql.DBs say so.
		t.Log("second Close returned nil")
	}
	if _, err := db.UniqueIDs().Reserve(ctx, "g", 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Reserve after Close: %v, want ErrClosed", err)
	}
}
