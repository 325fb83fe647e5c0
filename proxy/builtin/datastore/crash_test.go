package datastore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/stores"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// crashEnv names the data folder a re-executed test binary uploads into
// until it is killed (TestCrashKeepsCompletedObjects).
const crashEnv = "NEXPROXY_TEST_DATASTORE_CRASH_CHILD"

func crashStores(dir string) (*store.Stores, error) {
	cfg := store.DefaultConfig()
	cfg.DataDir = dir
	return stores.Open(context.Background(), cfg, nil)
}

// crashChild runs the child side of the crash test when the environment
// asks for it: 8 writers run the service's upload flow (pending object,
// signed POST of 256 KiB through the endpoint, content check, publish)
// and print each data id once it is published. It reports whether it ran.
func crashChild() bool {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		return false
	}
	st, err := crashStores(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	inst, err := newServer(&builtin.Env{Env: &proxy.Env{Game: &config.Game{Name: "g"}, Log: zap.NewNop()},
		Host: &builtin.Host{Stores: st}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child server:", err)
		os.Exit(2)
	}
	s := inst.(*server)
	ctx := context.Background()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			data := bytes.Repeat([]byte{byte(w)}, 256<<10)
			for {
				id, err := s.meta.AllocateDataID(ctx, "g", 1)
				if err == nil {
					o := store.DataObject{Game: "g", DataID: id, Owner: 1001, Size: uint32(len(data)), Status: store.DataPending,
						PersistenceSlot: noSlot, Version: 1, Created: time.Now(), Updated: time.Now(), Expires: time.Now().Add(time.Hour)}
					err = s.meta.Create(ctx, o)
				}
				if err == nil {
					u, fields := s.signer.PostForm(objectKey("g", id, 1), int64(len(data)), time.Now().Add(time.Minute))
					var body bytes.Buffer
					mw := multipart.NewWriter(&body)
					for _, f := range fields {
						_ = mw.WriteField(f.Key, f.Value)
					}
					fw, _ := mw.CreateFormFile("file", "f")
					_, _ = fw.Write(data)
					_ = mw.Close()
					var resp *http.Response
					if resp, err = http.Post(u, mw.FormDataContentType(), &body); err == nil {
						resp.Body.Close()
					}
				}
				if err == nil {
					var info store.ObjectInfo
					if info, err = s.objects.Head(ctx, objectKey("g", id, 1)); err == nil && info.Size == int64(len(data)) {
						_, err = s.meta.Publish(ctx, "g", id, time.Now())
					}
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Println(id)
				mu.Unlock()
			}
		})
	}
	wg.Wait() // never: the parent kills us
	return true
}

// TestCrashKeepsCompletedObjects SIGKILLs a process in the middle of
// uploads: every object it reported published is still published with
// its whole content, and no published object has partial content.
func TestCrashKeepsCompletedObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []uint64
	lines := bufio.NewScanner(out)
	for len(acked) < 40 && lines.Scan() {
		id, _ := strconv.ParseUint(lines.Text(), 10, 64)
		acked = append(acked, id)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	for lines.Scan() {
		id, _ := strconv.ParseUint(lines.Text(), 10, 64)
		acked = append(acked, id)
	}
	_ = cmd.Wait()
	if len(acked) < 40 {
		t.Fatalf("child published %d objects before dying: %s", len(acked), stderr.String())
	}
	st, err := crashStores(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, id := range acked {
		o, err := st.DataStore.Get(ctx, "g", id)
		if err != nil || o.Status != store.DataPublished {
			t.Errorf("acknowledged object %d: status %d, %v", id, o.Status, err)
		}
	}
	// Every published object (acknowledged or not) has its whole content.
	objs, _, err := st.DataStore.Search(ctx, store.DataQuery{Game: "g", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		info, err := st.Objects.Head(ctx, objectKey("g", o.DataID, 1))
		if err != nil || info.Size != int64(o.Size) {
			t.Errorf("published object %d: content %+v, %v", o.DataID, info, err)
		}
	}
	t.Logf("%d objects acknowledged, %d published after the kill", len(acked), len(objs))
}
