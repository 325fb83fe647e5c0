package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/cputime"
	"github.com/nexproxy/nexproxy/internal/logging"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// `nexproxy bench --self` measures a local-mode instance and a proxy in
// front of it without any setup. Each runs in a child process of its own
// (this binary with the hidden --self-serve flag; the proxy's child also
// gets --self-upstream), so that each server's memory and CPU are its own,
// mixed neither with the simulated consoles' nor with the other server's:
// a child prints its authentication address, answers "stats" lines on its
// standard input with its RSS (after a garbage collection) and CPU time,
// and stops when its standard input closes.

// The account of --blind: the local instance knows its password, the
// proxy does not, so the proxy cannot open the ticket and relays the
// secure leg's datagrams as they are.
const (
	blindBenchPID      = 1000001
	blindBenchPassword = "bench-blind-relay"
)

// selfSetup is how a --self child is configured.
type selfSetup struct {
	platform, key string
	coalesce      string    // --coalesce-acks: default, none, proxy or all
	blind         int       // this many accounts of its own (blindUsers), the local instance's alone: --blind's, --relay's, automatch's
	sessions      string    // --session-logs: the folder of both instances' session logs
	store         selfStore // the [store] shared with other instances (zero: SQLite of its own)
	// upstream is, in the proxy's child, the address of the local
	// instance it fronts; "" in the local instance's child.
	upstream string
}

// coalesceFor is the coalesce_acks of one side of the bench (instance
// "local", "proxy" or "console") under --coalesce-acks mode: "" keeps the
// preset's default (mode default), else "on" or "off". The consoles keep
// the preset's default only in mode default; the other modes compare
// servers behind consoles that do not coalesce.
func coalesceFor(mode, instance string) string {
	switch {
	case mode == "default":
		return ""
	case mode == "all" && instance != "console", mode == "proxy" && instance == "proxy":
		return "on"
	}
	return "off"
}

// sessionDir is the session log folder of one instance under dir ("" =
// none).
func sessionDir(dir, instance string) string {
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, instance)
}

// selfGameTOML is the configuration of one instance of the --self pair.
// coalesce is "on" or "off" for coalesce_acks, "" for the preset's.
func selfGameTOML(platform, key, authListen, secureListen, upstream, coalesce string, blindAccounts int) string {
	// The platform preset picks the transport (WebSocket for Switch).
	extra := ""
	if coalesce != "" {
		extra = fmt.Sprintf("[games.prudp]\ncoalesce_acks = %t\n", coalesce == "on")
	}
	for i := range blindAccounts {
		extra += fmt.Sprintf("[[accounts]]\npid = %d\npassword = %q\n", blindBenchPID+i, blindBenchPassword)
	}
	return fmt.Sprintf("advertise = \"127.0.0.1\"\n[[games]]\nname = \"bench\"\nplatform = %q\naccess_key = %q\n"+
		"auth_listen = %q\nsecure_listen = %q\nupstream = %q\n%s", platform, key, authListen, secureListen, upstream, extra)
}

// freeLoopbackAddr returns a loopback address whose port (UDP, or TCP
// when tcp) was free a moment ago. The configuration wants real ports:
// with port 0 on both, a game's two UDP listeners would be one.
func freeLoopbackAddr(tcp bool) (string, error) {
	if tcp {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer l.Close()
		return l.Addr().String(), nil
	}
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return "", err
	}
	defer c.Close()
	return c.LocalAddr().String(), nil
}

// selfInstance is one server of the --self pair.
type selfInstance struct {
	upstream      string // "local" or the local instance's address
	coalesce      string // [games.prudp] coalesce_acks: "on", "off", "" (preset)
	blindAccounts int    // knows this many --blind accounts
	sessions      string // log.sessions: the session log folder, "" = none
}

