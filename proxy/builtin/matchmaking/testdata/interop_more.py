"""The rest of the built-in matchmaking against NintendoClients' client
classes, for each platform profile (friends, wiiu, 3ds over UDP, switch over
wss): plain gatherings and the MatchMaking look-ups, communities, block
lists, notification data, the part update and the by-gid auto-matchmake.

Run against `nexproxy serve` with the games of /tmp/mm3-interop/config.toml
(friends 127.0.0.1:61700, wiiu 61710, 3ds 61720, switch 61730 over wss with
/tmp/interop/tls), accounts 1234567 and 1234568 (password testpassword) and
a Lua nex.friends_of that makes them friends:
  . /tmp/interop/env.sh
  $PY proxy/builtin/matchmaking/testdata/interop_more.py             # every profile
  $PY proxy/builtin/matchmaking/testdata/interop_more.py --profile wiiu --port 61710
Options: see mminterop.py (--profile, --host, --port, --base-port, --ca).
Prints one line per step and ends with "N passed, N failed".
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mminterop import MatchmakeExtensionClient, Step, Skip, expect, login_steps, run
from nintendo.nex import common, matchmaking

RANGE = common.ResultRange(0, 10)


def session(ctx, mode=3):
	s = matchmaking.MatchmakeSession()
	s.min_participants, s.max_participants = 1, 4
	s.game_mode = mode
	s.attribs = [1, 0, 2, ctx.token, 0, 0]
	s.matchmake_system = 1
	s.application_data = b"interop"
	return s


def community(typ, password):
	c = matchmaking.PersistentGathering()
	c.min_participants, c.max_participants = 1, 8
	c.description = "club"
	c.type, c.password = typ, password
	c.attribs = [1, 2]
	c.application_buffer = b"buf"
	c.participation_start = common.DateTime(0)
	c.participation_end = common.DateTime(0)
	c.matchmake_session_count = 0
	c.num_participants = 0
	return c


def mm(console):
	return matchmaking.MatchMakingClient(console.client)


def mx(console):
	return MatchmakeExtensionClient(console.client)


async def register_gathering(ctx):
	# NintendoClients' AnyDataHolder knows no plain Gathering class, so the
	# registered gathering is a MatchmakeSession here. Its description is
	# unique to the run: the look-ups below must find it alone.
	g = session(ctx); g.description = "lobby %d" % ctx.token
	try:
		gid = await mm(ctx.c1).register_gathering(g)
	except common.RMCError as e:
		if e.name() == "Core::NotImplemented":
			raise Skip("the %s game serves no matchmaking (RegisterGathering: %s)" % (ctx.profile.name, e.name()))
		raise
	ctx.data["gid"] = gid
	return "gid %d" % gid


async def find_by_type(ctx):
	found = await mm(ctx.c2).find_by_type("MatchmakeSession", RANGE)
	ids = [x.id for x in found]
	expect(ctx.data["gid"] in ids, "gid %d not in %s" % (ctx.data["gid"], ids))
	expect(all(type(x).__name__ == "MatchmakeSession" for x in found), "types %s" % [type(x).__name__ for x in found])
	return "found %s" % ids


async def find_by_description_like(ctx):
	found = await mm(ctx.c2).find_by_description_like("lobby %d%%" % ctx.token, RANGE)
	expect([x.id for x in found] == [ctx.data["gid"]], "found %s" % [x.id for x in found])
	return None


async def state(ctx):
	gid = ctx.data["gid"]
	expect(await mm(ctx.c1).set_state(gid, 2), "SetState answered false")
	st = await mm(ctx.c2).get_state(gid)
	expect(st.result and st.state == 2, "GetState %s %d" % (st.result, st.state))
	return "state %d" % st.state


async def find_by_participants(ctx):
	gid = ctx.data["gid"]
	expect(await mm(ctx.c2).participate(gid, "p"), "Participate answered false")
	found = await mm(ctx.c1).find_by_participants([ctx.c2.pid])
	# Communities outlive their members' connections: those an earlier run
	# made are found too.
	others = [x for x in found if x.id != gid]
	expect(gid in [x.id for x in found] and all(isinstance(x, matchmaking.PersistentGathering) and x.id < gid for x in others),
	       "found %s" % [(x.id, type(x).__name__) for x in found])
	return None


async def create_community(ctx):
	cid = await mx(ctx.c1).create_community(community(1, "secret"), "m")
	await mx(ctx.c2).join_community(cid, "in", "secret")
	cs = await mx(ctx.c2).find_community_by_gathering_id([cid])
	expect(len(cs) == 1, "%d communities" % len(cs))
	c = cs[0]
	# The last field is the caller's participation count in the community:
	# console 2 joined it once; creating it does not count.
	expect(c.num_participants == 1 and c.password == "" and c.type == 1,
	       "participation count %d password %r type %d" % (c.num_participants, c.password, c.type))
	own = await mx(ctx.c1).find_community_by_gathering_id([cid])
	expect(len(own) == 1 and own[0].num_participants == 0, "creator's participation count %s" % [x.num_participants for x in own])
	ctx.data["cid"] = cid
	return "community %d, participation counts 0 (creator) and 1 (joiner)" % cid


async def community_by_participant(ctx):
	cid = ctx.data["cid"]
	cs = await mx(ctx.c1).find_community_by_participant(ctx.c2.pid, common.ResultRange(0, 100))
	ids = [c.id for c in cs]
	expect(cid in ids and all(i < cid for i in ids if i != cid), "found %s" % ids)  # earlier runs' too
	return None


async def simple_community(ctx):
	cid = ctx.data["cid"]
	s = session(ctx); s.matchmake_system = 5; s.attribs[0] = cid
	await mx(ctx.c2).create_matchmake_session(s, "in the club", 1)
	sc = await mx(ctx.c1).get_simple_community([cid])
	expect(len(sc) == 1 and sc[0].matchmake_session_count == 1, "simple community %s" % [(x.gid, x.matchmake_session_count) for x in sc])
	return "gid %d, %d sessions" % (sc[0].gid, sc[0].matchmake_session_count)


async def block_list(ctx):
	await mx(ctx.c1).add_to_block_list([ctx.c2.pid])
	got = await mx(ctx.c1).get_my_block_list()
	expect(got == [ctx.c2.pid], "block list %s" % got)
	return None


async def blocked_join(ctx):
	gid = (await mx(ctx.c1).create_matchmake_session(session(ctx, 7), "", 1)).gid
	try:
		await mx(ctx.c2).join_matchmake_session(gid, "")
		raise AssertionError("a blocked console joined")
	except common.RMCError as e:
		expect(e.name() == "RendezVous::ParticipantInBlackList", e.name())
	finally:
		await mx(ctx.c1).clear_my_block_list()
	return "RendezVous::ParticipantInBlackList"


async def notification_data(ctx):
	await mx(ctx.c2).update_notification_data(101, 7, 8, "playing")
	e = await ctx.c1.wait_for(lambda: next((e for e in ctx.c1.events if e.type == 101000), None), 5)
	expect(e is not None, "no 101000 notification")
	expect(e.pid == ctx.c2.pid and e.param1 == 7 and e.param2 == 8 and e.text == "playing",
	       "pid %d param1 %d param2 %d text %r" % (e.pid, e.param1, e.param2, e.text))
	return None


async def friend_notification_data(ctx):
	nd = await mx(ctx.c1).get_friend_notification_data(101)
	expect(len(nd) == 1 and nd[0].param1 == 7 and nd[0].param2 == 8, "%s" % [(x.pid, x.param1, x.param2) for x in nd])
	return None


async def part_update(ctx):
	own = await mx(ctx.c1).create_matchmake_session(session(ctx, 9), "", 1)
	p = matchmaking.UpdateMatchmakeSessionParam()
	p.gid, p.modification_flags = own.gid, 0x400
	p.attributes, p.open_participation, p.application_buffer, p.progress_score = [], True, b"", 0
	p.started_time, p.user_password, p.game_mode, p.description = common.DateTime(0), "", 0, "renamed"
	p.min_participants = p.max_participants = 0
	p.matchmake_system = p.participation_policy = p.policy_argument = 0
	p.codeword = ""
	await mx(ctx.c1).update_matchmake_session_part(p)
	fr = await mm(ctx.c2).find_by_single_id(own.gid)
	expect(fr.gathering.description == "renamed" and fr.gathering.game_mode == 9,
	       "description %r game mode %d" % (fr.gathering.description, fr.gathering.game_mode))
	ctx.data["own"] = own.gid
	return None


async def auto_by_gid(ctx):
	own = ctx.data["own"]
	j = await mx(ctx.c2).auto_matchmake_with_gathering_id_postpone([999999, own], session(ctx), "")
	expect(j.id == own, "joined %d" % j.id)
	return "gid %d" % j.id


def steps():
	return login_steps() + [
		Step("register gathering", register_gathering, critical=True),
		Step("find by type", find_by_type),
		Step("find by description like", find_by_description_like),
		Step("set/get state", state),
		Step("find by participants", find_by_participants),
		Step("community", create_community, critical=True),
		Step("find community by participant", community_by_participant),
		Step("simple community", simple_community),
		Step("block list", block_list),
		Step("blocked join refused", blocked_join),
		Step("notification data pushed", notification_data),
		Step("friend notification data", friend_notification_data),
		Step("part update", part_update, critical=True),
		Step("auto-matchmake by gid", auto_by_gid),
	]


if __name__ == "__main__":
	run(__doc__, steps)
