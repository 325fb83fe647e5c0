package main

// The built-in services nexproxy ships (proxy/builtin/all links each of
// them, and each registers itself with the builtin registry); a game
// serves those its configuration makes local.
import _ "github.com/nexproxy/nexproxy/proxy/builtin/all"
