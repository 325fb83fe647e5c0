package nattraversal_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	nat "github.com/nexproxy/nexproxy/rmc/protocols/nattraversal"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/rpc"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/nattraversal"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
)

// wait bounds how long a test waits for a call the server makes.
const wait = 10 * time.Second

func ctxT(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func resultOf(err error) rmc.Result {
	var re *rpc.ResultError
	if errors.As(err, &re) {
		return re.Result
	}
	return 0
}

// peerConsole is a logged-in console that registered one local station.
type peerConsole struct {
	*servicetest.Console
	pid    uint64
	cid    uint32
	public rmc.StationURL
	nat    *nat.Client
	sec    *secureconnection.Client
}

// join logs pid in and registers a local station behind NAT (type 1).
func join(t *testing.T, srv *servicetest.Server, pid int) *peerConsole {
	t.Helper()
	return joinAs(t, srv, pid, 1)
}

// joinAs is join registering a local station of the given type.
func joinAs(t *testing.T, srv *servicetest.Server, pid, typ int) *peerConsole {
	t.Helper()
	c := srv.Login(t, fmt.Sprintf("%d:pw%d", pid, pid-1000))
	p := &peerConsole{Console: c, pid: uint64(pid), nat: nat.NewClient(c.Secure, c.Settings), sec: secureconnection.NewClient(c.Secure, c.Settings)}
	local := servicetest.StationURL(t, fmt.Sprintf("prudp:/address=192.168.0.%d;port=%d;natf=0;natm=0;pmp=0;sid=15;type=%d;upnp=0", pid-1000, 40000+pid, typ))
	r, err := p.sec.Register(ctxT(t), &secureconnection.RegisterRequest{URLs: []rmc.StationURL{local}})
	if err != nil || r.ConnectionID == 0 {
		t.Fatalf("register %d: %+v, %v", pid, r, err)
	}
	p.cid, p.public = r.ConnectionID, r.PublicStation
	return p
}

func start(t *testing.T, platform string) *servicetest.Server {
	return servicetest.Start(t, servicetest.Game{Platform: platform}, nil)
}

func probes(c *servicetest.Console) int {
	n := 0
	for _, m := range c.Requests() {
		if m.Protocol == nat.ProtocolID && m.Method == nat.MethodInitiateProbe {
			n++
		}
	}
	return n
}

// TestRequestProbeInitiationExt: A asks the server to have B probe A's
// station; B receives InitiateProbe with A's station_to_probe verbatim,
// targets without a usable connection id or not connected are skipped,
// C (not targeted) receives nothing, and A gets an empty success.
func TestRequestProbeInitiationExt(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	for _, platform := range []string{"wiiu", "3ds", "switch"} {
		t.Run(platform, func(t *testing.T) {
			srv := start(t, platform)
			a, b, c := join(t, srv, 1001), join(t, srv, 1002), join(t, srv, 1003)

			// An unusual station, to see it forwarded verbatim: keys out of
			// order, an unknown key, a trailing ";".
			toProbe := servicetest.StationURL(t, fmt.Sprintf("prudp:/RVCID=%d;address=203.0.113.7;port=5555;zz=1;PID=1001;type=3;", a.cid))
			targets := []rmc.StationURL{
				servicetest.StationURL(t, "prudp:/address=10.0.0.1;port=1"),                         // no RVCID
				servicetest.StationURL(t, "prudp:/address=10.0.0.1;port=1;RVCID=banana"),            // malformed RVCID
				servicetest.StationURL(t, "prudp:/address=10.0.0.1;port=1;RVCID=4000000000"),        // nobody
				servicetest.StationURL(t, "prudp:/address=10.0.0.1;port=1;RVCID=99999999999999999"), // out of range
				b.public,
			}
			if _, err := a.nat.RequestProbeInitiationExt(ctxT(t), &nat.RequestProbeInitiationExtRequest{TargetURLs: targets, StationToProbe: toProbe}); err != nil {
				t.Fatalf("RequestProbeInitiationExt: %v", err)
			}
			m := b.WaitRequest(t, nat.ProtocolID, nat.MethodInitiateProbe, wait)
			var req nat.InitiateProbeRequest
			if err := req.Decode(m.Body, b.Settings); err != nil {
				t.Fatalf("InitiateProbe body: %v", err)
			}
			if got, want := req.StationToProbe.String(), toProbe.String(); got != want {
				t.Fatalf("B was asked to probe %q, want %q", got, want)
			}
			if n := probes(c.Console); n != 0 {
				t.Fatalf("C, not targeted, received %d InitiateProbe", n)
			}
			if n := probes(a.Console); n != 0 {
				t.Fatalf("A, the caller, received %d InitiateProbe", n)
			}
		})
	}
}

// TestRequestProbeInitiation: the older method names no station; the
// targets are asked to probe the caller's registered public station.
func TestRequestProbeInitiation(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := start(t, "wiiu")
	a, b := join(t, srv, 1001), join(t, srv, 1002)
	if _, err := b.nat.RequestProbeInitiation(ctxT(t), &nat.RequestProbeInitiationRequest{TargetURLs: []rmc.StationURL{a.public}}); err != nil {
		t.Fatalf("RequestProbeInitiation: %v", err)
	}
	m := a.WaitRequest(t, nat.ProtocolID, nat.MethodInitiateProbe, wait)
	var req nat.InitiateProbeRequest
	if err := req.Decode(m.Body, a.Settings); err != nil {
		t.Fatalf("InitiateProbe body: %v", err)
	}
	if got, want := req.StationToProbe.String(), b.public.String(); got != want {
		t.Fatalf("A was asked to probe %q, want B's public station %q", got, want)
	}
}

// urls returns the stations RequestUrls gives for p.
func urls(t *testing.T, asker *peerConsole, p *peerConsole) []rmc.StationURL {
	t.Helper()
	r, err := asker.sec.RequestUrls(ctxT(t), &secureconnection.RequestUrlsRequest{PID: p.pid, CID: p.cid})
	if err != nil || !r.Result || len(r.URLs) != 2 {
		t.Fatalf("RequestUrls %d: %+v, %v", p.pid, r, err)
	}
	return r.URLs
}

func intOf(u rmc.StationURL, key string) int64 {
	v, ok := u.Int(key)
	if !ok {
		return -1
	}
	return v
}

// TestReportNATProperties: natm/natf land in the caller's local station
// (Pretendo's choice), the public one keeps 0/0, every URL carries PID
// and RVCID; a console without stations gets a success and nothing is
// stored.
func TestReportNATProperties(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := start(t, "wiiu")
	a, b := join(t, srv, 1001), join(t, srv, 1002)
	before := urls(t, b, a)
	if _, err := a.nat.ReportNATProperties(ctxT(t), &nat.ReportNATPropertiesRequest{Natm: 1, Natf: 2, RTT: 30}); err != nil {
		t.Fatalf("ReportNATProperties: %v", err)
	}
	after := urls(t, b, a)
	for i, u := range after {
		public := intOf(u, rmc.URLType)&2 != 0
		wantM, wantF := int64(1), int64(2)
		if public {
			wantM, wantF = 0, 0
		}
		if intOf(u, rmc.URLNatMapping) != wantM || intOf(u, rmc.URLNatFiltering) != wantF {
			t.Errorf("URL %d (public %v) %q: natm/natf want %d/%d (before: %q)", i, public, u.String(), wantM, wantF, before[i].String())
		}
		if intOf(u, rmc.URLPID) != 1001 || intOf(u, rmc.URLRVCID) != int64(a.cid) {
			t.Errorf("URL %d %q: PID/RVCID want 1001/%d", i, u.String(), a.cid)
		}
		if addr, _ := u.Address(); func() string { a, _ := before[i].Address(); return a }() != addr {
			t.Errorf("URL %d address changed: %q → %q", i, before[i].String(), u.String())
		}
	}
	// B's stations are untouched.
	for _, u := range urls(t, a, b) {
		if intOf(u, rmc.URLNatMapping) != 0 || intOf(u, rmc.URLNatFiltering) != 0 {
			t.Errorf("B's station changed by A's report: %q", u.String())
		}
	}

	// Not registered: success, nothing to record.
	c := srv.Login(t, "1003:pw3")
	if _, err := nat.NewClient(c.Secure, c.Settings).ReportNATProperties(ctxT(t), &nat.ReportNATPropertiesRequest{Natm: 1, Natf: 1}); err != nil {
		t.Fatalf("ReportNATProperties unregistered: %v", err)
	}
	r, err := a.sec.RequestUrls(ctxT(t), &secureconnection.RequestUrlsRequest{PID: 1003})
	if err != nil || r.Result || len(r.URLs) != 0 {
		t.Fatalf("unregistered console's stations after its report: %+v, %v", r, err)
	}
}

// TestReportNATPropertiesPublicStation: a console that registered its
// station as public (type 2, as NintendoClients' test client does) has no
// private URL; its NAT properties land in the behind-NAT public station
// built at Register (type 3) instead of being dropped, and its own URL,
// which says it is behind no NAT, keeps 0/0.
func TestReportNATPropertiesPublicStation(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := start(t, "wiiu")
	a, b := joinAs(t, srv, 1001, 2), join(t, srv, 1002)
	if _, err := a.nat.ReportNATProperties(ctxT(t), &nat.ReportNATPropertiesRequest{Natm: 1, Natf: 2, RTT: 30}); err != nil {
		t.Fatalf("ReportNATProperties: %v", err)
	}
	for i, u := range urls(t, b, a) {
		typ := intOf(u, rmc.URLType)
		wantM, wantF := int64(0), int64(0)
		if typ == 3 {
			wantM, wantF = 1, 2
		}
		if intOf(u, rmc.URLNatMapping) != wantM || intOf(u, rmc.URLNatFiltering) != wantF {
			t.Errorf("URL %d (type %d) %q: natm/natf want %d/%d", i, typ, u.String(), wantM, wantF)
		}
		if intOf(u, rmc.URLPID) != 1001 || intOf(u, rmc.URLRVCID) != int64(a.cid) {
			t.Errorf("URL %d %q: PID/RVCID want 1001/%d", i, u.String(), a.cid)
		}
	}
}

// TestReports: the traversal reports (with and without the trailing rtt)
// and GetRelaySignatureKey succeed; GetRelaySignatureKey says "no relay".
func TestReports(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := start(t, "switch")
	a := join(t, srv, 1001)
	ctx := ctxT(t)
	if _, err := a.nat.ReportNATTraversalResult(ctx, &nat.ReportNATTraversalResultRequest{CID: 7, Result: true, RTT: 12, HasRTT: true}); err != nil {
		t.Fatalf("ReportNATTraversalResult with rtt: %v", err)
	}
	// Without the rtt (older titles): cid u32 + bool.
	if m, err := a.Secure.Call(ctx, nat.ProtocolID, nat.MethodReportNATTraversalResult, []byte{7, 0, 0, 0, 0}); err != nil || !m.Success {
		t.Fatalf("ReportNATTraversalResult without rtt: %+v, %v", m, err)
	}
	if _, err := a.nat.ReportNATTraversalResultDetail(ctx, &nat.ReportNATTraversalResultDetailRequest{CID: 7, Result: false, Detail: -3, RTT: 99}); err != nil {
		t.Fatalf("ReportNATTraversalResultDetail: %v", err)
	}
	key, err := a.nat.GetRelaySignatureKey(ctx, &nat.GetRelaySignatureKeyRequest{})
	if err != nil {
		t.Fatalf("GetRelaySignatureKey: %v", err)
	}
	if key.Mode != 0 || key.Address != "" || key.Port != 0 || key.AddressType != 0 || key.GameServerID != 0 || key.Time.Year() < 2024 {
		t.Fatalf("GetRelaySignatureKey: %+v, want no relay at the current time", key)
	}
}

// TestMalformed: bodies that do not decode answer Core::InvalidArgument
// (the generated decoder), and the service keeps serving.
func TestMalformed(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := start(t, "wiiu")
	a := join(t, srv, 1001)
	ctx := ctxT(t)
	bad := []struct {
		name   string
		method uint32
		body   []byte
	}{
		{"ext: truncated list", nat.MethodRequestProbeInitiationExt, []byte{1, 0, 0}},
		{"ext: list longer than the body", nat.MethodRequestProbeInitiationExt, []byte{0xff, 0xff, 0xff, 0x7f, 2, 0, 'x', 0}},
		{"ext: no station_to_probe", nat.MethodRequestProbeInitiationExt, []byte{0, 0, 0, 0}},
		{"probe: trailing bytes", nat.MethodRequestProbeInitiation, []byte{0, 0, 0, 0, 9}},
		{"properties: short", nat.MethodReportNATProperties, []byte{1, 0, 0, 0, 2, 0}},
		{"result: short", nat.MethodReportNATTraversalResult, []byte{1, 0}},
		{"detail: no rtt", nat.MethodReportNATTraversalResultDetail, []byte{1, 0, 0, 0, 1, 0, 0, 0, 0}},
		{"relay key: extra bytes", nat.MethodGetRelaySignatureKey, []byte{1}},
	}
	for _, tc := range bad {
		m, err := a.Secure.Call(ctx, nat.ProtocolID, tc.method, tc.body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.Success || m.Error&^rmc.ResultErrorBit != rmc.ResultCoreInvalidArgument&^rmc.ResultErrorBit {
			t.Errorf("%s: answer %+v, want Core::InvalidArgument", tc.name, m)
		}
	}
	if _, err := a.nat.ReportNATProperties(ctx, &nat.ReportNATPropertiesRequest{Natm: 1, Natf: 1}); err != nil {
		t.Fatalf("after malformed calls: %v (%v)", err, resultOf(err))
	}
}

// TestProbeGoneTarget: a target that disconnected is skipped and the
// caller still gets its success; a later target in the same list is
// still asked.
func TestProbeGoneTarget(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := start(t, "wiiu")
	a, b, c := join(t, srv, 1001), join(t, srv, 1002), join(t, srv, 1003)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// The server forgets B's station once its session ended.
	deadline := time.Now().Add(wait)
	for {
		r, err := a.sec.RequestUrls(ctxT(t), &secureconnection.RequestUrlsRequest{PID: b.pid, CID: b.cid})
		if err == nil && !r.Result {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B's station still there after its disconnect: %+v, %v", r, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := a.nat.RequestProbeInitiationExt(ctxT(t), &nat.RequestProbeInitiationExtRequest{TargetURLs: []rmc.StationURL{b.public, c.public}, StationToProbe: a.public}); err != nil {
		t.Fatalf("RequestProbeInitiationExt: %v", err)
	}
	c.WaitRequest(t, nat.ProtocolID, nat.MethodInitiateProbe, wait)
}
