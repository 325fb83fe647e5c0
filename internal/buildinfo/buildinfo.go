// Package buildinfo says which nexproxy is running: the module version,
// the VCS revision and time it was built from, and when the binary was
// built. `nexproxy version` prints it and session-log headers carry it, so
// a log can be traced to the code that wrote it.
package buildinfo

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// version may be set at link time: -ldflags "-X github.com/nexproxy/nexproxy/internal/buildinfo.version=v1.2.0".
var version string

// Info describes one build.
type Info struct {
	// Version is the module version ("v1.2.0"), or "dev" for a build
	// from a work tree.
	Version string
	// Revision is the VCS commit, Modified whether the work tree had
	// uncommitted changes, CommitTime the commit's time (zero when the
	// build carries no VCS information, as under `go test`).
	Revision   string
	Modified   bool
	CommitTime time.Time
	// Built is when the binary was written (its file's time).
	Built time.Time
	// Go is the toolchain version.
	Go string
}

var (
	once   sync.Once
	cached Info
)

// Get returns the running binary's build information.
func Get() Info {
	once.Do(func() {
		bi, _ := debug.ReadBuildInfo()
		cached = From(bi, version)
		if exe, err := os.Executable(); err == nil {
			if st, err := os.Stat(exe); err == nil {
				cached.Built = st.ModTime().UTC().Truncate(time.Second)
			}
		}
	})
	return cached
}

// From reads the build information of bi; linked, when set, wins over
// the module version.
func From(bi *debug.BuildInfo, linked string) Info {
	info := Info{Version: "dev"}
	if bi == nil {
		return info
	}
	info.Go = bi.GoVersion
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	if linked != "" {
		info.Version = linked
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		case "vcs.time":
			info.CommitTime, _ = time.Parse(time.RFC3339, s.Value)
		}
	}
	return info
}

// Short is "nexproxy <version> (<revision>[+modified])", the program name
// of session-log headers.
func (i Info) Short() string {
	s := "nexproxy " + i.Version
	if i.Revision != "" {
		rev := i.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if i.Modified {
			rev += "+modified"
		}
		s += " (" + rev + ")"
	}
	return s
}

// String is the full description `nexproxy version` prints, one fact per
// line.
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "nexproxy %s\n", i.Version)
	if i.Revision != "" {
		mod := ""
		if i.Modified {
			mod = " (modified work tree)"
		}
		fmt.Fprintf(&b, "revision %s%s\n", i.Revision, mod)
	}
	if !i.CommitTime.IsZero() {
		fmt.Fprintf(&b, "committed %s\n", i.CommitTime.UTC().Format(time.RFC3339))
	}
	if !i.Built.IsZero() {
		fmt.Fprintf(&b, "built %s\n", i.Built.UTC().Format(time.RFC3339))
	}
	if i.Go != "" {
		fmt.Fprintf(&b, "go %s\n", strings.TrimPrefix(i.Go, "go"))
	}
	return b.String()
}
