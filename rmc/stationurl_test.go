package rmc

import (
	"bytes"
	"strings"
	"testing"
)

func TestStationURLRoundTrip(t *testing.T) {
	for _, s := range []string{
		"prudp:/",
		"prudps:/stream=10;type=2;PID=2;port=60091;address=35.162.205.114;sid=1;CID=1",
		"prudps:/sid=1;port=59201;address=52.10.188.163;PID=2;stream=10;type=2;CID=1",
		"prudp:/address=127.0.0.1;port=36236;natf=0;natm=0;pmp=0;sid=15;type=2;upnp=0;PID=1234567;RVCID=1002",
		"udp:/address=10.0.0.1;port=1;unknownKey=abc;Uri=",
		"prudp:/address=1.2.3.4;port=5;",
		"prudp:/address=1.2.3.4#ip=1;custom=x",
		"prudp:/#",
		"prudp:/a=1#b=2;",
		"weird-scheme:/x=y",
	} {
		u, err := ParseStationURL(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if u.String() != s {
			t.Errorf("round trip %q -> %q", s, u)
		}
		w := NewWriter(wiiu)
		w.StationURL(u)
		w2 := NewWriter(wiiu)
		w2.String(s)
		if !bytes.Equal(w.Bytes(), w2.Bytes()) {
			t.Errorf("%q: Writer.StationURL %x, want %x", s, w.Bytes(), w2.Bytes())
		}
	}
}

// Every station URL in the vectors round-trips with order preserved and
// can be rewritten in place.
func TestStationURLVectors(t *testing.T) {
	urls := vectorStationURLs(t)
	if len(urls) < 5 {
		t.Fatalf("found only %d station urls in the vectors", len(urls))
	}
	for _, s := range urls {
		u, err := ParseStationURL(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if u.String() != s {
			t.Fatalf("round trip %q -> %q", s, u)
		}
		if s == "prudp:/" {
			continue
		}
		keys := make([]string, len(u.Params))
		for i, p := range u.Params {
			keys[i] = p.Key
		}
		c := u.Clone()
		c.SetAddress("192.168.1.20")
		c.SetPort(4242)
		want := s
		if a, ok := u.Address(); ok {
			want = strings.Replace(want, "address="+a, "address=192.168.1.20", 1)
		} else {
			want += ";address=192.168.1.20"
		}
		if p, ok := u.Get("port"); ok {
			want = strings.Replace(want, "port="+p, "port=4242", 1)
		} else {
			want += ";port=4242"
		}
		if c.String() != want {
			t.Fatalf("rewrite %q\n got %q\nwant %q", s, c, want)
		}
		if u.String() != s {
			t.Fatal("Clone shares parameters with the original")
		}
		for i, p := range c.Params[:len(keys)] {
			if p.Key != keys[i] {
				t.Fatalf("order changed: %v", c.Params)
			}
		}
	}
	t.Logf("%d urls", len(urls))
}

func TestStationURLAccessors(t *testing.T) {
	u, err := ParseStationURL("prudps:/address=1.2.3.4;port=60091;PID=2;CID=1;x=abc;big=99999999999;neg=-3;p2=70000")
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := u.Address(); !ok || a != "1.2.3.4" {
		t.Fatal("address")
	}
	if p, ok := u.Port(); !ok || p != 60091 {
		t.Fatal("port")
	}
	if n, ok := u.Int(URLPID); !ok || n != 2 {
		t.Fatal("PID")
	}
	if n, ok := u.Int("big"); !ok || n != 99999999999 {
		t.Fatal("big")
	}
	if n, ok := u.Int("neg"); !ok || n != -3 {
		t.Fatal("neg")
	}
	if _, ok := u.Int("x"); ok {
		t.Fatal("text as int")
	}
	if _, ok := u.Int("missing"); ok {
		t.Fatal("missing")
	}
	if _, ok := u.Get("pid"); ok {
		t.Fatal("keys are case sensitive")
	}
	u.SetInt(URLRVCID, 1002)
	u.Set(URLPID, "7")
	u.Delete("x")
	if got := u.String(); got != "prudps:/address=1.2.3.4;port=60091;PID=7;CID=1;big=99999999999;neg=-3;p2=70000;RVCID=1002" {
		t.Fatalf("edited %q", got)
	}
	u.Set("port", "70000")
	if _, ok := u.Port(); ok {
		t.Fatal("port out of range accepted")
	}
	var empty StationURL
	if _, ok := empty.Port(); ok {
		t.Fatal("empty port")
	}
	empty.Scheme = "prudp"
	empty.Set("address", "1.1.1.1")
	if empty.String() != "prudp:/address=1.1.1.1" {
		t.Fatal(empty.String())
	}
	// Custom section parameters are kept separately.
	c, err := ParseStationURL("prudp:/a=1#a=2")
	if err != nil || len(c.Custom) != 1 || c.Custom[0].Value != "2" {
		t.Fatalf("custom: %+v %v", c, err)
	}
	if v, _ := c.Get("a"); v != "1" {
		t.Fatal("Get must read the main section")
	}
}

func TestStationURLRejects(t *testing.T) {
	for _, s := range []string{
		"prudp",
		"prudp:",
		":/a=1",
		"pr;udp:/a=1",
		"prudp:/a",
		"prudp:/=1",
		"prudp:/a=1;;b=2",
		"prudp:/a=1;;",
		"prudp:/;",
		"prudp:/a=1=2",
		"prudp:/a=1#b",
		"prudp:/a=1#b=2#c=3",
		"prudp:/a=" + strings.Repeat("x", 1024),
	} {
		if u, err := ParseStationURL(s); err == nil {
			t.Errorf("%q accepted as %+v", s, u)
		}
	}
	long := "prudp:/a=" + strings.Repeat("x", MaxStationURLLength-9)
	if _, err := ParseStationURL(long); err != nil || len(long) != MaxStationURLLength {
		t.Fatalf("max length: %v", err)
	}
}

// TestStationURLEmpty: the empty URL (Pretendo's Login sends one for the
// special protocols) parses, reads from a message, prints back as "" and,
// given parameters, prints as a URL that parses.
func TestStationURLEmpty(t *testing.T) {
	u, err := ParseStationURL("")
	if err != nil {
		t.Fatalf("empty url: %v", err)
	}
	if !u.IsEmpty() || u.String() != "" {
		t.Fatalf("empty url parsed as %+v, prints %q", u, u.String())
	}
	if _, ok := u.Address(); ok {
		t.Error("empty url has an address")
	}
	w := NewWriter(wiiu)
	w.String("")
	w.StationURL(u)
	r := NewReader(w.Bytes(), wiiu)
	if got := r.StationURL(); r.Err() != nil || !got.IsEmpty() {
		t.Fatalf("read empty url: %+v, %v", got, r.Err())
	}
	if got := r.StationURL(); r.Err() != nil || !got.IsEmpty() {
		t.Fatalf("written empty url: %+v, %v", got, r.Err())
	}
	u.SetAddress("10.0.0.1")
	if got, err := ParseStationURL(u.String()); err != nil || u.String() != "prudp:/address=10.0.0.1" {
		t.Fatalf("edited empty url prints %q: %+v, %v", u.String(), got, err)
	}
	for _, s := range []string{"prudp:/", ":/", "#"} {
		if u, err := ParseStationURL(s); err == nil && u.IsEmpty() {
			t.Errorf("%q parsed as the empty url", s)
		}
	}
}

func TestReaderStationURL(t *testing.T) {
	w := NewWriter(wiiu)
	w.String("prudp:/a")
	r := NewReader(w.Bytes(), wiiu)
	if u := r.StationURL(); u.Scheme != "" || r.Err() == nil {
		t.Fatalf("malformed url accepted: %v", r.Err())
	}
	// A string of length 0 (no terminator) is the empty URL too.
	r = NewReader(mustHex(t, "0000"), wiiu)
	if u := r.StationURL(); r.Err() != nil || !u.IsEmpty() {
		t.Fatalf("null string: %+v, %v", u, r.Err())
	}
}
