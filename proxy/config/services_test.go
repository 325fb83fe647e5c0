package config_test

// The bundled config.toml configures built-in services ([games.utility], [games.ranking]),
// whose tables exist once the services are linked in, as in the binary, and
// the web view's [web].
import (
	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/ranking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/utility"
	_ "github.com/nexproxy/nexproxy/proxy/webview"
)