// startSelfInstance starts one local or proxy instance on loopback, with
// the recorders serve would give it. stop closes the server, then its
// session logs.
func startSelfInstance(ctx context.Context, log *zap.Logger, set selfSetup, in selfInstance) (srv *proxy.Server, stop func(), err error) {
	// Switch serves both sides on one WebSocket listener.
	webSocket := set.platform == "switch"
	authL, err := freeLoopbackAddr(webSocket)
	if err != nil {
		return nil, nil, err
	}
	secureL := authL
	if !webSocket {
		if secureL, err = freeLoopbackAddr(false); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := config.LoadTOML(selfGameTOML(set.platform, set.key, authL, secureL, in.upstream, in.coalesce, in.blindAccounts))
	if err != nil {
		return nil, nil, err
	}
	cfg.Log.Sessions = in.sessions
	obs, err := newObserver(log, cfg, "")
	if err != nil {
		return nil, nil, err
	}
	// The instance keeps its state in a folder of its own, removed with it.
	dataDir, err := os.MkdirTemp("", "nexproxy-bench-")
	if err != nil {
		_ = obs.close()
		return nil, nil, err
	}
	cfg.Store.DataDir = dataDir
	if st := set.store; st.postgres != "" {
		// What instances sharing their state need (see [store] in
		// config.toml): accounts, ids and gatherings in PostgreSQL,
		// presence and fan-out in Redis.
		b := &cfg.Store.Backends
		b.Accounts, b.UniqueIDs, b.Gatherings = store.BackendPostgres, store.BackendPostgres, store.BackendPostgres
		b.Stations, b.Bus = store.BackendRedis, store.BackendRedis
		cfg.Store.Postgres.URL, cfg.Store.Redis.URL, cfg.Store.Redis.KeyPrefix = st.postgres, st.redis, st.redisPrefix
	}
	host, closeHost, err := openHost(ctx, log, cfg)
	if err != nil {
		_ = obs.close()
		_ = os.RemoveAll(dataDir)
		return nil, nil, err
	}
	cleanup := func() {
		closeHost()
		_ = obs.close()
		_ = os.RemoveAll(dataDir)
	}
	srv, err = proxy.New(cfg, proxy.Options{Logger: log, Builtins: builtinsOf(host), Recorder: obs.recorder(), Accounts: host.Stores.Accounts})
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	if err := srv.Start(ctx); err != nil {
		cleanup()
		return nil, nil, err
	}
	return srv, func() {
		_ = srv.Close()
		cleanup()
	}, nil
}

// serveSelf is a child of --self: the local instance, or with
// set.upstream the proxy in front of it, until stdin closes.
func serveSelf(ctx context.Context, set selfSetup, in io.Reader, out io.Writer) error {
	// The logger serve uses by default (JSON at info), so that what the
	// servers spend on logging is measured too; its lines go nowhere.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	log, err := logging.NewTo("info", "json", null)
	if err != nil {
		return err
	}
	name, inst := "local instance", selfInstance{upstream: "local",
		coalesce: coalesceFor(set.coalesce, "local"), blindAccounts: set.blind, sessions: sessionDir(set.sessions, "local")}
	if set.upstream != "" {
		name, inst = "proxy instance", selfInstance{upstream: set.upstream,
			coalesce: coalesceFor(set.coalesce, "proxy"), sessions: sessionDir(set.sessions, "proxy")}
	}
	srv, stop, err := startSelfInstance(ctx, log, set, inst)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer stop()
	return serveStats(in, out, srv.AuthAddr("bench").String(), srv.Conns)
}

// serveStats announces the child's authentication address and answers
// the parent's lines until stdin closes; conns counts the server's open
// console connections.
func serveStats(in io.Reader, out io.Writer, addr string, conns func() int) error {
	fmt.Fprintf(out, "ready %s\n", addr)
	sc := bufio.NewScanner(in)
	var prof profiler
	defer prof.stopCPU()
	for sc.Scan() {
		if cmd, arg, ok := strings.Cut(sc.Text(), " "); ok || cmd == "cpu-stop" {
			if err := prof.do(cmd, arg); err != nil {
				fmt.Fprintf(out, "profile %s\n", strings.ReplaceAll(err.Error(), " ", "_"))
			} else {
				fmt.Fprintf(out, "profile ok\n")
			}
			continue
		}
		if sc.Text() == "cpu" {
			// CPU time alone: no collection that the reading would add.
			fmt.Fprintf(out, "cpu %d\n", cputime.Process().Nanoseconds())
			continue
		}
		if sc.Text() == "stats" {
			// Settled memory: each collection also halves the stacks of
			// goroutines that use little of theirs.
			for range 3 {
				runtime.GC()
			}
			debug.FreeOSMemory()
			rss, err := procRSS(os.Getpid())
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "stats %d %d %d\n", rss, cputime.Process().Nanoseconds(), conns())
		}
	}
	return nil
}

// selfServer is the parent's handle on one child.
type selfServer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
	addr  string // the server's authentication address
}

// startSelf starts a child and waits for its address.
func startSelf(ctx context.Context, set selfSetup) (*selfServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, selfArgs(set)...)
	if st := set.store; st.postgres != "" {
		// The URLs, which may hold passwords, go by the environment
		// (the flags' defaults), not the command line others can read.
		cmd.Env = append(os.Environ(), benchPostgresEnv+"="+st.postgres, benchRedisEnv+"="+st.redis)
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server process: %w", err)
	}
	s := &selfServer{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	f, err := s.line("ready", 2)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.addr = f[0]
	return s, nil
}

