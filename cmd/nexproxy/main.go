// Command nexproxy is a transparent man-in-the-middle proxy and local server
// for Nintendo NEX game servers.
//
//	nexproxy serve      run the proxy / local server described by config.toml
//	nexproxy check      validate config.toml and every Lua script
//	nexproxy decode     print a session log as a readable transcript
//	nexproxy bench      measure logins/s, calls/s and latency of a server
//	nexproxy accounts   add, list, change and remove the accounts in the store
//	nexproxy replay     serve the games from recorded session logs
//	nexproxy version    print the version
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "nexproxy:", err)
		os.Exit(1)
	}
}
