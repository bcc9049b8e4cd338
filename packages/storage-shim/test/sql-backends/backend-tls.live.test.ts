[
  {
    "name": "fresh server > get /nothing -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put /kv/a 1",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put /kv/b 2 -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put /kv/c 0",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put /kv/a 11 --prev-kv -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put /kv/a 11 --prev-kv",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/a -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --limit 2 -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/a /kv/c -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/a --rev={R+1} -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --rev={R+4} -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --rev={R+2} --keys-only -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --keys-only",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --print-value-only",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --sort-by=MODIFY --order=DESCEND -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --sort-by=MODIFY --order=ASCEND -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --sort-by=CREATE --order=DESCEND -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --sort-by=VALUE --order=ASCEND -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --sort-by=KEY --order=DESCEND -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --sort-by=VERSION --order=DESCEND --limit 1 -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/ --prefix --consistency=s -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/zz -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/a --rev=999999",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put '' x",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put /kv/b --ignore-value -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get /kv/b -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put /kv/missing --ignore-value",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put ~fk/a va",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put ~fk/b vb",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > put ~fk/c vc",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get --from-key ~fk/b",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get --from-key ~fk/a --limit 1 -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > del --from-key ~fk/b",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "put and get > get --from-key ~ -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/a va",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/b vb",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/c vc",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/d vd",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/e ve",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > del /del/a",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > del /del/nope -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > del /del/b --prev-kv",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > del /del/c /del/e --prev-kv -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > get /del/ --prefix -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/x/1 1",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/x/2 2",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > del /del/ --prefix --prev-kv -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > get /del/ --prefix -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > get /del/ --prefix --rev={R+10} --keys-only",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > put /del/a again -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "del > get /del/a -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > put /tx/k1 v1",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn --interactive",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > get /tx/ --prefix -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > txn",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "txn > get /tx/ --prefix -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "watch > put /w/a 1",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "watch > put /w/b 1",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "watch > watch --prefix --prev-kv --rev -w json, simple, single key and range watchers over puts, a txn and deletes",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "watch > watch --prefix from now (no --rev) sees writes made after it started",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease grant 60",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease grant 61 -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > put --lease={lease:a} /ls/x vx",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > put --lease={lease:a} /ls/y vy",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > get /ls/x -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease timetolive {lease:a} --keys",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease timetolive {lease:a} --keys -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease keep-alive --once {lease:a}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease keep-alive --once {lease:b} -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease list -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease list",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease revoke {lease:a}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > get /ls/ --prefix -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > watch --prefix /ls/ --rev={R+3} -w json shows both lease deletes at one revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease revoke {lease:a}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease timetolive {lease:a}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease timetolive {lease:a} -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease keep-alive --once {lease:a}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > put --lease={lease:a} /ls/z vz",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > put --lease=1234 /ls/z vz",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease revoke {lease:b}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > get /ls/ --prefix -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > a lease of 2s expires and takes its key with it, in one revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lease > lease timetolive {lease:short}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "lock > etcdctl lock /lk/L1 holds; a second lock -- command waits, then runs with ETCD_LOCK_KEY",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "elect > etcdctl elect --listen /el/E1 follows p1 then p2; the second campaigner waits for the first to resign",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > put /mt/a 1",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > member list -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > member list",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > endpoint status -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > endpoint status",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > endpoint health -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > endpoint health",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > alarm list",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > alarm list -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > alarm disarm",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > defrag",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "maintenance > get /mt/a -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > put /cp/a 1",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > put /cp/a 2",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > put /cp/a 3",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > compaction {R+2}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > get /cp/a --rev={R+1}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > get /cp/a --rev={R+2} --print-value-only",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > get /cp/a --print-value-only",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > compaction {R+2}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > compaction {R+1}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > compaction 999999",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > watch /cp/a --rev={R+1}",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > compaction {R+3} --physical",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > watch /cp/a --rev={R+3} -w json replays from the compact revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "compaction > get /cp/a -w json",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/etcdctl/etcdctl.live.test.ts"
  },
  {
    "name": "PostgreSQL behind a routed backend restarts under write load > answers UNAVAILABLE naming it while away, reconnects by itself, and loses nothing acknowledged",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/server-restart.live.test.ts"
  },
  {
    "name": "MariaDB behind a routed backend restarts under write load > answers UNAVAILABLE naming it while away, reconnects by itself, and loses nothing acknowledged",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/server-restart.live.test.ts"
  },
  {
    "name": "PostgreSQL behind two replicas restarts under write load > two replicas on it: both carry on after the restart, and a watch on one sees both, in order, once",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/server-restart.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > stores routed keys in PostgreSQL 15 under the one global revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > runs a compare-and-swap txn and a delete across PostgreSQL 15 and SQLite atomically",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > replays history to a watch from a past revision, with prev_kv",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > keeps every version when the requests of one batch write the same keys over and over",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > keeps every acknowledged write across a restart, and the password out of its log",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > fails only the batch of a key too long for the database to index, and goes on",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > defragments the tables without losing a key",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > reports its durability settings and its size, as the built driver reads them",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > stops at start-up with a clear error, and no password, when PostgreSQL 15 refuses the login",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > refuses a database that holds another program's tables, or tables of its names that are not its own",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > refuses a database of the store's that lost a table, instead of creating it empty",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in PostgreSQL 15 > treats a part of its tables without meta as damage where DDL is transactional, else finishes the migration",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > stores routed keys in MariaDB under the one global revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > runs a compare-and-swap txn and a delete across MariaDB and SQLite atomically",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > replays history to a watch from a past revision, with prev_kv",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > keeps every version when the requests of one batch write the same keys over and over",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > keeps every acknowledged write across a restart, and the password out of its log",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > fails only the batch of a key too long for the database to index, and goes on",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > defragments the tables without losing a key",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > reports its durability settings and its size, as the built driver reads them",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > stops at start-up with a clear error, and no password, when MariaDB refuses the login",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > refuses a database that holds another program's tables, or tables of its names that are not its own",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > refuses a database of the store's that lost a table, instead of creating it empty",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > treats a part of its tables without meta as damage where DDL is transactional, else finishes the migration",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "a backend in MariaDB > reaches the server over its unix socket",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/store-on-sql.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > takes writes on either replica in one revision sequence, and reads the same at every revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > feeds a watch on each replica every write of both, in revision order, without gaps or duplicates",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > checks a txn compare against the other replica’s newest write, as one etcd would",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > shares leases: granted on one replica, renewed, used and revoked on the other",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > expires a lease on the database clock, once, whichever replica sees it first",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > cuts a live watch off as compacted on a replica that lagged behind another replica’s compaction",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > refuses a read below a compaction another replica made, as compacted",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one PostgreSQL 15 database > loses no acknowledged write when a replica is killed under load, and an etcd client fails over",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > takes writes on either replica in one revision sequence, and reads the same at every revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > feeds a watch on each replica every write of both, in revision order, without gaps or duplicates",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > checks a txn compare against the other replica’s newest write, as one etcd would",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > shares leases: granted on one replica, renewed, used and revoked on the other",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > expires a lease on the database clock, once, whichever replica sees it first",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > cuts a live watch off as compacted on a replica that lagged behind another replica’s compaction",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > refuses a read below a compaction another replica made, as compacted",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "replicas on one MariaDB database > loses no acknowledged write when a replica is killed under load, and an etcd client fails over",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "what replicas are not > refuses a second store on a data dir that another store runs on, until that one stops",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "what replicas are not > refuses a routed SQLite backend beside --main-endpoint, and a main endpoint that is not a network database",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas.live.test.ts"
  },
  {
    "name": "differential: etcd 3.4.23 vs cnpaas-store > seed 1, 2500 ops, single backend",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/differential/differential.live.test.ts"
  },
  {
    "name": "differential: etcd 3.4.23 vs cnpaas-store > seed 2, 2500 ops, single backend",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/differential/differential.live.test.ts"
  },
  {
    "name": "differential: etcd 3.4.23 vs cnpaas-store > seed 3, 2500 ops, single backend",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/differential/differential.live.test.ts"
  },
  {
    "name": "differential: etcd 3.4.23 vs cnpaas-store > seed 4, 2500 ops, single backend",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/differential/differential.live.test.ts"
  },
  {
    "name": "differential: etcd 3.4.23 vs cnpaas-store > seed 5, 2500 ops, routed over 3 backends",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/differential/differential.live.test.ts"
  },
  {
    "name": "differential: etcd 3.4.23 vs cnpaas-store > seed 6, 2500 ops, routed over 3 backends",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/differential/differential.live.test.ts"
  },
  {
    "name": "replicas of one PostgreSQL 15 database agree on one topology > refuses a second replica whose topology routes a prefix to another database, before it writes anything",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one PostgreSQL 15 database agree on one topology > starts a second replica with the same routes, another pool size and its password from a file",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one PostgreSQL 15 database agree on one topology > refuses a SIGHUP whose file routes keys differently, and keeps serving; accepts one that changes no route",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one PostgreSQL 15 database agree on one topology > changes the topology by the procedure; a replica left on the old one writes nothing more and stops",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one PostgreSQL 15 database agree on one topology > starts exactly one of two replicas racing on an empty database with different topologies",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one MariaDB database agree on one topology > refuses a second replica whose topology routes a prefix to another database, before it writes anything",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one MariaDB database agree on one topology > starts a second replica with the same routes, another pool size and its password from a file",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one MariaDB database agree on one topology > refuses a SIGHUP whose file routes keys differently, and keeps serving; accepts one that changes no route",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one MariaDB database agree on one topology > changes the topology by the procedure; a replica left on the old one writes nothing more and stops",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas of one MariaDB database agree on one topology > starts exactly one of two replicas racing on an empty database with different topologies",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-topology.live.test.ts"
  },
  {
    "name": "replicas on a topology routed over PostgreSQL and MariaDB > takes writes to every database on either replica in one sequence; both watches see the same stream",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-routed.live.test.ts"
  },
  {
    "name": "replicas on a topology routed over PostgreSQL and MariaDB > completes a txn whose replica was killed at after-log: never seen in part, then whole",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-routed.live.test.ts"
  },
  {
    "name": "replicas on a topology routed over PostgreSQL and MariaDB > completes a txn whose replica was killed at between-commits: never seen in part, then whole",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-routed.live.test.ts"
  },
  {
    "name": "replicas on a topology routed over PostgreSQL and MariaDB > kill -9 of replicas under txns over three databases from three replicas: whole or absent, no gap, same watch",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/replicas-routed.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > builds the test binaries (cached when up to date)",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against cnpaas-store",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against cnpaas-store routed over three backends",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against cnpaas-store with everything on PostgreSQL",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against cnpaas-store with everything on MariaDB",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against cnpaas-store routed over PostgreSQL, MariaDB and SQLite at once",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against two cnpaas-store replicas on one PostgreSQL database, the client on both",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against two cnpaas-store replicas routed over PostgreSQL, MariaDB and a second PostgreSQL database",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > all pass against the embedded etcd 3.6 they use upstream (proves the harness)",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "Kubernetes' storage tests (k8s.io/apiserver pkg/storage/etcd3) > ran the same tests against the store and against etcd",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/apiserver-storage.live.test.ts"
  },
  {
    "name": "the postgres dialect on PostgreSQL 15 > reads current keys and keys at past revisions as SQLite does",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the postgres dialect on PostgreSQL 15 > orders keys byte by byte, as etcd does, whatever the bytes",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the postgres dialect on PostgreSQL 15 > replays changes, previous versions and lease keys as SQLite does",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the postgres dialect on PostgreSQL 15 > compacts in limited steps and keeps what reads at the compact revision need",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the postgres dialect on PostgreSQL 15 > keeps the password out of a failed login",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the mysql dialect on MariaDB > reads current keys and keys at past revisions as SQLite does",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the mysql dialect on MariaDB > orders keys byte by byte, as etcd does, whatever the bytes",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the mysql dialect on MariaDB > replays changes, previous versions and lease keys as SQLite does",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the mysql dialect on MariaDB > compacts in limited steps and keeps what reads at the compact revision need",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "the mysql dialect on MariaDB > keeps the password out of a failed login",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/sql-dialect.live.test.ts"
  },
  {
    "name": "a watcher whose client stops reading > is canceled with a reason naming the flag, and the store and other watchers carry on",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/limits.live.test.ts"
  },
  {
    "name": "--max-watches-per-connection > refuses a create beyond the limit across the streams of one connection, and only on that connection",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/limits.live.test.ts"
  },
  {
    "name": "--max-leases > refuses a grant beyond the limit with RESOURCE_EXHAUSTED naming the flag",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/limits.live.test.ts"
  },
  {
    "name": "a store killed between the commits of a txn over PostgreSQL and MariaDB > completes a logged txn in every network backend that lacks it, at its revision, before the next write",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/cross-backend-crash.live.test.ts"
  },
  {
    "name": "a store killed between the commits of a txn over PostgreSQL and MariaDB > kill -9 under txns over three backends: every acknowledged txn whole, no txn in part, revisions never back",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/cross-backend-crash.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > a request over 1.5 MiB",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > an empty key",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > an empty range key",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > too many txn ops",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > a duplicate key in a txn",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > an unknown lease",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > ignore_value on a missing key",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > a future revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad requests get etcd's errors and change nothing > a lease revoke of an unknown lease",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad start-up configuration stops the store with a clear message > a malformed topology names the file, the field and the reason",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad start-up configuration stops the store with a clear message > an unknown endpoint scheme",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad start-up configuration stops the store with a clear message > plain TCP on a non-loopback address, unless explicitly allowed",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad start-up configuration stops the store with a clear message > --client-cert-auth beside a listener without TLS",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad start-up configuration stops the store with a clear message > metrics on a non-loopback address, unless explicitly allowed",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad start-up configuration stops the store with a clear message > a plain loopback listener starts, warning that every local user can connect",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "bad start-up configuration stops the store with a clear message > an unknown flag",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/bad-input.live.test.ts"
  },
  {
    "name": "watch guarantees under concurrent writers (etcd api_guarantees) > is ordered, unique, atomic, reliable and carries correct prev_kv",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/watch-guarantees.live.test.ts"
  },
  {
    "name": "watch guarantees under concurrent writers (etcd api_guarantees) > answers RequestProgress only when caught up, with the current revision",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/watch-guarantees.live.test.ts"
  },
  {
    "name": "watch guarantees under concurrent writers (etcd api_guarantees) > sends periodic progress to progress_notify watchers that are idle",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/watch-guarantees.live.test.ts"
  },
  {
    "name": "TLS with --client-cert-auth > serves a client whose certificate the trusted CA signed",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/tls.live.test.ts"
  },
  {
    "name": "TLS with --client-cert-auth > refuses a client without a certificate, or with one from another CA",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/tls.live.test.ts"
  },
  {
    "name": "TLS with --client-cert-auth > holds KV calls, served by the lean gRPC path, to the same certificates",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/tls.live.test.ts"
  },
  {
    "name": "TLS with --client-cert-auth > works with etcdctl and its --cacert/--cert/--key flags",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/tls.live.test.ts"
  },
  {
    "name": "a PostgreSQL 15 password from a file or a variable > logs in with the password from passwordFile and from passwordEnv, and shows it nowhere",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-credentials.live.test.ts"
  },
  {
    "name": "a PostgreSQL 15 password from a file or a variable > stops at start-up naming the backend and the file or variable when the password cannot be had",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-credentials.live.test.ts"
  },
  {
    "name": "a PostgreSQL 15 password from a file or a variable > shows a wrong password from a file as a refused login, without the password",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-credentials.live.test.ts"
  },
  {
    "name": "a MariaDB password from a file or a variable > logs in with the password from passwordFile and from passwordEnv, and shows it nowhere",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-credentials.live.test.ts"
  },
  {
    "name": "a MariaDB password from a file or a variable > stops at start-up naming the backend and the file or variable when the password cannot be had",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-credentials.live.test.ts"
  },
  {
    "name": "a MariaDB password from a file or a variable > shows a wrong password from a file as a refused login, without the password",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-credentials.live.test.ts"
  },
  {
    "name": "bench --backend postgres with kine > build-kine.sh leaves a kine that reports the pinned version, and a second run skips the build",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/bench/kine-bench.live.test.ts"
  },
  {
    "name": "bench --backend postgres with kine > fills the store, etcd and kine columns on every row, on a durable PostgreSQL",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/bench/kine-bench.live.test.ts"
  },
  {
    "name": "kill -9 right after acknowledgements > keeps every acknowledged write over 10 kills",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/crash-after-ack.live.test.ts"
  },
  {
    "name": "the store process > serves /metrics, /healthz and /readyz",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/server.live.test.ts"
  },
  {
    "name": "the store process > reloads the topology on SIGHUP, accepting only appended backends",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/server.live.test.ts"
  },
  {
    "name": "listening on a unix socket and stopping gracefully > makes the socket owner-only, cancels watchers on SIGTERM and exits 0",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/server.live.test.ts"
  },
  {
    "name": "a topology of three kinds > puts each kind in its own file and the rest in main.db",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/routing.live.test.ts"
  },
  {
    "name": "a topology of three kinds > commits a transaction over three files at one revision, or not at all",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/routing.live.test.ts"
  },
  {
    "name": "a topology of three kinds > reports its size and an etcd version the apiserver accepts",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/routing.live.test.ts"
  },
  {
    "name": "the unix socket path > leaves a regular file at the path alone and says so",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/unix-socket.live.test.ts"
  },
  {
    "name": "the unix socket path > never follows or removes a symbolic link",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/unix-socket.live.test.ts"
  },
  {
    "name": "the unix socket path > is created owner-only, replaces the socket of a killed store, and refuses one still in use",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/unix-socket.live.test.ts"
  },
  {
    "name": "the SQLite WAL stays bounded > grows under a burst of writes, and is cut back under --wal-size-limit once writes pause",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/wal-limit.live.test.ts"
  },
  {
    "name": "kill -9 under write load > keeps every acknowledged write and never moves the revision back",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/crash.live.test.ts"
  },
  {
    "name": "a backend whose host does not resolve > stops the store at once, naming the DNS failure: postgres://store@db.nosuch.invalid/t",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-connect.live.test.ts"
  },
  {
    "name": "a backend whose host does not resolve > stops the store at once, naming the DNS failure: mysql://store@tcp(db.nosuch.invalid:3306)/t",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-connect.live.test.ts"
  },
  {
    "name": "a server that accepts the connection and never answers > stops the store after connectionPool.connectTimeout: postgres://store@127.0.0.1:PORT/t",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-connect.live.test.ts"
  },
  {
    "name": "a server that accepts the connection and never answers > stops the store after connectionPool.connectTimeout: mysql://store@tcp(127.0.0.1:PORT)/t",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/sql-backends/backend-connect.live.test.ts"
  },
  {
    "name": "parseTest2json > names failed tests and subtests, skips, and binaries that failed outside any test",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/apiserver-storage/go-results.live.test.ts"
  },
  {
    "name": "watch fragment > splits a revision too big for one response, marking every part but the last",
    "file": "/work/wt-dupstest9/packages/storage-shim/test/integration/watch-fragment.live.test.ts"
  }
]