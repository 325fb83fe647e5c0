"""Interop probe: NintendoClients' client connects to a prudp Listener.

Usage: interop_client.py PROFILE HOST PORT
Connects with nintendo.nex.backend (PRUDP handshake, RMC), sends a login
with the user name "no-such-user" and expects RendezVous::InvalidUsername.
Prints "OK <error>" and exits 0 on success.
"""
import os
import sys

import anyio

sys.path.insert(0, os.environ.get("INTEROP_HARNESS", "/work/shared/interop"))
import nexharness as H  # noqa: E402
from nintendo.nex import authentication, backend, common  # noqa: E402


async def main(profile, host, port):
	with anyio.fail_after(20):
		await probe(profile, host, port)


async def probe(profile, host, port):
	p = H.PROFILES[profile]
	s = p.settings()
	async with backend.connect(s, host, port) as be:
		client = getattr(be, "auth_client", None) or getattr(be, "_auth_client")
		try:
			if p.is_switch:
				auth = authentication.AuthenticationClientNX(client)
				param = authentication.ValidateAndRequestTicketParam()
				param.username = "no-such-user"
				param.data = common.NullData()
				param.nex_version = s["nex.version"]
				param.client_version = s["nex.client_version"]
				await auth.validate_and_request_ticket_with_param(param)
			else:
				await authentication.AuthenticationClient(client).login("no-such-user")
		except common.RMCError as e:
			if e.result().name() != "RendezVous::InvalidUsername":
				raise
			print("OK", e, flush=True)
			return
	raise SystemExit("login with an unknown user succeeded")


anyio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]))
