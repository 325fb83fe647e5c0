"""The rest of the built-in matchmaking against NintendoClients' client classes:
plain gatherings and the MatchMaking look-ups, communities, block lists,
notification data, the part update and the by-participant and by-gid
auto-matchmake.

Run against `nexproxy serve` whose wiiu game listens on 127.0.0.1:61710, has
accounts 1234567 and 1234568 (password testpassword) and a Lua
nex.friends_of that makes them friends:
  . /tmp/interop/env.sh; $PY proxy/builtin/matchmaking/testdata/interop_more.py
"""
import sys, anyio
sys.path.insert(0, "/work/shared/interop")
import nexharness as H
from nintendo.nex import backend, matchmaking, notification, common

HOST, PORT = "127.0.0.1", 61710
got = []

class Notif(notification.NotificationServer):
	async def process_notification_event(self, client, event):
		got.append(event)

def session(mode=3):
	s = matchmaking.MatchmakeSession()
	s.min_participants, s.max_participants = 1, 4
	s.game_mode = mode
	s.attribs = [1, 0, 2, 0, 0, 0]
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

async def main():
	settings = H.PROFILES["wiiu"].settings()
	ok = 0
	rng = common.ResultRange(0, 10)
	async with backend.connect(settings, HOST, PORT) as be1:
		async with be1.login("1234567", "testpassword", servers=[Notif()]) as c1:
			async with backend.connect(settings, HOST, PORT) as be2:
				async with be2.login("1234568", "testpassword") as c2:
					mm1, mm2 = matchmaking.MatchMakingClient(c1), matchmaking.MatchMakingClient(c2)
					mx1, mx2 = matchmaking.MatchmakeExtensionClient(c1), matchmaking.MatchmakeExtensionClient(c2)

					# NintendoClients' AnyDataHolder knows no plain Gathering class,
					# so the registered gathering is a MatchmakeSession here.
					g = session(); g.description = "lobby one"
					gid = await mm1.register_gathering(g)
					print("register gathering", gid); ok += 1
					found = await mm2.find_by_type("MatchmakeSession", rng)
					assert [x.id for x in found] == [gid] and type(found[0]).__name__ == "MatchmakeSession"; print("find by type", [x.id for x in found]); ok += 1
					found = await mm2.find_by_description_like("lob%", rng)
					assert [x.id for x in found] == [gid]; print("find by description like ok"); ok += 1
					assert await mm1.set_state(gid, 2); st = await mm2.get_state(gid)
					assert st.result and st.state == 2; print("state", st.state); ok += 1
					assert await mm2.participate(gid, "p")
					found = await mm1.find_by_participants([1234568])
					assert [x.id for x in found] == [gid]; print("find by participants ok"); ok += 1

					cid = await mx1.create_community(community(1, "secret"), "m")
					await mx2.join_community(cid, "in", "secret")
					cs = await mx2.find_community_by_gathering_id([cid])
					assert len(cs) == 1 and cs[0].num_participants == 2 and cs[0].password == "" and cs[0].type == 1
					print("community", cid, cs[0].num_participants); ok += 1
					cs = await mx1.find_community_by_participant(1234568, rng)
					assert [c.id for c in cs] == [cid]; print("find community by participant ok"); ok += 1
					s = session(); s.matchmake_system = 5; s.attribs[0] = cid
					r = await mx2.create_matchmake_session(s, "in the club", 1)
					sc = await mx1.get_simple_community([cid])
					assert sc[0].matchmake_session_count == 1; print("simple community", sc[0].gid, sc[0].matchmake_session_count); ok += 1

					await mx1.add_to_block_list([1234568])
					assert await mx1.get_my_block_list() == [1234568]; print("block list ok"); ok += 1
					try:
						await mx2.join_matchmake_session((await mx1.create_matchmake_session(session(7), "", 1)).gid, "")
						raise AssertionError("a blocked console joined")
					except common.RMCError as e:
						assert e.name() == "RendezVous::ParticipantInBlackList", e.name()
					print("blocked join refused"); ok += 1
					await mx1.clear_my_block_list()

					await mx2.update_notification_data(101, 7, 8, "playing")
					for _ in range(50):
						if any(e.type == 101000 for e in got): break
						await anyio.sleep(0.05)
					assert any(e.type == 101000 and e.pid == 1234568 and e.text == "playing" for e in got); print("notification data pushed"); ok += 1
					nd = await mx1.get_friend_notification_data(101)
					assert len(nd) == 1 and nd[0].param1 == 7 and nd[0].param2 == 8; print("friend notification data ok"); ok += 1

					own = await mx1.create_matchmake_session(session(9), "", 1)
					p = matchmaking.UpdateMatchmakeSessionParam()
					p.gid, p.modification_flags = own.gid, 0x400
					p.attributes, p.open_participation, p.application_buffer, p.progress_score = [], True, b"", 0
					p.started_time, p.user_password, p.game_mode, p.description = common.DateTime(0), "", 0, "renamed"
					p.min_participants = p.max_participants = 0
					p.matchmake_system = p.participation_policy = p.policy_argument = 0
					p.codeword = ""
					await mx1.update_matchmake_session_part(p)
					fr = await mm2.find_by_single_id(own.gid)
					assert fr.gathering.description == "renamed" and fr.gathering.game_mode == 9; print("part update ok"); ok += 1
					j = await mx2.auto_matchmake_with_gathering_id_postpone([999, own.gid], session(), "")
					assert j.id == own.gid; print("auto by gid", j.id); ok += 1
	print("%d passed" % ok)

anyio.run(main)
