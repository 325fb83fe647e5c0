package webview_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/webview"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
)

// chromium returns the browser the page is tested in: $NEXPROXY_TEST_CHROMIUM
// or Debian's chromium (.ci/run installs it). Without it the test is
// skipped, and fails under CI=true.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("NEXPROXY_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s (apt-get install chromium, or set NEXPROXY_TEST_CHROMIUM): %v", path, err)
		}
		t.Skipf("chromium not found at %s (apt-get install chromium, or set NEXPROXY_TEST_CHROMIUM); the web view's browser test is skipped", path)
	}
	return path
}

// TestBrowserLiveSession opens the web view in headless Chromium, then
// runs real sessions against a local game: the sessions and their calls
// appear as they happen, a filter hides the others, and a call opens to
// its values. It leaves a screenshot at the path it logs
// ($NEXPROXY_TEST_SCREENSHOT_DIR, or the test's temporary folder).
func TestBrowserLiveSession(t *testing.T) {
	browser := chromium(t)
	hub := webview.NewHub(webview.HubOptions{})
	logs := t.TempDir()
	web, err := webview.Start("127.0.0.1:0", webview.Options{Hub: hub, Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	// nexproxy in front of a local game, writing session logs as well:
	// the page shows both legs, and then opens a log.
	files := record.NewFile(record.FileOptions{Dir: logs})
	t.Cleanup(func() { _ = files.Close() }) // after the server's cleanup
	up := servicetest.Start(t, servicetest.Game{}, nil)
	srv := servicetest.Start(t, servicetest.Game{Upstream: up.AuthAddr("g").String(), Recorder: record.Multi(hub, files)}, nil)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1100),
	)
	defer cancelAlloc()
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelCtx()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	// until waits for a JavaScript condition on the page.
	until := func(what, cond string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\npage:\n%s", what, err, body)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(web.URL())); err != nil {
		t.Fatal(err)
	}
	until("the page connects", `document.querySelector("#status").textContent.startsWith("live")`)

	// The sessions start after the page opened: what it shows came live.
	a := srv.Login(t, "1001:pw1")
	call := func(c *servicetest.Console) {
		cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer ccancel()
		if _, err := secureconnection.NewClient(c.Secure, c.Settings).TestConnectivity(cctx, &secureconnection.TestConnectivityRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	call(a)
	call(a)
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	if m, err := a.Secure.Call(cctx, secureconnection.ProtocolID, 0x7f, nil); err == nil && m.Success {
		t.Fatal("an unknown method succeeded")
	}
	until("console 1001's sessions and calls appear, proxied",
		`document.querySelectorAll('#sessions li[data-pid="1001"]').length >= 2 &&
		 document.querySelector('#calls tr.call[data-method="TestConnectivity"][data-pid="1001"]') !== null &&
		 document.querySelector('#calls tr.call[data-method="Login"]') !== null &&
		 document.querySelector('#calls tr.call td.err') !== null &&
		 [...document.querySelectorAll('#sessions li[data-pid="1001"]')].every(li => li.innerText.includes("upstream 127.0.0.1:"))`)
	b := srv.Login(t, "1002:pw2")
	call(b)
	until("console 1002's session appears",
		`document.querySelector('#calls tr.call[data-method="TestConnectivity"][data-pid="1002"]') !== null`)

	// A PID filter hides the other console's sessions and calls.
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#filters input[name="pid"]`, "1002")); err != nil {
		t.Fatal(err)
	}
	until("the PID filter hides console 1001",
		`(() => { const rows = [...document.querySelectorAll('#calls tr.call')];
		  return rows.length > 0 && rows.every(r => r.dataset.pid === "1002") &&
		    document.querySelectorAll('#sessions li[data-pid="1001"]').length === 0 &&
		    document.querySelectorAll('#sessions li[data-pid="1002"]').length > 0; })()`)
	// A live call of the hidden console does not show; one of the shown does.
	call(a)
	call(b)
	until("console 1002's live call shows under the filter",
		`document.querySelectorAll('#calls tr.call[data-method="TestConnectivity"]').length === 2 &&
		 document.querySelectorAll('#calls tr.call[data-pid="1001"]').length === 0`)

	// A method filter hides the other methods.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#filters input[name="pid"]').value = ""`),
		chromedp.SendKeys(`#filters input[name="method"]`, "TestConnectivity"),
	); err != nil {
		t.Fatal(err)
	}
	until("the method filter hides the other methods",
		`(() => { const rows = [...document.querySelectorAll('#calls tr.call')];
		  return rows.length === 5 && rows.every(r => r.dataset.method === "TestConnectivity"); })()`)
	// A result filter shows the failed call only.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#filters input[name="method"]').value = ""`),
		chromedp.SendKeys(`#filters input[name="result"]`, "error"),
	); err != nil {
		t.Fatal(err)
	}
	until("the result filter shows the failed call only",
		`(() => { const rows = [...document.querySelectorAll('#calls tr.call')];
		  return rows.length === 1 && rows[0].querySelector("td.err") !== null; })()`)

	// A recorded session log opens from the logs folder's list.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(web.URL()),
	); err != nil {
		t.Fatal(err)
	}
	until("the logs folder is listed", `document.querySelectorAll("#source option").length > 1`)
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#source");
		  const o = [...s.options].find(o => o.value.includes("_g_") && o.value !== "");
		  s.value = o.value; s.dispatchEvent(new Event("change")); })()`),
	); err != nil {
		t.Fatal(err)
	}
	until("a session log opens",
		`document.querySelector("#status").textContent === "session log" &&
		 document.querySelectorAll('#sessions li[data-id]:not([data-id=""])').length === 1 &&
		 document.querySelector('#sessions li .addr:last-child').innerText.endsWith(".jsonl") &&
		 document.querySelectorAll('#calls tr.call').length > 0`)

	// Back to the live sessions (the source change reloads at once, with
	// no filter typed that could reload it again); a call opened to its
	// values.
	if err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#source"); s.value = ""; s.dispatchEvent(new Event("change")); })()`),
	); err != nil {
		t.Fatal(err)
	}
	until("the live sessions are back", `document.querySelector("#status").textContent.startsWith("live") &&
		document.querySelectorAll('#calls tr.call').length === 8`)
	if err := chromedp.Do(ctx, chromedp.Click(`#calls tr.call[data-method="Login"]`)); err != nil {
		t.Fatal(err)
	}
	until("a call opens to its values", `(() => { const t = document.querySelector('#calls tr.expanded');
		return t !== null && t.innerText.includes("Parameters") && t.innerText.includes("Response") &&
		  t.innerText.includes("redacted"); })()`)
	until("the timeline and histograms are drawn",
		`document.querySelector('#timeline svg') !== null && document.querySelectorAll('#histograms figure').length >= 2`)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("NEXPROXY_TEST_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "webview-live-session.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot is not a PNG: % x", png[:min(8, len(png))])
	}
}
