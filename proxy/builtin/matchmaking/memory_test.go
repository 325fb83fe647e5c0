package matchmaking_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/automatch"
	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// The consoles of the memory benchmark run in a child process (this test
// binary again, running TestMemoryConsolesChild), so that the heap the
// parent measures is the server's alone: simulated consoles in the same
// process would count their own PRUDP and RMC state as the server's.
const (
	memChildAddr  = "NEXPROXY_TEST_MM_MEM_CHILD_ADDR"  // auth host:port; set only in the child
	memChildCount = "NEXPROXY_TEST_MM_MEM_CHILD_COUNT" // number of consoles
)

// memGame is the game of the memory benchmark; the child derives the
// same client settings from it.
func memGame(users []string) servicetest.Game {
	return servicetest.Game{Platform: "wiiu", Users: users, TOML: fastLogins}
}

// serverMemory is the live heap and goroutine stacks after collecting
// garbage twice (so that pools' victims are freed too).
func serverMemory() (heap, stack int64) {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc), int64(m.StackInuse)
}

// settle waits until the server's memory stops moving (two readings 2%
// apart), up to a limit, so that goroutines of the last calls are gone.
func settle() (heap, stack int64) {
	heap, stack = serverMemory()
	for range 10 {
		time.Sleep(500 * time.Millisecond)
		h, s := serverMemory()
		d := h + s - heap - stack
		heap, stack = h, s
		if d < 0 {
			d = -d
		}
		if d*50 < h+s {
			break
		}
	}
	return heap, stack
}

// BenchmarkIdleConsoleMemory measures issue 11's target "memory per idle
// console in a gathering ≤ 24 KiB": N consoles (NEXPROXY_TEST_MM_MEM_N,
// default 500) log in from a child process, close their authentication
// connection as consoles do, and then auto-matchmake into 4-player
// sessions and stay idle. The server's growth of live heap (and of
// goroutine stacks) per console is reported after logging in and after
// joining the gatherings.
func BenchmarkIdleConsoleMemory(b *testing.B) {
	n := 500
	if v := os.Getenv("NEXPROXY_TEST_MM_MEM_N"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 || n%4 != 0 {
			b.Fatalf("NEXPROXY_TEST_MM_MEM_N=%q: want a positive multiple of 4", v)
		}
	}
	users := benchUsers(n)
	var loggedHeap, loggedStack, inHeap, inStack float64
	for range b.N {
		srv := servicetest.Start(b, memGame(users), nil)
		heap0, stack0 := settle()

		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryConsolesChild$", "-test.v")
		cmd.Env = append(os.Environ(), memChildAddr+"="+srv.AuthAddr("g").String(), memChildCount+"="+strconv.Itoa(n))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		// A failed benchmark must not leave its consoles running.
		done := false
		b.Cleanup(func() {
			if !done {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		lines := bufio.NewScanner(stdout)
		waitFor := func(word string) {
			b.Helper()
			for lines.Scan() {
				if strings.TrimSpace(lines.Text()) == word {
					return
				}
				b.Log("child: " + lines.Text())
			}
			_ = cmd.Wait()
			b.Fatalf("child ended before %s", word)
		}

		waitFor("LOGGED-IN")
		h, s := settle()
		loggedHeap, loggedStack = float64(h-heap0)/float64(n), float64(s-stack0)/float64(n)
		if _, err := io.WriteString(stdin, "join\n"); err != nil {
			b.Fatal(err)
		}
		waitFor("IN-GATHERINGS")
		h, s = settle()
		inHeap, inStack = float64(h-heap0)/float64(n), float64(s-stack0)/float64(n)

		_ = stdin.Close()
		for lines.Scan() {
		}
		done = true
		if err := cmd.Wait(); err != nil {
			b.Fatalf("child: %v", err)
		}
		_ = srv.Close()
	}
	b.ReportMetric(loggedHeap/1024, "logged-in-heap-KiB/console")
	b.ReportMetric((loggedHeap+loggedStack)/1024, "logged-in-heap+stack-KiB/console")
	b.ReportMetric(inHeap/1024, "in-gathering-heap-KiB/console")
	b.ReportMetric((inHeap+inStack)/1024, "in-gathering-heap+stack-KiB/console")
}

// TestMemoryConsolesChild is the consoles' side of
// BenchmarkIdleConsoleMemory; it does nothing unless that benchmark
// started it.
func TestMemoryConsolesChild(t *testing.T) {
	addr := os.Getenv(memChildAddr)
	if addr == "" {
		t.Skip("runs only as BenchmarkIdleConsoleMemory's child process")
	}
	n, err := strconv.Atoi(os.Getenv(memChildCount))
	if err != nil {
		t.Fatal(err)
	}
	users := benchUsers(n)
	cfg, err := config.LoadTOML(memGame(users).TOMLText(t))
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Games[0]
	clients := make([]*proxy.Client, n)
	errs := make([]error, n)
	sem := make(chan struct{}, loginParallelism)
	var wg sync.WaitGroup
	for i, u := range users {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name, pw, _ := strings.Cut(u, ":")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := proxy.Login(ctx, proxy.ClientConfig{Network: "udp", Addr: addr, PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
				Username: name, Password: pw,
				OnRequest: automatch.AnswerServer})
			if err == nil {
				// Consoles leave the authentication server once they
				// hold a ticket.
				_ = c.CloseAuth()
			}
			clients[i], errs[i] = c, err
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range clients {
			if c != nil {
				_ = c.Close()
			}
		}
	}()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("login %s: %v", users[i], err)
		}
	}
	fmt.Println("LOGGED-IN")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i, c := range clients {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, errs[i] = matchmakeextension.NewClient(c.Secure, g.RMC).AutoMatchmakePostpone(ctx,
				&matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(automatch.Session(automatch.GameMode, 4))})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("auto-matchmake %s: %v", users[i], err)
		}
	}
	fmt.Println("IN-GATHERINGS")
	for in.Scan() {
	}
}
