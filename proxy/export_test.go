package proxy

import (
	"context"

	"github.com/nexproxy/nexproxy/prudp"
)

// DialSecureForTest opens a secure connection at addr with a CONNECT
// payload the test built, so that tests can present tickets and requests
// a well-behaved console would not.
func DialSecureForTest(ctx context.Context, cfg ClientConfig, addr string, payload, key []byte) (*prudp.Conn, error) {
	conn, _, err := dialClient(ctx, cfg, addr, prudp.VPort{Type: prudp.StreamRVSecure, Port: 1}, payload, key, nil)
	return conn, err
}
