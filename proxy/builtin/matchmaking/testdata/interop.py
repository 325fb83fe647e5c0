"""Two NintendoClients consoles against nexproxy's built-in matchmaking.

Run against `nexproxy serve` whose wiiu game listens on 127.0.0.1:61710 and
has accounts 1234567 and 1234568 (password testpassword):
  . /tmp/interop/env.sh; $PY proxy/builtin/matchmaking/testdata/interop.py
"""
import sys, os, anyio
sys.path.insert(0, "/work/shared/interop")
import nexharness as H
from nintendo.nex import backend, matchmaking, notification, rmc as nrmc

HOST, PORT = "127.0.0.1", 61710
got = []

class Notif(notification.NotificationServer):
	async def process_notification_event(self, client, event):
		got.append(event)

def session():
	s = matchmaking.MatchmakeSession()
	s.min_participants, s.max_participants = 1, 4
	s.game_mode = 3
	s.attribs = [1, 0, 2, 0, 0, 0]
	s.matchmake_system = 1
	s.application_data = b"interop"
	return s

async def main():
	settings = H.PROFILES["wiiu"].settings()
	ok = 0
	async with backend.connect(settings, HOST, PORT) as be1:
		async with be1.login("1234567", "testpassword", servers=[Notif()]) as c1:
			async with backend.connect(settings, HOST, PORT) as be2:
				async with be2.login("1234568", "testpassword") as c2:
					mx1, mx2 = matchmaking.MatchmakeExtensionClient(c1), matchmaking.MatchmakeExtensionClient(c2)
					from nintendo.nex import secure, common
					reg = await secure.SecureConnectionClient(c1).register([common.StationURL(scheme="prudp", address="127.0.0.1", port=1234, type=2)])
					res = await mx1.create_matchmake_session(session(), "hello", 1)
					print("create", res.gid, len(res.session_key)); ok += 1
					crit = matchmaking.MatchmakeSessionSearchCriteria()
					crit.attribs = ["1", "", "", "", "", ""]; crit.game_mode = "3"
					crit.min_participants = crit.max_participants = ""
					crit.matchmake_system = ""
					crit.vacant_only = True; crit.exclude_locked = True
					crit.exclude_non_host_pid = False; crit.selection_method = 0
					crit.vacant_participants = 1
					from nintendo.nex import common
					found = await mx2.browse_matchmake_session(crit, common.ResultRange(0, 10))
					print("browse", [g.id for g in found]); assert [g.id for g in found] == [res.gid]; ok += 1
					key = await mx2.join_matchmake_session(res.gid, "join!")
					assert key == res.session_key; print("join ok"); ok += 1
					g = await mx2.auto_matchmake_postpone(session(), "auto")
					print("auto (already in the first, so a new one)", g.id, g.num_participants); ok += 1
					mm2 = matchmaking.MatchMakingClient(c2)
					urls = await mm2.get_session_urls(res.gid)
					print("session urls", [str(u) for u in urls]); assert len(urls) >= 1 and urls[0]["port"] == 1234; ok += 1
					fr = await mm2.find_by_single_id(res.gid); r, gg = fr.result, fr.gathering
					print("find", r, gg.num_participants); assert gg.num_participants == 2; ok += 1
					ext = matchmaking.MatchMakingClientExt(c2)
					print("end participation", await ext.end_participation(res.gid, "bye")); ok += 1
					for _ in range(50):
						if len(got) >= 2: break
						await anyio.sleep(0.05)
					print("notifications", [(e.type, e.pid, e.param1, e.param2, e.text, getattr(e, "param3", None)) for e in got])
					assert got[0].type == 3001 and got[0].param2 == 1234568 and got[1].type == 3008; ok += 1
	print("%d passed" % ok)

anyio.run(main)
