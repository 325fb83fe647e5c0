"""Health interop: NintendoClients' HealthClient against nexproxy.

Run `go run ./cmd/nexproxy serve` (bundled config.toml), then
  . /tmp/interop/env.sh; $PY proxy/builtin/health/testdata/interop_health.py [HOST PORT PROFILE]
It logs in as the interop user (wiiu game by default) and calls the four
Health methods; exits 0 when each answers true.
"""

import sys

import anyio

sys.path.insert(0, "/work/shared/interop")
import nexharness as H  # noqa: E402

from nintendo.nex import backend, health  # noqa: E402


async def main(host, port, profile_name):
	profile = H.PROFILES[profile_name]
	s = profile.settings()
	async with backend.connect(s, host, port) as be:
		async with be.login(str(H.DEFAULT_USER_PID), H.DEFAULT_USER_PASSWORD) as client:
			h = health.HealthClient(client)
			for name in ("ping_daemon", "ping_database", "run_sanity_check", "fix_sanity_errors"):
				result = await getattr(h, name)()
				print("%s: %r" % (name, result))
				assert result is True, name
	print("interop health: PASS")


anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1",
	int(sys.argv[2]) if len(sys.argv) > 2 else 60010, sys.argv[3] if len(sys.argv) > 3 else "wiiu")
