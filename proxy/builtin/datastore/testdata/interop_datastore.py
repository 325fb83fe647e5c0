"""DataStore interop: NintendoClients' DataStoreClient against nexproxy.

Run `go run ./cmd/nexproxy serve` (bundled config.toml), then
  . /tmp/interop/env.sh; $PY proxy/builtin/datastore/testdata/interop_datastore.py
It logs in as the interop user on the wiiu game, prepares a post, uploads
with anynet's own HTTP client (form fields then the file), completes, reads
the metadata, prepares a get and downloads, searches by owner, and reads
its notification URL; exits 0 when every step checks out.
"""

import os
import sys

import anyio
from anynet import http

sys.path.insert(0, "/work/shared/interop")
import nexharness as H  # noqa: E402

from nintendo.nex import backend, datastore  # noqa: E402


async def main(host, port):
	profile = H.PROFILES["wiiu"]
	s = profile.settings()
	data = os.urandom(200_000)
	async with backend.connect(s, host, port) as be:
		async with be.login(str(H.DEFAULT_USER_PID), H.DEFAULT_USER_PASSWORD) as client:
			ds = datastore.DataStoreClient(client)
			p = datastore.DataStorePreparePostParam()
			p.size = len(data)
			p.name = "interop"
			p.data_type = 7
			p.meta_binary = b"meta!"
			p.flag = 0
			p.period = 90
			p.permission.permission = 0
			p.persistence_init_param.persistence_id = 65535
			p.extra_data = ["WUP", "4", "EUR", "94", "FR", ""]
			info = await ds.prepare_post_object(p)
			print("prepare_post_object: data_id=%d url=%s fields=%s" % (info.data_id, info.url, [kv.key for kv in info.form]))
			files = {kv.key: kv.value.encode() for kv in info.form}
			files["file"] = data
			headers = {kv.key: kv.value for kv in info.headers}
			resp = await http.post(info.url, headers=headers, files=files)
			print("upload: HTTP %d" % resp.status_code)
			assert resp.status_code // 100 == 2, resp.text

			c = datastore.DataStoreCompletePostParam()
			c.data_id = info.data_id
			c.success = True
			await ds.complete_post_object(c)
			print("complete_post_object: ok")

			g = datastore.DataStoreGetMetaParam()
			g.data_id = info.data_id
			g.result_option = 4
			meta = await ds.get_meta(g)
			print("get_meta: owner=%d size=%d name=%s meta_binary=%r" % (meta.owner_id, meta.size, meta.name, meta.meta_binary))
			assert meta.size == len(data) and meta.meta_binary == b"meta!"

			gp = datastore.DataStorePrepareGetParam()
			gp.data_id = info.data_id
			gp.extra_data = []
			ginfo = await ds.prepare_get_object(gp)
			print("prepare_get_object: size=%d url=%s" % (ginfo.size, ginfo.url))
			resp = await http.get(ginfo.url, headers={kv.key: kv.value for kv in ginfo.headers})
			print("download: HTTP %d, %d bytes, identical=%s" % (resp.status_code, len(resp.body), resp.body == data))
			assert resp.body == data

			sp = datastore.DataStoreSearchParam()
			sp.owner_ids = [H.DEFAULT_USER_PID]
			sp.owner_type = 0
			sp.result_range.size = 10
			found = await ds.search_object(sp)
			ids = [m.data_id for m in found.result]
			print("search_object (owner_ids, owner_type 0): %s" % ids)
			assert info.data_id in ids
			sp.owner_type = 2  # anybody except the owners listed
			found = await ds.search_object(sp)
			print("search_object (owner_type 2): %s" % [m.data_id for m in found.result])
			assert info.data_id not in [m.data_id for m in found.result]

			np = datastore.DataStoreGetNotificationUrlParam()
			np.previous_url = ""
			n = await ds.get_notification_url(np)
			print("get_notification_url: url=%s key=%s" % (n.url, n.key))
			resp = await http.get(n.url.rstrip("/") + n.key + n.query)
			fields = resp.body.decode().split(",")
			print("notifier: HTTP %d %r" % (resp.status_code, resp.body))
			assert resp.status_code == 200 and len(fields) == 3 and int(fields[1]) == H.DEFAULT_USER_PID
	print("interop datastore: PASS")


anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 60010)
