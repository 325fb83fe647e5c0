"""Runner shared by interop.py and interop_more.py: two NintendoClients
consoles against one game of `nexproxy serve`, for each platform profile of
the interop harness (../shared/interop/nexharness.py).

A script gives its steps as a list of Step; run() parses the command line,
logs the consoles in for each selected profile and runs the steps in order,
printing one line per step and a last line "N passed, N failed". The exit
status is 0 only when every step of every profile passed.

Command line (every script):
  --profile P     friends, wiiu, 3ds or switch; repeat it for several
                  (default: all four)
  --host H        the games' address (default 127.0.0.1)
  --port N        the authentication port, with a single --profile
  --base-port N   the ports of a config laid out like /tmp/mm3-interop's:
                  friends N, wiiu N+10, 3ds N+20, switch N+30 (default 61700)
  --ca FILE       CA certificate the Switch client (wss) trusts
                  (default /tmp/interop/tls/ca.crt; sets SSL_CERT_FILE)
  --timeout S     longest wait of one step (default 15)
  -v              NintendoClients' log on stderr (-vv: debug)

Each game needs accounts 1234567 and 1234568 (password testpassword).
NintendoClients comes from PYTHONPATH (. /tmp/interop/env.sh), the harness
(nexharness.py, nex_client.py) from ../shared/interop beside the checkout.
"""
import argparse
import contextlib
import os
import sys
import time

import anyio

# The harness is ../shared/interop beside the checkout (as ../shared/vectors).
_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), *[os.pardir] * 4)
sys.path.insert(0, os.path.normpath(os.path.join(_ROOT, os.pardir, "shared", "interop")))
import nexharness as H  # noqa: E402
import nex_client  # noqa: E402  (its wss helpers: CA file, RFC 6455 key)
from nintendo.nex import backend, common, matchmaking, nattraversal, notification, rmc, secure, streams  # noqa: E402

ORDER = ["friends", "wiiu", "3ds", "switch"]
PASSWORD = "testpassword"
PIDS = (1234567, 1234568)


class Skip(Exception):
	"""Raised by a step when the game does not serve what the rest of the
	steps test, by design: the step and every later one are skipped."""


class Failed(Exception):
	pass


def expect(cond, message):
	if not cond:
		raise Failed(message)


class MatchmakeExtensionClient(matchmaking.MatchmakeExtensionClient):
	"""NintendoClients' MatchmakeExtension client, except that the answers
	of CreateMatchmakeSession, JoinMatchmakeSession and
	JoinMatchmakeSessionEx carry the session key from NEX 3.0 only
	(services.md §2.7, §2.8; protocols.md): NintendoClients reads it at
	every version. Before NEX 3.0 Create answers the gid alone and the
	joins nothing; session_key is then b"" here."""

	def _old(self):
		return self.settings["nex.version"] < 30000

	async def _call(self, method, write):
		out = streams.StreamOut(self.settings)
		write(out)
		data = await self.client.request(self.PROTOCOL_ID, method, out.get())
		return streams.StreamIn(data, self.settings)

	@staticmethod
	def _end(stream):
		if not stream.eof():
			raise ValueError("answer of %d bytes, %d read" % (stream.size(), stream.tell()))

	async def create_matchmake_session(self, gathering, description, num_participants):
		if not self._old():
			return await super().create_matchmake_session(gathering, description, num_participants)

		def write(out):
			out.anydata(gathering)
			out.string(description)
			out.u16(num_participants)
		stream = await self._call(self.METHOD_CREATE_MATCHMAKE_SESSION, write)
		r = rmc.RMCResponse()
		r.gid, r.session_key = stream.u32(), b""
		self._end(stream)
		return r

	async def join_matchmake_session(self, gid, message):
		if not self._old():
			return await super().join_matchmake_session(gid, message)

		def write(out):
			out.u32(gid)
			out.string(message)
		self._end(await self._call(self.METHOD_JOIN_MATCHMAKE_SESSION, write))
		return b""

	async def join_matchmake_session_ex(self, gid, gmessage, ignore_block_list, num_participants):
		if not self._old():
			return await super().join_matchmake_session_ex(gid, gmessage, ignore_block_list, num_participants)

		def write(out):
			out.u32(gid)
			out.string(gmessage)
			out.bool(ignore_block_list)
			out.u16(num_participants)
		self._end(await self._call(self.METHOD_JOIN_MATCHMAKE_SESSION_EX, write))
		return b""


class Step:
	def __init__(self, name, func, critical=False, connects=False, only=None):
		self.name = name
		self.only = only          # the profiles the step runs for (None: every one)
		self.func = func          # async func(ctx) -> detail string or None
		self.critical = critical  # a failure leaves nothing for later steps
		self.connects = connects  # enters connection contexts: not under a cancel scope


class Console:
	"""One logged-in console: its secure connection and what the server
	sent it (notifications, InitiateProbe)."""

	def __init__(self, pid):
		self.pid = pid
		self.client = None
		self.events = []          # NotificationEvent, in arrival order
		self.probes = []          # station URLs of InitiateProbe calls
		self.station = None       # the URL it registered
		self.rvcid = None
		self.stack = contextlib.AsyncExitStack()  # its connections; closing it logs it out
		self.changed = anyio.Event()
		console = self

		class Notif(notification.NotificationServer):
			async def process_notification_event(self, client, event):
				console.events.append(event)
				console.poke()

		class NAT(nattraversal.NATTraversalServer):
			async def initiate_probe(self, client, station):
				console.probes.append(station)
				console.poke()

		self.servers = [Notif(), NAT()]

	def poke(self):
		self.changed.set()
		self.changed = anyio.Event()

	async def wait_for(self, pred, timeout):
		"""Waits until pred() is true; returns its value (None on timeout)."""
		with anyio.move_on_after(timeout):
			while True:
				v = pred()
				if v:
					return v
				await self.changed.wait()
		return pred() or None


