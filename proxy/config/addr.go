package config

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// checkListen returns why s is not a usable listen address, or "".
// The host must be empty (every interface), an IP literal or "localhost":
// a listener bound to a name that resolves elsewhere later is a surprise
// nobody wants, and port 0 would give consoles nothing to point at.
func checkListen(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf(`%q is not host:port (e.g. "0.0.0.0:60000")`, s)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Sprintf("%q: listen host must be an IP address, \"localhost\" or empty", s)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q: port must be between 1 and 65535", s)
	}
	return ""
}

// validHostPort reports whether s is host:port with a non-empty host and a
// port in 1..65535 (an upstream or metrics address).
func validHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || strings.ContainsAny(host, " /") {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// listenKey identifies a listen address for clash detection: the port,
// and the host in canonical form ("" for every interface).
type listenKey struct {
	host string
	port string
}

func parseListenKey(s string) (listenKey, bool) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return listenKey{}, false
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	if host != "" {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return listenKey{}, false
		}
		a = a.Unmap()
		if a.IsUnspecified() {
			host = ""
		} else {
			host = a.String()
		}
	}
	return listenKey{host: host, port: port}, true
}

// overlaps reports whether binding both addresses would fight over one
// port: same port, and the same host or a wildcard on either side.
func (k listenKey) overlaps(o listenKey) bool {
	return k.port == o.port && (k.host == o.host || k.host == "" || o.host == "")
}

// checkReadable reports a file that cannot be opened under key k.
func checkReadable(t *table, k, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.bad(k, "%v", err)
		return
	}
	_ = f.Close()
}

// checkAdvertise returns why s cannot be named in station URLs, or "".
func checkAdvertise(s string) string {
	if s == "" {
		return `required: the address consoles reach nexproxy at, named in the station URLs it hands out (e.g. "192.168.1.10")`
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.IsUnspecified() {
			return fmt.Sprintf("%q cannot be reached: give the address consoles use to reach this machine", s)
		}
		return ""
	}
	if _, _, err := net.SplitHostPort(s); err == nil {
		return fmt.Sprintf("%q: give a host without port (each game's listen port is used)", s)
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Sprintf("%q is neither an IP address nor a host name", s)
		}
	}
	return ""
}
