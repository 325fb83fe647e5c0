package rmc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxStationURLLength bounds the text of a station URL, as nex-go does.
const MaxStationURLLength = 1024

// StationURL keys (rmc.md §5). Keys are case sensitive.
//
//	Key                Value        Meaning
//	address            text (IPv4)  host address
//	port               int          UDP/TCP port
//	stream             int          PRUDP stream type (10 = RVSecure)
//	sid                int          PRUDP port (stream id) of the endpoint
//	PID                int          principal id of the station's owner
//	CID                int          connection id, echoed in the secure CONNECT
//	RVCID              int          Rendez-Vous connection id from Register
//	type               int flags    1 behind NAT, 2 public, 3 public address of a NATed client
//	natm               int          NAT mapping: 0 unknown, 1 EIM, 2 EDM
//	natf               int          NAT filtering: 0 unknown, 1 port-independent, 2 port-dependent
//	upnp               0/1          UPnP available
//	pmp                0/1          NAT-PMP available
//	probeinit          0/1          probe request initiation
//	PRID               int          probe request id
//	fastproberesponse  0/1          fast probe response
//	NodeID             int          node id
//	Uri                text         URI (Switch)
//	R                  0/1          use a relay server (Switch)
//	Rsa                text         relay server address (Switch)
//	Rsp                int          relay server port (Switch)
//	Ra                 text         relay address (Switch)
//	Rp                 int          relay port (Switch)
//	Tpt                int          transport protocol type (Switch)
//	Pl                 int          platform type (Switch)
//	Ntrpa              text         NAT traversal requester private address (Switch)
//	Ntrpp              int          NAT traversal requester private port (Switch)
const (
	URLAddress           = "address"
	URLPort              = "port"
	URLStream            = "stream"
	URLSID               = "sid"
	URLPID               = "PID"
	URLCID               = "CID"
	URLRVCID             = "RVCID"
	URLType              = "type"
	URLNatMapping        = "natm"
	URLNatFiltering      = "natf"
	URLUPnP              = "upnp"
	URLPMP               = "pmp"
	URLProbeInit         = "probeinit"
	URLPRID              = "PRID"
	URLFastProbeResponse = "fastproberesponse"
	URLNodeID            = "NodeID"
	URLUri               = "Uri"
	URLRelay             = "R"
	URLRelayServerAddr   = "Rsa"
	URLRelayServerPort   = "Rsp"
	URLRelayAddr         = "Ra"
	URLRelayPort         = "Rp"
	URLTransportType     = "Tpt"
	URLPlatform          = "Pl"
	URLNatReqPrivAddr    = "Ntrpa"
	URLNatReqPrivPort    = "Ntrpp"
)

// URLParam is one key=value pair of a station URL.
type URLParam struct {
	Key, Value string
}

// StationURL is a parsed station URL that keeps everything needed to print
// the input again: parameter order (servers differ and a rewriting proxy
// must not reorder), unknown keys, the optional "#" custom section and a
// trailing ";" in either section.
type StationURL struct {
	// Scheme is "prudp", "prudps" or "udp" in practice; others are kept.
	Scheme string
	// Params are the parameters in wire order.
	Params []URLParam
	// Custom are the parameters after "#" (nex-go), in wire order.
	Custom []URLParam
	// HasCustom records a "#" even when no custom parameter follows it.
	HasCustom bool
	// trailing records a ";" after the last parameter of each section.
	trailingParams, trailingCustom bool
}

var errURLSyntax = errors.New("malformed station url")

// ParseStationURL parses "<scheme>:/<k>=<v>;...[#<k>=<v>;...]". It rejects
// text over MaxStationURLLength, an empty or missing scheme, empty keys,
// a parameter without "=", and ";", "=" or "#" where they cannot be.
// The empty text is the empty URL (IsEmpty): servers send it where they
// have no station to name (Pretendo's Login leaves the special protocols'
// URL empty), and it prints back as "".
func ParseStationURL(s string) (StationURL, error) {
	var u StationURL
	if s == "" {
		return u, nil
	}
	if len(s) > MaxStationURLLength {
		return u, fmt.Errorf("rmc: station url: %d characters, limit %d: %w", len(s), MaxStationURLLength, errURLSyntax)
	}
	i := strings.Index(s, ":/")
	if i <= 0 {
		return u, fmt.Errorf("rmc: station url %q: no scheme: %w", s, errURLSyntax)
	}
	u.Scheme = s[:i]
	if strings.ContainsAny(u.Scheme, ";=#") {
		return u, fmt.Errorf("rmc: station url %q: bad scheme: %w", s, errURLSyntax)
	}
	rest := s[i+2:]
	main, custom, hasCustom := strings.Cut(rest, "#")
	var err error
	if u.Params, u.trailingParams, err = parseURLParams(main); err != nil {
		return StationURL{}, fmt.Errorf("rmc: station url %q: %w", s, err)
	}
	if hasCustom {
		u.HasCustom = true
		if u.Custom, u.trailingCustom, err = parseURLParams(custom); err != nil {
			return StationURL{}, fmt.Errorf("rmc: station url %q: custom section: %w", s, err)
		}
	}
	return u, nil
}

