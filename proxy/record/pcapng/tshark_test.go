package pcapng

import (
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTsharkReadsCapture writes a capture and has tshark (Wireshark's
// command-line reader) dissect it, checking comments, ports and that it
// finds both checksums good. CI installs tshark (.ci/run); elsewhere the
// test is skipped with a message when tshark is absent.
func TestTsharkReadsCapture(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark not found; CI must install it (apt-get install -y tshark)")
		}
		t.Skip("tshark not installed (apt-get install -y tshark); skipping the Wireshark read-back check")
	}
	path := filepath.Join(t.TempDir(), "session.pcapng")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	console := netip.MustParseAddrPort("192.168.1.20:52000")
	proxy := netip.MustParseAddrPort("192.168.1.2:60001")
	upstream := netip.MustParseAddrPort("[2001:db8::7]:59901")
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	pkts := []Packet{
		{Time: start, Src: console, Dst: proxy, Payload: []byte("request body, odd"), Comment: CallComment("Ranking", "UploadScore", 5, false)},
		{Time: start.Add(time.Millisecond), Src: proxy, Dst: upstream, Payload: []byte("upstream copy"), Comment: CallComment("Ranking", "UploadScore", 17, false)},
		{Time: start.Add(9 * time.Millisecond), Src: upstream, Dst: proxy, Payload: []byte("ok"), Comment: CallComment("Ranking", "UploadScore", 17, true)},
		{Time: start.Add(10 * time.Millisecond), Src: proxy, Dst: console, Payload: []byte("ok"), Comment: CallComment("Ranking", "UploadScore", 5, true)},
	}
	for _, p := range pkts {
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(tshark, "-r", path,
		"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
		"-T", "fields", "-E", "separator=|",
		"-e", "frame.comment", "-e", "udp.dstport", "-e", "ip.checksum.status", "-e", "udp.checksum.status",
		"-e", "udp.length", "-e", "frame.time_epoch")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	// Checksum status 1 is "Good"; IPv6 has no header checksum.
	want := []string{
		"Ranking.UploadScore call 5 request|60001|1|1|25",
		"Ranking.UploadScore call 17 request|59901||1|21",
		"Ranking.UploadScore call 17 response|60001||1|10",
		"Ranking.UploadScore call 5 response|52000|1|1|10",
	}
	if len(lines) != len(want) {
		t.Fatalf("tshark printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i := range want {
		// The epoch's print format varies between tshark versions: compare
		// it as a number.
		cut := strings.LastIndex(lines[i], "|")
		got, epoch := lines[i][:cut], lines[i][cut+1:]
		if got != want[i] {
			t.Errorf("packet %d: tshark says %q, want %q", i+1, got, want[i])
		}
		secs, err := strconv.ParseFloat(epoch, 64)
		wantSecs := float64(pkts[i].Time.UnixNano()) / 1e9
		if err != nil || math.Abs(secs-wantSecs) > 1e-6 {
			t.Errorf("packet %d: time %q, want %.6f", i+1, epoch, wantSecs)
		}
	}
}
