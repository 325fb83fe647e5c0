package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nexproxy/nexproxy/proxy"
)

// idleLoginParallelism bounds the logins of --idle in flight at once.
const idleLoginParallelism = 64

// idleSettle is how long the idle sessions sit before the second memory
// reading, so that the server has processed every disconnect of the
// authentication connections.
const idleSettle = 2 * time.Second

// runIdle logs n consoles in, closes their authentication connections and
// reports how much the server's memory grew per idle secure session;
// after, when not nil, runs while the sessions are still open.
func runIdle(ctx context.Context, out io.Writer, cc proxy.ClientConfig, users userFor, n int, stats serverStats, after func() error) error {
	if stats == nil {
		return errors.New("--idle: no way to read the server's memory")
	}
	rss0, _, conns0, err := stats()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "idle %s: logging in %d consoles (%d at a time)\n", cc.Addr, n, idleLoginParallelism)
	cl, errs, lt := loginAll(ctx, cc, users, n, idleLoginParallelism)
	defer closeClients(cl)
	printLogins(out, "  ", len(cl), errs, lt)
	if len(cl) == 0 {
		return errors.New("--idle: no console logged in")
	}
	for _, c := range cl {
		_ = c.CloseAuth()
	}
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
		return ctx.Err()
	}
	rss1, _, conns1, err := stats()
	if err != nil {
		return err
	}
	per := float64(rss1-rss0) / float64(len(cl))
	line := fmt.Sprintf("  server RSS %.1f MiB -> %.1f MiB with %d idle secure sessions: %+.1f KiB per session",
		mib(rss0), mib(rss1), len(cl), per/1024)
	if conns0 >= 0 && conns1 >= 0 {
		line += fmt.Sprintf(" (server connections %d -> %d)", conns0, conns1)
	}
	fmt.Fprintln(out, line)
	if after != nil {
		return after()
	}
	return nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
