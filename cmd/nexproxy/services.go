package main

// The built-in services nexproxy ships. Each registers itself with the
// builtin registry when linked in; a game serves those its configuration
// makes local.
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
