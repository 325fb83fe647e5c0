"""Ranking and Utility interop: NintendoClients' RankingClient and
UtilityClient against nexproxy's built-in services.

Run `go run ./cmd/nexproxy serve` (bundled config.toml), then
  . /tmp/interop/env.sh; $PY proxy/builtin/ranking/testdata/interop_ranking.py [HOST PORT PROFILE]
(profiles wiiu, 3ds, switch: the NEX 3+ ranking layout NintendoClients
speaks; the friends game is NEX 2 and takes the legacy layout). Two
consoles (the interop user and the guest) take unique ids, upload scores
and common data, and read ranks, stats, approximate orders and cached top
lists; exits 0 when every step checks out.
"""

import sys

import anyio

sys.path.insert(0, "/work/shared/interop")
import nexharness as H  # noqa: E402

from nintendo.nex import backend, ranking, utility  # noqa: E402

CATEGORY = 7


def order(count=10):
	o = ranking.RankingOrderParam()
	o.order_calc = 0
	o.group_index = 255
	o.group_num = 0
	o.time_scope = 2
	o.offset = 0
	o.count = count
	return o


def score(value, param):
	s = ranking.RankingScoreData()
	s.category = CATEGORY
	s.score = value
	s.order = 0  # ascending: lower is better
	s.update_mode = 0
	s.groups = [1, 2]
	s.param = param
	return s


async def main(host, port, profile_name):
	profile = H.PROFILES[profile_name]
	s = profile.settings()
	guest_name = H.GUEST_NAME
	async with backend.connect(s, host, port) as be1, backend.connect(s, host, port) as be2:
		async with be1.login(str(H.DEFAULT_USER_PID), H.DEFAULT_USER_PASSWORD) as c1, be2.login(guest_name, H.GUEST_PASSWORD) as c2:
			u1, u2 = utility.UtilityClient(c1), utility.UtilityClient(c2)
			# Clear the ids earlier runs associated: the next one becomes primary.
			none = utility.UniqueIdInfo()
			none.unique_id, none.password = 0, 0
			await u1.associate_nex_unique_id_with_my_principal_id(none)
			info1 = await u1.acquire_nex_unique_id_with_password()
			id2 = await u2.acquire_nex_unique_id()
			got = await u1.get_associated_nex_unique_id_with_my_principal_id()
			print("utility: ids %d (password %#x), %d; primary %d" % (info1.unique_id, info1.password, id2, got.unique_id))
			assert info1.unique_id != 0 and id2 != 0 and info1.unique_id != id2
			assert got.unique_id == info1.unique_id and got.password == info1.password

			r1, r2 = ranking.RankingClient(c1), ranking.RankingClient(c2)
			pid1, pid2 = c1.pid(), c2.pid()
			await r1.delete_all_scores(info1.unique_id)
			await r2.delete_all_scores(id2)
			await r1.upload_score(score(1000, 11), info1.unique_id)
			await r2.upload_score(score(2000, 22), id2)
			await r1.upload_score(score(1500, 12), info1.unique_id)  # worse: kept 1000
			await r1.upload_common_data(b"common-1", info1.unique_id)
			assert await r1.get_common_data(info1.unique_id) == b"common-1"

			res = await r1.get_ranking(0, CATEGORY, order(), 0, 0)
			rows = [(d.pid, d.rank, d.score, d.param) for d in res.data]
			print("get_ranking (global): total %d %s" % (res.total, rows))
			assert res.total == 2 and rows == [(pid1, 1, 1000, 11), (pid2, 2, 2000, 22)], rows
			assert res.data[0].common_data == b"common-1", res.data[0].common_data

			res = await r2.get_ranking(4, CATEGORY, order(), id2, pid2)  # self
			print("get_ranking (self): %s" % [(d.pid, d.rank, d.score) for d in res.data])
			assert [(d.pid, d.rank) for d in res.data] == [(pid2, 2)]

			res = await r1.get_ranking_by_pid_list([pid2, pid1], 0, CATEGORY, order(), 0)
			print("get_ranking_by_pid_list: %s" % [(d.pid, d.rank) for d in res.data])
			assert sorted((d.pid, d.rank) for d in res.data) == sorted([(pid1, 1), (pid2, 2)])

			approx = await r1.get_approx_order(CATEGORY, order(), 1500, 0, 0)
			print("get_approx_order(1500): %d" % approx)
			assert approx == 2, approx

			stats = await r1.get_stats(CATEGORY, order(), 0x1F)
			print("get_stats: %s" % stats.stats)
			assert list(stats.stats) == [2, 3000, 1000, 2000, 1500], stats.stats

			cached = await r1.get_cached_topx_ranking(CATEGORY, order())
			print("get_cached_topx_ranking: %s, max_length %d" % ([(d.pid, d.rank) for d in cached.data], cached.max_length))
			assert [d.pid for d in cached.data] == [pid1, pid2]
			assert cached.expired_time.timestamp() > cached.created_time.timestamp()

			await r2.delete_score(CATEGORY, id2)
			res = await r1.get_ranking(0, CATEGORY, order(), 0, 0)
			print("after delete_score: total %d" % res.total)
			assert res.total == 1 and res.data[0].pid == pid1
			await r1.delete_all_scores(info1.unique_id)
	print("interop ranking: PASS")


anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1",
	int(sys.argv[2]) if len(sys.argv) > 2 else 60010, sys.argv[3] if len(sys.argv) > 3 else "wiiu")
