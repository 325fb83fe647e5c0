"""Two NintendoClients consoles against nexproxy's built-in matchmaking and
NAT traversal, for each platform profile (friends, wiiu, 3ds over UDP,
switch over wss).

The flow: both consoles log in and Register a station URL (console 1 a
public one, type 2, console 2 one behind NAT, type 1); console 1 creates a matchmake session; console 2 auto-matchmakes
(AutoMatchmakeWithSearchCriteria_Postpone, criteria matching it) into it;
console 1 receives the 3001 notification (type, source pid, gid, joiner,
join message, and the participant count from NEX 3.5); GetSessionURLs
returns console 1's registered URL; console 2 asks for a NAT probe
(RequestProbeInitiationExt to console 1's URLs) and console 1, serving
NATTraversal on its connection, receives InitiateProbe with console 2's
station; the NAT properties both report show in GetSessionURLs and
GetParticipantsURLs;
ReportNATTraversalResult (with and without the trailing rtt) and
ReportNATTraversalResultDetail are answered; GetRelaySignatureKey on
Switch. Then browse, join, auto-matchmake into a new session, URLs, find,
end participation and their 3001/3008 notifications; on Switch (NEX 4)
also AutoMatchmakeWithParam_Postpone and its 3001. Last, console 2 logs
out and console 1 gets 3007 for the flow's session.

Run against `nexproxy serve` with the games of /tmp/mm3-interop/config.toml
(friends 127.0.0.1:61700, wiiu 61710, 3ds 61720, switch 61730 over wss with
/tmp/interop/tls) and accounts 1234567 and 1234568 (password testpassword):
  . /tmp/interop/env.sh
  $PY proxy/builtin/matchmaking/testdata/interop.py                  # every profile
  $PY proxy/builtin/matchmaking/testdata/interop.py --profile 3ds --port 61720
Options: see mminterop.py (--profile, --host, --port, --base-port, --ca).
Prints one line per step and ends with "N passed, N failed".
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anyio
from mminterop import MatchmakeExtensionClient, Step, Skip, expect, login_steps, run
from nintendo.nex import common, matchmaking, nattraversal, streams

FLOW_MODE, MODE, PARAM_MODE = 5, 3, 11  # game modes of the flow's session and of the later ones


def session(ctx, mode):
	s = matchmaking.MatchmakeSession()
	s.min_participants, s.max_participants = 1, 4
	s.game_mode = mode
	s.attribs = [1, 0, 2, ctx.token, 0, 0]
	s.matchmake_system = 1
	s.application_data = b"interop"
	return s


class Criteria(common.Structure):
	"""MatchmakeSessionSearchCriteria as NintendoClients encodes it, except
	that selection_method is left out before NEX 3.0: NintendoClients
	writes it at every version, but it is a NEX 3.0 field (protocols.md,
	nex-protocols-go), so a NEX 2 game reads the criteria without it."""

	def __init__(self):
		super().__init__()
		self.c = matchmaking.MatchmakeSessionSearchCriteria()

	def __getattr__(self, name):
		return getattr(self.__dict__["c"], name)

	def __setattr__(self, name, value):
		if name == "c":
			self.__dict__["c"] = value
		else:
			setattr(self.c, name, value)

	def max_version(self, settings):
		return self.c.max_version(settings)

	def save(self, stream, version):
		if stream.settings["nex.version"] >= 30000:
			return self.c.save(stream, version)
		stream.list(self.attribs, stream.string)
		for v in (self.game_mode, self.min_participants, self.max_participants, self.matchmake_system):
			stream.string(v)
		for v in (self.vacant_only, self.exclude_locked, self.exclude_non_host_pid):
			stream.bool(v)


def criteria(ctx, mode):
	c = Criteria()
	c.attribs = ["1", "", "", str(ctx.token), "", ""]
	c.game_mode = str(mode)
	c.min_participants = c.max_participants = c.matchmake_system = ""
	c.vacant_only, c.exclude_locked, c.exclude_non_host_pid = True, True, False
	c.selection_method, c.vacant_participants = 0, 1
	return c


def same_station(a, b):
	"""Equal address, port and the parameters a sets (b may add PID,
	RVCID...)."""
	return a.scheme() == b.scheme() and all(str(b.params.get(k)) == str(v) for k, v in a.params.items())


async def register(ctx):
	d1 = await ctx.register(ctx.c1, 2)  # a public station
	d2 = await ctx.register(ctx.c2, 1)  # a station behind NAT
	return d1 + "; " + d2


async def create(ctx):
	mx = MatchmakeExtensionClient(ctx.c1.client)
	try:
		r = await mx.create_matchmake_session(session(ctx, FLOW_MODE), "flow", 1)
	except common.RMCError as e:
		if e.name() == "Core::NotImplemented":
			raise Skip("the %s game serves no matchmaking (CreateMatchmakeSession: %s)" % (ctx.profile.name, e.name()))
		raise
	expect(r.gid != 0, "gid 0")
	if ctx.nex >= 30000:
		expect(len(r.session_key) == 32, "session key of %d bytes" % len(r.session_key))
	ctx.data["gid"], ctx.data["key"] = r.gid, r.session_key
	return "gid %d, session key %d bytes" % (r.gid, len(r.session_key))


async def auto(ctx):
	gid = ctx.data["gid"]
	mx = MatchmakeExtensionClient(ctx.c2.client)
	g = await mx.auto_matchmake_with_search_criteria_postpone([criteria(ctx, FLOW_MODE)], session(ctx, FLOW_MODE), "auto join")
	expect(isinstance(g, matchmaking.MatchmakeSession), "answer is a %s" % type(g).__name__)
	expect(g.id == gid, "matched gid %d, console 1's session is %d" % (g.id, gid))
	expect(g.owner == ctx.c1.pid and g.host == ctx.c1.pid, "owner %d host %d" % (g.owner, g.host))
	expect(g.num_participants == 2, "%d participants" % g.num_participants)
	expect(g.game_mode == FLOW_MODE and list(g.attribs)[:4] == [1, 0, 2, ctx.token], "mode %d attribs %s" % (g.game_mode, g.attribs))
	if ctx.nex >= 30000:
		expect(g.session_key == ctx.data["key"], "session key differs from the creator's")
	return "joined gid %d (owner %d, %d participants)" % (g.id, g.owner, g.num_participants)


async def notified_3001(ctx):
	gid = ctx.data["gid"]
	e = await ctx.c1.wait_for(lambda: next((e for e in ctx.c1.events if e.type == 3001 and e.param1 == gid), None), 5)
	expect(e is not None, "no 3001 for gid %d; got %s" % (gid, [(x.type, x.param1) for x in ctx.c1.events]))
	expect(e.pid == ctx.c2.pid, "source pid %d" % e.pid)
	expect(e.param2 == ctx.c2.pid, "param2 (joiner) %d" % e.param2)
	expect(e.text == "auto join", "text %r" % e.text)
	if ctx.nex >= 30500:
		expect(e.param3 == 2, "param3 (participants) %d" % e.param3)
	expect(not any(x.type == 3001 and x.param1 == gid for x in ctx.c2.events), "the joiner got a 3001 too")
	return "type %d pid %d param1 %d param2 %d text %r param3 %d" % (e.type, e.pid, e.param1, e.param2, e.text, e.param3)


async def session_urls(ctx):
	urls = await matchmaking.MatchMakingClient(ctx.c2.client).get_session_urls(ctx.data["gid"])
	mine = [u for u in urls if same_station(ctx.c1.station, u)]
	expect(mine, "console 1's registered %s not among %s" % (ctx.c1.station, [str(u) for u in urls]))
	expect(all(u["PID"] == ctx.c1.pid and u["RVCID"] == ctx.c1.rvcid for u in urls),
	       "URLs not all of pid %d RVCID %d: %s" % (ctx.c1.pid, ctx.c1.rvcid, [str(u) for u in urls]))
	ctx.data["urls"] = urls
	return ", ".join(str(u) for u in urls)


async def probe(ctx):
	target = ctx.data["urls"]
	station = ctx.c2.station.copy()
	station["PID"], station["RVCID"] = ctx.c2.pid, ctx.c2.rvcid
	await nattraversal.NATTraversalClient(ctx.c2.client).request_probe_initiation_ext(target, station)
	got = await ctx.c1.wait_for(lambda: list(ctx.c1.probes), 5)
	expect(got, "console 1 received no InitiateProbe")
	await anyio.sleep(0.3)  # a duplicate would arrive by now
	expect(len(ctx.c1.probes) == 1, "%d InitiateProbe calls for one RVCID" % len(ctx.c1.probes))
	expect(same_station(station, ctx.c1.probes[0]) and same_station(ctx.c1.probes[0], station),
	       "InitiateProbe station %s, sent %s" % (ctx.c1.probes[0], station))
	expect(not ctx.c2.probes, "the requester was probed too")
	return "console 1 got InitiateProbe(%s)" % ctx.c1.probes[0]


async def nat_properties(ctx):
	gid = ctx.data["gid"]
	await nattraversal.NATTraversalClient(ctx.c1.client).report_nat_properties(1, 2, 30)
	await nattraversal.NATTraversalClient(ctx.c2.client).report_nat_properties(2, 1, 40)
	urls = await matchmaking.MatchMakingClient(ctx.c2.client).get_session_urls(gid)
	expect(any(u["natm"] == 1 and u["natf"] == 2 for u in urls), "console 1's natm=1 natf=2 not in %s" % [str(u) for u in urls])
	# Console 2's, through GetParticipantsURLs on console 1.
	parts = await matchmaking.MatchMakingClient(ctx.c1.client).get_participants_urls(gid)
	theirs = [u for u in parts if u["PID"] == ctx.c2.pid]
	expect(any(u["natm"] == 2 and u["natf"] == 1 for u in theirs), "console 2's natm=2 natf=1 not in %s" % [str(u) for u in parts])
	return "GetSessionURLs %s; GetParticipantsURLs %s" % (", ".join(str(u) for u in urls), ", ".join(str(u) for u in parts))


async def nat_results(ctx):
	nat = nattraversal.NATTraversalClient(ctx.c2.client)
	await nat.report_nat_traversal_result(ctx.c1.rvcid, True)
	# The Wii U and Switch form with the trailing rtt (protocols.md §3),
	# which NintendoClients' schema omits.
	s = streams.StreamOut(ctx.settings)
	s.u32(ctx.c1.rvcid); s.bool(False); s.u32(25)
	body = await ctx.c2.client.request(nat.PROTOCOL_ID, nat.METHOD_REPORT_NAT_TRAVERSAL_RESULT, s.get())
	expect(body == b"", "ReportNATTraversalResult with rtt answered %r" % body)
	await nat.report_nat_traversal_result_detail(ctx.c1.rvcid, True, 0, 25)
	return "answered (without rtt, with rtt, detail)"


async def relay_key(ctx):
	r = await nattraversal.NATTraversalClient(ctx.c1.client).get_relay_signature_key()
	expect(r.mode == 0 and r.address == "" and r.port == 0, "relay mode %d %r:%d" % (r.mode, r.address, r.port))
	return "mode %d time %s" % (r.mode, r.time)


# The steps below are the first version of this script's, on their own
# session (game mode MODE).

async def old_create(ctx):
	r = await MatchmakeExtensionClient(ctx.c1.client).create_matchmake_session(session(ctx, MODE), "hello", 1)
	ctx.data["gid2"], ctx.data["key2"] = r.gid, r.session_key
	expect(r.gid not in (0, ctx.data["gid"]), "gid %d" % r.gid)
	return "gid %d, session key %d bytes" % (r.gid, len(r.session_key))


async def browse(ctx):
	found = await MatchmakeExtensionClient(ctx.c2.client).browse_matchmake_session(criteria(ctx, MODE), common.ResultRange(0, 10))
	expect([g.id for g in found] == [ctx.data["gid2"]], "found %s" % [g.id for g in found])
	return "found %s" % [g.id for g in found]


async def join(ctx):
	key = await MatchmakeExtensionClient(ctx.c2.client).join_matchmake_session(ctx.data["gid2"], "join!")
	expect(key == ctx.data["key2"], "session key differs")
	return None


async def auto_new(ctx):
	g = await MatchmakeExtensionClient(ctx.c2.client).auto_matchmake_postpone(session(ctx, MODE), "auto")
	expect(g.id not in (ctx.data["gid"], ctx.data["gid2"]), "joined %d" % g.id)
	expect(g.num_participants == 1 and g.owner == ctx.c2.pid, "%d participants, owner %d" % (g.num_participants, g.owner))
	return "already in the first, so a new one: gid %d" % g.id


async def old_urls(ctx):
	urls = await matchmaking.MatchMakingClient(ctx.c2.client).get_session_urls(ctx.data["gid2"])
	expect(any(u["port"] == ctx.c1.station["port"] for u in urls), "console 1's port not in %s" % [str(u) for u in urls])
	return None


async def find(ctx):
	fr = await matchmaking.MatchMakingClient(ctx.c2.client).find_by_single_id(ctx.data["gid2"])
	expect(fr.result and fr.gathering.num_participants == 2, "result %s, %d participants" % (fr.result, fr.gathering.num_participants))
	return None


async def end(ctx):
	ok = await matchmaking.MatchMakingClientExt(ctx.c2.client).end_participation(ctx.data["gid2"], "bye")
	expect(ok, "EndParticipation answered false")
	return None


async def notifications(ctx):
	gid = ctx.data["gid2"]
	mine = lambda: [e for e in ctx.c1.events if e.param1 == gid]
	await ctx.c1.wait_for(lambda: len(mine()) >= 2, 5)
	got = [(e.type, e.pid, e.param1, e.param2, e.text, e.param3) for e in mine()]
	expect(len(got) == 2, "notifications for gid %d: %s" % (gid, got))
	expect(got[0][:5] == (3001, ctx.c2.pid, gid, ctx.c2.pid, "join!"), "first %s" % (got[0],))
	expect(got[1][:5] == (3008, ctx.c2.pid, gid, ctx.c2.pid, "bye"), "second %s" % (got[1],))
	return str(got)


async def auto_with_param(ctx):
	"""NEX 4: AutoMatchmakeWithParam_Postpone joins console 1's session
	found by the criteria in the param, and console 1 gets the 3001."""
	r = await MatchmakeExtensionClient(ctx.c1.client).create_matchmake_session(session(ctx, PARAM_MODE), "param", 1)
	p = matchmaking.AutoMatchmakeParam()
	p.session = session(ctx, PARAM_MODE)
	p.participants, p.gid_for_participation_check, p.options = [], 0, 0
	p.join_message, p.num_participants = "with param", 1
	p.search_criteria, p.target_gids = [criteria(ctx, PARAM_MODE)], []
	g = await MatchmakeExtensionClient(ctx.c2.client).auto_matchmake_with_param_postpone(p)
	expect(g.id == r.gid and g.owner == ctx.c1.pid and g.num_participants == 2 and g.session_key == r.session_key,
	       "joined gid %d owner %d, %d participants (console 1's session is %d)" % (g.id, g.owner, g.num_participants, r.gid))
	e = await ctx.c1.wait_for(lambda: next((e for e in ctx.c1.events if e.type == 3001 and e.param1 == r.gid), None), 5)
	expect(e is not None, "no 3001 for gid %d" % r.gid)
	expect((e.pid, e.param2, e.text, e.param3) == (ctx.c2.pid, ctx.c2.pid, "with param", 2),
	       "3001 pid %d param2 %d text %r param3 %d" % (e.pid, e.param2, e.text, e.param3))
	return "joined gid %d; 3001 pid %d param2 %d text %r param3 %d" % (g.id, e.pid, e.param2, e.text, e.param3)


async def disconnect(ctx):
	"""Console 2 logs out: it leaves the flow's session, whose owner gets
	3007 (disconnected)."""
	gid = ctx.data["gid"]
	await ctx.c2.stack.aclose()
	e = await ctx.c1.wait_for(lambda: next((e for e in ctx.c1.events if e.type == 3007 and e.param1 == gid), None), 10)
	expect(e is not None, "no 3007 for gid %d; got %s" % (gid, [(x.type, x.param1) for x in ctx.c1.events]))
	expect(e.pid == ctx.c2.pid and e.param2 == ctx.c2.pid, "3007 pid %d param2 %d" % (e.pid, e.param2))
	fr = await matchmaking.MatchMakingClient(ctx.c1.client).find_by_single_id(gid)
	expect(fr.result and fr.gathering.num_participants == 1, "%d participants left" % fr.gathering.num_participants)
	return "3007 pid %d param1 %d param2 %d; 1 participant left" % (e.pid, e.param1, e.param2)


def steps():
	s = login_steps() + [
		Step("register station URLs", register, critical=True),
		Step("create session (console 1)", create, critical=True),
		Step("auto-matchmake by criteria (console 2)", auto, critical=True),
		Step("3001 to console 1", notified_3001),
		Step("GetSessionURLs", session_urls, critical=True),
		Step("NAT probe: RequestProbeInitiationExt -> InitiateProbe", probe),
		Step("ReportNATProperties", nat_properties),
		Step("ReportNATTraversalResult(Detail)", nat_results),
	]
	s.append(Step("GetRelaySignatureKey", relay_key, only=("switch",)))
	s += [
		Step("create", old_create, critical=True),
		Step("browse", browse),
		Step("join", join),
		Step("auto-matchmake (postpone)", auto_new),
		Step("session urls", old_urls),
		Step("find by single id", find),
		Step("end participation", end),
		Step("3001 and 3008", notifications),
		Step("auto-matchmake with param (NEX 4)", auto_with_param, only=("switch",)),
		Step("console 2 disconnects: 3007 to console 1", disconnect, connects=True),
	]
	return s


if __name__ == "__main__":
	run(__doc__, steps)