class Context:
	"""What the steps of one profile share."""

	def __init__(self, profile, host, port, timeout):
		self.profile = profile
		self.settings = profile.settings()
		self.nex = self.settings["nex.version"]
		self.host, self.port, self.timeout = host, port, timeout
		self.c1, self.c2 = Console(PIDS[0]), Console(PIDS[1])
		self.token = int(time.time()) & 0xFFFFFF  # tells this run's sessions from earlier ones
		self.data = {}

	async def login(self, console):
		be = await console.stack.enter_async_context(backend.connect(self.settings, self.host, self.port))
		console.client = await console.stack.enter_async_context(
			be.login(str(console.pid), PASSWORD, servers=console.servers))
		expect(console.client.pid() == console.pid, "logged in as %s" % console.client.pid())
		return "pid %d" % console.pid

	def local_station(self, console, typ):
		host, port = console.client.local_address()
		return common.StationURL("prudp", address=host, port=port, natf=0, natm=0, pmp=0,
		                         sid=console.client.local_sid(), type=typ, upnp=0)

	async def register(self, console, typ=2):
		"""Registers the console's local station; typ 2 says it is public
		(as nex_client.py does), 1 behind NAT."""
		url = self.local_station(console, typ)
		r = await secure.SecureConnectionClient(console.client).register([url])
		expect(r.result.is_success(), "Register: %s" % r.result)
		expect(r.connection_id != 0, "Register: RVCID 0")
		console.station, console.rvcid = url, r.connection_id
		return "pid %d RVCID %d public %s" % (console.pid, r.connection_id, r.public_station)


def login_steps():
	"""The steps every script starts with: both consoles log in."""
	return [
		Step("login %d" % PIDS[0], lambda c: c.login(c.c1), critical=True, connects=True),
		Step("login %d" % PIDS[1], lambda c: c.login(c.c2), critical=True, connects=True),
	]


def describe(e):
	while isinstance(e, BaseExceptionGroup) and len(e.exceptions) == 1:
		e = e.exceptions[0]
	if isinstance(e, TimeoutError):
		return "timed out"
	return "%s: %s" % (e.__class__.__name__, e)


async def run_profile(name, steps, host, port, timeout, totals):
	ctx = Context(H.PROFILES[name], host, port, timeout)
	passed = failed = skipped = 0
	stop = None  # (kind, reason) once the rest is not run
	try:
		for st in steps:
			if st.only is not None and name not in st.only:
				continue
			if stop:
				kind, reason = stop
				print("%-8s %-4s %s: %s" % (name, kind, st.name, reason), flush=True)
				if kind == "SKIP":
					skipped += 1
				else:
					failed += 1
				continue
			start = time.perf_counter()
			try:
				if st.connects:
					detail = await st.func(ctx)
				else:
					with anyio.fail_after(timeout):
						detail = await st.func(ctx)
			except Skip as e:
				print("%-8s SKIP %s: %s" % (name, st.name, e), flush=True)
				skipped += 1
				stop = ("SKIP", "skipped (%s)" % e)
				continue
			except Exception as e:  # noqa: BLE001 - every failure is reported
				print("%-8s FAIL %s: %s" % (name, st.name, describe(e)), flush=True)
				failed += 1
				if st.critical:
					stop = ("FAIL", "not run: an earlier step failed")
				continue
			ms = (time.perf_counter() - start) * 1000
			print("%-8s ok   %s (%.0f ms)%s" % (name, st.name, ms, ": " + detail if detail else ""), flush=True)
			passed += 1
	finally:
		for console in (ctx.c2, ctx.c1):
			try:
				await console.stack.aclose()
			except Exception as e:  # noqa: BLE001
				print("%-8s FAIL disconnect %d: %s" % (name, console.pid, describe(e)), flush=True)
				failed += 1
	print("%-8s %d passed, %d failed%s" % (name, passed, failed, ", %d skipped" % skipped if skipped else ""), flush=True)
	totals[0] += passed
	totals[1] += failed


def parse_args(doc):
	p = argparse.ArgumentParser(description=doc.splitlines()[0])
	p.add_argument("--profile", action="append", choices=ORDER, help="repeatable; default: all")
	p.add_argument("--host", default="127.0.0.1")
	p.add_argument("--port", type=int, help="authentication port (with one --profile)")
	p.add_argument("--base-port", type=int, default=61700,
	               help="friends at N, wiiu N+10, 3ds N+20, switch N+30 (default 61700)")
	p.add_argument("--ca", help="CA certificate for the Switch profile (default /tmp/interop/tls/ca.crt)")
	p.add_argument("--timeout", type=float, default=15)
	p.add_argument("-v", "--verbose", action="count", default=0)
	a = p.parse_args()
	a.profile = a.profile or ORDER
	if a.port is not None and len(a.profile) != 1:
		p.error("--port needs exactly one --profile (use --base-port for several)")
	return a


def run(doc, steps):
	"""Runs steps (a function of no arguments returning the list of Step)
	for every selected profile and exits with the result."""
	a = parse_args(doc)
	H.setup_logging(a.verbose)
	if "switch" in a.profile:
		nex_client.configure_ca(a)
	nex_client._use_rfc_ws_key()
	totals = [0, 0]

	async def main():
		for name in a.profile:
			port = a.port if a.port is not None else a.base_port + 10 * ORDER.index(name)
			await run_profile(name, steps(), a.host, port, a.timeout, totals)

	anyio.run(main)
	print("%d passed, %d failed" % tuple(totals), flush=True)
	sys.exit(0 if totals[1] == 0 and totals[0] > 0 else 1)