// selfArgs is the command line of the child that runs set.
func selfArgs(set selfSetup) []string {
	args := []string{"bench", "--self-serve", "--profile", set.platform, "--access-key", set.key, "--coalesce-acks", set.coalesce}
	if set.upstream != "" {
		args = append(args, "--self-upstream", set.upstream)
	}
	if set.blind > 0 {
		// The local instance's child makes this many blind accounts.
		args = append(args, "--blind", "--clients", strconv.Itoa(set.blind))
	}
	if set.sessions != "" {
		args = append(args, "--session-logs", set.sessions)
	}
	if set.store.postgres != "" {
		args = append(args, "--redis-prefix", set.store.redisPrefix)
	}
	return args
}

// selfPair is the parent's handle on the two children of --self.
type selfPair struct {
	local, proxy *selfServer
}

// startSelfPair starts the local instance's child, then the proxy's in
// front of it.
func startSelfPair(ctx context.Context, set selfSetup) (*selfPair, error) {
	local, err := startSelf(ctx, set)
	if err != nil {
		return nil, fmt.Errorf("local instance: %w", err)
	}
	set.upstream, set.blind = local.addr, 0
	if set.platform == "switch" {
		set.upstream = "ws://" + local.addr
	}
	px, err := startSelf(ctx, set)
	if err != nil {
		local.stop()
		return nil, fmt.Errorf("proxy instance: %w", err)
	}
	return &selfPair{local: local, proxy: px}, nil
}

// cpu reads each child's CPU time so far.
func (p *selfPair) cpu() (local, proxy time.Duration, err error) {
	if local, err = p.local.cpu(); err != nil {
		return 0, 0, err
	}
	if proxy, err = p.proxy.cpu(); err != nil {
		return 0, 0, err
	}
	return local, proxy, nil
}

// stop stops both children, the proxy first.
func (p *selfPair) stop() {
	p.proxy.stop()
	p.local.stop()
}

// line reads the child's next line, which must start with word and hold
// n fields in all.
func (s *selfServer) line(word string, n int) ([]string, error) {
	if !s.lines.Scan() {
		if err := s.lines.Err(); err != nil {
			return nil, fmt.Errorf("server process: %w", err)
		}
		return nil, errors.New("server process ended")
	}
	f := strings.Fields(s.lines.Text())
	if len(f) != n || f[0] != word {
		return nil, fmt.Errorf("server process said %q", s.lines.Text())
	}
	return f[1:], nil
}

// stats asks the child for its RSS (after a collection), its CPU time and
// its open console connections.
func (s *selfServer) stats() (rss int64, cpu time.Duration, conns int, err error) {
	if _, err := fmt.Fprintln(s.stdin, "stats"); err != nil {
		return 0, 0, 0, err
	}
	f, err := s.line("stats", 4)
	if err != nil {
		return 0, 0, 0, err
	}
	rss, _ = strconv.ParseInt(f[0], 10, 64)
	ns, _ := strconv.ParseInt(f[1], 10, 64)
	conns, _ = strconv.Atoi(f[2])
	return rss, time.Duration(ns), conns, nil
}

// cpu asks the child for its CPU time so far, without the collections of
// stats.
func (s *selfServer) cpu() (time.Duration, error) {
	if _, err := fmt.Fprintln(s.stdin, "cpu"); err != nil {
		return 0, err
	}
	f, err := s.line("cpu", 2)
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("server process: cpu %q: %w", f[0], err)
	}
	return time.Duration(ns), nil
}

// profile asks the child to start a CPU profile into path ("cpu"), stop
// it ("cpu-stop") or write a heap profile into path ("heap").
func (s *selfServer) profile(cmd, path string) error {
	if _, err := fmt.Fprintln(s.stdin, strings.TrimSpace(cmd+" "+path)); err != nil {
		return err
	}
	f, err := s.line("profile", 2)
	if err != nil {
		return err
	}
	if f[0] != "ok" {
		return fmt.Errorf("server process: %s %s: %s", cmd, path, f[0])
	}
	return nil
}

// stop closes the child's input and waits for it to shut down.
func (s *selfServer) stop() {
	_ = s.stdin.Close()
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// procRSS reads VmRSS of a process from /proc (Linux), in bytes.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read RSS of process %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb << 10, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("read RSS of process %d: no VmRSS line", pid)
}
