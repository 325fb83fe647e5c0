package rmc

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// The table must hold exactly the rows of rmc.md §2, in code order.
func TestResultTableMatchesDoc(t *testing.T) {
	doc := filepath.Join(filepath.Dir(vectors.Path(t, "wiiu-session.json")), "..", "docs", "rmc.md")
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Skipf("docs not available: %v", err)
	}
	rows := regexp.MustCompile("(?m)^\\| `0x([0-9A-Fa-f]{8})` \\| (\\w+::\\w+) \\|").FindAllStringSubmatch(string(b), -1)
	if len(rows) != 271 || len(resultTable) != 271 {
		t.Fatalf("doc rows %d, table %d, want 271", len(rows), len(resultTable))
	}
	for _, row := range rows {
		c, _ := strconv.ParseUint(row[1], 16, 32)
		if n, ok := Result(c).Name(); !ok || n != row[2] {
			t.Errorf("%s: table has %q, %v; doc %q", row[1], n, ok, row[2])
		}
	}
	for i := 1; i < len(resultTable); i++ {
		if resultTable[i-1].code >= resultTable[i].code {
			t.Fatalf("table not sorted at %d", i)
		}
	}
}

func TestResultNamesBothWays(t *testing.T) {
	for _, r := range Results() {
		if !r.IsError() {
			t.Fatalf("%#x: Results must be error forms", uint32(r))
		}
		got, ok := ResultByName(r.String())
		if !ok || got != r {
			t.Fatalf("ResultByName(%q) = %#x, %v; want %#x", r, uint32(got), ok, uint32(r))
		}
	}
	if len(Results()) != 271 {
		t.Fatalf("%d results", len(Results()))
	}
}

func TestResultExamples(t *testing.T) {
	tests := []struct {
		r      Result
		name   string
		err    bool
		module uint16
		code   uint16
	}{
		{0x8001000A, "Core::InvalidArgument", true, 1, 0x0A},
		{ResultSuccess, "Core::Unknown", false, 1, 1},
		{ResultCoreAccessDenied, "Core::AccessDenied", true, 1, 6},
		{ResultCoreNotImplemented, "Core::NotImplemented", true, 1, 2},
		{ResultRendezVousInvalidUsername, "RendezVous::InvalidUsername", true, 3, 0x64},
		{ResultEssGameSessionMaintenance, "Ess::GameSessionMaintenance", true, 0x75, 3},
		{0x80650016, "Result(0x80650016)", true, 0x65, 0x16}, // gap in the FPD table
		{0, "Result(0x00000000)", false, 0, 0},
		{0xFFFFFFFF, "Result(0xFFFFFFFF)", true, 0x7FFF, 0xFFFF},
	}
	for _, tt := range tests {
		if tt.r.String() != tt.name || tt.r.IsError() != tt.err || tt.r.Module() != tt.module || tt.r.Code() != tt.code {
			t.Errorf("%#x: %q err=%v module=%#x code=%#x", uint32(tt.r), tt.r, tt.r.IsError(), tt.r.Module(), tt.r.Code())
		}
	}
	if ResultSuccess != 0x00010001 || ResultCoreUnknown != 0x80010001 {
		t.Fatal("success value")
	}
}

func TestResultByNameAliases(t *testing.T) {
	tests := map[string]Result{
		"RendezVous::InvalidUniqueID":          ResultRendezVousInvalidUniqueId,
		"Transport::InvalidURL":                ResultTransportInvalidUrl,
		"Transport::DNSError":                  ResultTransportDnsError,
		"Authentication::HTTPConnectionError":  ResultAuthenticationHttpConnectionError,
		"Authentication::HTTPDNSError":         ResultAuthenticationHttpDNSError,
		"Authentication::HTTPGetProxySetting":  ResultAuthenticationHttpGetProxySetting,
		"Authentication::PrincipalIDUnmatched": ResultAuthenticationPrincipalIdUnmatched,
		"ServiceItem::EShopUnknownHTTPError":   ResultServiceItemEShopUnknownHttpError,
		"core::accessdenied":                   ResultCoreAccessDenied,
	}
	for name, want := range tests {
		if got, ok := ResultByName(name); !ok || got != want {
			t.Errorf("ResultByName(%q) = %#x, %v; want %#x", name, uint32(got), ok, uint32(want))
		}
	}
	for _, bad := range []string{"", "Core::", "Nope::Nothing", "AccessDenied"} {
		if r, ok := ResultByName(bad); ok {
			t.Errorf("ResultByName(%q) = %#x, want not found", bad, uint32(r))
		}
	}
}
