package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "300735b1234567890abcdef"},
		{Key: "vcs.time", Value: "2026-12-07T01:02:03Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	i := From(bi, "")
	if i.Version != "dev" || i.Revision != "300735b1234567890abcdef" || !i.Modified || i.CommitTime.IsZero() {
		t.Fatalf("%+v", i)
	}
	if got := i.Short(); got != "nexproxy dev (300735b12345+modified)" {
		t.Errorf("Short = %q", got)
	}
	s := i.String()
	for _, want := range []string{"nexproxy dev\n", "revision 300735b1234567890abcdef (modified work tree)\n", "committed 2026-12-07T01:02:03Z\n", "go 1.26.0\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("String lacks %q:\n%s", want, s)
		}
	}
	bi.Main.Version = "v1.2.0"
	if v := From(bi, "").Version; v != "v1.2.0" {
		t.Errorf("module version: %q", v)
	}
	if v := From(bi, "v9").Version; v != "v9" {
		t.Errorf("linked version: %q", v)
	}
	if i := From(nil, ""); i.Version != "dev" || i.Short() != "nexproxy dev" {
		t.Errorf("no build info: %+v", i)
	}
}

func TestGetReadsTheRunningBinary(t *testing.T) {
	i := Get()
	if i.Go == "" || i.Built.IsZero() || i.Version == "" {
		t.Errorf("%+v", i)
	}
}
