// Command etcd-load drives an etcd v3 endpoint with the same client library
// kube-apiserver uses (go.etcd.io/etcd/client/v3), so that the store and a
// real etcd can be compared with a load generator that is not itself the
// bottleneck. The storage-shim benchmark runs it once per row and server and
// reads one JSON line from stdout.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

type result struct {
	Ops       int64   `json:"ops"`
	Errors    int64   `json:"errors"`
	FirstErr  string  `json:"firstError,omitempty"`
	Seconds   float64 `json:"seconds"`
	OpsPerSec float64 `json:"opsPerSec"`
	P50Ms     float64 `json:"p50Ms"`
	P99Ms     float64 `json:"p99Ms"`
}

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:2379", "host:port of the server")
	op := flag.String("op", "put", "put | create | update | get")
	conc := flag.Int("concurrency", 64, "concurrent workers sharing one connection")
	total := flag.Int("total", 10000, "operations to run")
	keys := flag.Int("keys", 10000, "distinct keys (create makes them, update/get reuse them)")
	prefix := flag.String("prefix", "/registry/configmaps/bench/", "key prefix")
	valSize := flag.Int("value-size", 1024, "value bytes")
	maxTime := flag.Duration("max-time", 30*time.Second, "stop early after this long")
	flag.Parse()

	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd-load:", err)
		os.Exit(2)
	}
	defer cli.Close()
	value := make([]byte, *valSize)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	key := func(i int) string { return fmt.Sprintf("%scm-%06d", *prefix, i%*keys) }

	ctx := context.Background()
	// update needs each key's current mod revision, as the apiserver has it from its cache.
	revs := make([]int64, *keys)
	if *op == "update" {
		resp, err := cli.Get(ctx, *prefix, clientv3.WithPrefix())
		if err != nil {
			fmt.Fprintln(os.Stderr, "etcd-load:", err)
			os.Exit(2)
		}
		index := map[string]int64{}
		for _, kv := range resp.Kvs {
			index[string(kv.Key)] = kv.ModRevision
		}
		for i := range revs {
			revs[i] = index[key(i)]
		}
	}

	var next, errs int64
	var firstErr atomic.Value
	lat := make([]time.Duration, *total)
	var done int64
	deadline := time.Now().Add(*maxTime)
	start := time.Now()
	var wg sync.WaitGroup
	var revMu sync.Mutex
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1) - 1)
				if i >= *total || time.Now().After(deadline) {
					return
				}
				t0 := time.Now()
				err := run(ctx, cli, *op, key(i), value, i%*keys, revs, &revMu, *keys, w, *conc)
				if err != nil {
					atomic.AddInt64(&errs, 1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[atomic.AddInt64(&done, 1)-1] = time.Since(t0)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	samples := lat[:done]
	sort.Slice(samples, func(a, b int) bool { return samples[a] < samples[b] })
	pct := func(p float64) float64 {
		if len(samples) == 0 {
			return 0
		}
		i := int(p*float64(len(samples))+0.999999) - 1
		if i < 0 {
			i = 0
		}
		return float64(samples[i].Microseconds()) / 1000
	}
	r := result{Ops: done, Errors: errs, Seconds: elapsed, OpsPerSec: float64(done) / elapsed, P50Ms: pct(0.50), P99Ms: pct(0.99)}
	if v, ok := firstErr.Load().(string); ok {
		r.FirstErr = v
	}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

// run issues one operation in the shape kube-apiserver sends it (client/v3/kubernetes).
func run(ctx context.Context, cli *clientv3.Client, op, key string, value []byte, k int, revs []int64, mu *sync.Mutex, _ int, _ int, _ int) error {
	switch op {
	case "put":
		_, err := cli.Put(ctx, key, string(value))
		return err
	case "create":
		resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", 0)).Then(clientv3.OpPut(key, string(value))).Commit()
		if err == nil && !resp.Succeeded {
			return fmt.Errorf("create %s: key exists", key)
		}
		return err
	case "update":
		mu.Lock()
		rev := revs[k]
		mu.Unlock()
		resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
			Then(clientv3.OpPut(key, string(value))).Else(clientv3.OpGet(key)).Commit()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if resp.Succeeded {
			revs[k] = resp.Header.Revision
			return nil
		}
		// Conflict: adopt the current revision, as GuaranteedUpdate retries do.
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			revs[k] = kvs[0].ModRevision
		}
		return nil
	case "get":
		_, err := cli.Get(ctx, key, clientv3.WithLimit(1))
		return err
	}
	return fmt.Errorf("unknown op %q", op)
}