func parseURLParams(s string) ([]URLParam, bool, error) {
	if s == "" {
		return nil, false, nil
	}
	trailing := strings.HasSuffix(s, ";")
	if trailing {
		s = s[:len(s)-1]
	}
	ps := make([]URLParam, 0, strings.Count(s, ";")+1)
	for s != "" || len(ps) == 0 {
		seg, next, more := strings.Cut(s, ";")
		k, v, ok := strings.Cut(seg, "=")
		if !ok || k == "" || strings.ContainsAny(v, "=#") || strings.Contains(k, "#") {
			return nil, false, fmt.Errorf("parameter %q: %w", seg, errURLSyntax)
		}
		ps = append(ps, URLParam{Key: k, Value: v})
		if !more {
			break
		}
		if next == "" {
			return nil, false, fmt.Errorf("empty parameter: %w", errURLSyntax)
		}
		s = next
	}
	return ps, trailing, nil
}

// String prints the URL; for any parsed input it is the input itself.
func (u StationURL) String() string {
	return string(u.appendString(make([]byte, 0, u.size())))
}

// defaultScheme is printed for an empty URL given parameters.
const defaultScheme = "prudp"

func (u *StationURL) size() int {
	n := len(u.Scheme) + len(defaultScheme) + 3
	for _, p := range u.Params {
		n += len(p.Key) + len(p.Value) + 2
	}
	for _, p := range u.Custom {
		n += len(p.Key) + len(p.Value) + 2
	}
	return n
}

// IsEmpty reports whether u is the empty URL: no scheme, no parameters.
func (u *StationURL) IsEmpty() bool {
	return u.Scheme == "" && len(u.Params) == 0 && len(u.Custom) == 0 && !u.HasCustom
}

func (u *StationURL) appendString(b []byte) []byte {
	if u.IsEmpty() {
		return b
	}
	if u.Scheme == "" {
		// Parameters set on the empty URL: it must print as one that
		// parses.
		b = append(b, defaultScheme...)
	}
	b = append(b, u.Scheme...)
	b = append(b, ":/"...)
	b = appendURLParams(b, u.Params, u.trailingParams)
	if u.HasCustom || len(u.Custom) > 0 {
		b = append(b, '#')
		b = appendURLParams(b, u.Custom, u.trailingCustom)
	}
	return b
}

func appendURLParams(b []byte, ps []URLParam, trailing bool) []byte {
	for i, p := range ps {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, p.Key...)
		b = append(b, '=')
		b = append(b, p.Value...)
	}
	if trailing && len(ps) > 0 {
		b = append(b, ';')
	}
	return b
}

// Get returns the value of the first main-section parameter named key.
func (u *StationURL) Get(key string) (string, bool) {
	for _, p := range u.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Set changes the first parameter named key in place, keeping its position,
// or appends the parameter when the key is absent.
func (u *StationURL) Set(key, value string) {
	for i := range u.Params {
		if u.Params[i].Key == key {
			u.Params[i].Value = value
			return
		}
	}
	u.Params = append(u.Params, URLParam{Key: key, Value: value})
}

// Delete removes every main-section parameter named key.
func (u *StationURL) Delete(key string) {
	out := u.Params[:0]
	for _, p := range u.Params {
		if p.Key != key {
			out = append(out, p)
		}
	}
	u.Params = out
}

// Int returns the value of key as a decimal integer.
func (u *StationURL) Int(key string) (int64, bool) {
	v, ok := u.Get(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// SetInt sets key to the decimal form of v (see Set).
func (u *StationURL) SetInt(key string, v int64) { u.Set(key, strconv.FormatInt(v, 10)) }

// Address returns the "address" parameter.
func (u *StationURL) Address() (string, bool) { return u.Get(URLAddress) }

// Port returns the "port" parameter when it is a valid port number.
func (u *StationURL) Port() (uint16, bool) {
	n, ok := u.Int(URLPort)
	if !ok || n < 0 || n > 65535 {
		return 0, false
	}
	return uint16(n), true
}

// SetAddress sets the "address" parameter in place.
func (u *StationURL) SetAddress(addr string) { u.Set(URLAddress, addr) }

// SetPort sets the "port" parameter in place.
func (u *StationURL) SetPort(port uint16) { u.SetInt(URLPort, int64(port)) }

// Clone returns a copy whose parameter slices can be edited independently.
func (u StationURL) Clone() StationURL {
	u.Params = append([]URLParam(nil), u.Params...)
	u.Custom = append([]URLParam(nil), u.Custom...)
	return u
}
