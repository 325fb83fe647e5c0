package webview

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pageHarness runs static/app.js in Node with just enough of a DOM to
// start (nothing is drawn), then script, which sees the page's state and
// functions and prints its result. The test skips without Node.
const pageHarness = `
const vm = require("vm"), fs = require("fs");
const elem = () => ({ addEventListener() {}, querySelectorAll() { return []; }, append() {}, replaceChildren() {}, setAttribute() {} });
const ctx = {
  console, URL, URLSearchParams,
  document: { querySelector: elem, createElement: elem, createElementNS: elem, createTextNode: () => ({}) },
  location: { href: "http://127.0.0.1/", search: "" },
  history: { replaceState() {} },
  requestAnimationFrame() {},
  EventSource: class { addEventListener() {} close() {} },
  fetch: () => new Promise(() => {}),
  Node: class {},
};
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), ctx);
vm.runInContext(process.argv[3], ctx);
`

func runPage(t *testing.T, script string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found; the page's state test is skipped")
	}
	harness := t.TempDir() + "/harness.js"
	if err := os.WriteFile(harness, []byte(pageHarness), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, harness, "static/app.js", script).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPageSessionsBounded: a page left open on a busy server does not keep
// every session it was ever sent (the hub forgets closed ones without
// telling it); the oldest closed ones go, the live and selected stay.
func TestPageSessionsBounded(t *testing.T) {
	got := runPage(t, `
addSession({ id: "live", closed: false, start: "2000-01-01T00:00:00Z" });
addSession({ id: "c0", closed: true, start: "2000-01-01T00:00:01Z" });
select("c0");
for (let i = 1; i < 20000; i++) addSession({ id: "c" + i, closed: true, start: "2000-01-01T00:00:02Z" });
console.log(state.sessions.size <= 1000, state.sessions.has("live"), state.sessions.has("c0"), state.sessions.has("c19999"), state.sessions.has("c1"));
`)
	if got != "true true true true false" {
		t.Errorf("page sessions (bounded, live kept, selected kept, newest kept, oldest closed gone): %s", got)
	}
}
