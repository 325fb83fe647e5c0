// Package all links every built-in service nexproxy ships: each registers
// itself with the builtin registry when linked in, so importing this
// package (for its side effects) makes all of them available. The binary
// and the tests that exercise every service import it; a new service is
// added here once.
package all

import (
	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/datastore"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/health"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/matchmaking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/nattraversal"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/ranking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/utility"
)
