// Package testserver replaces k8s.io/apiserver/pkg/storage/etcd3/testserver
// in the storage-test harness (scripts/k8s/storage-test.sh, STORAGE-TESTS.md).
//
// The harness copies the k8s.io/apiserver module out of the module cache,
// swaps this package in for the upstream one and builds the upstream tests
// unchanged. RunEtcd and NewTestConfig keep upstream's signatures:
//
//   - CNPAAS_STORAGE_TEST_TARGET=store (or unset): RunEtcd starts a fresh
//     cnpaas-store process per call (node $CNPAAS_STORE_BIN) on a unix socket
//     with a temp data dir and returns the same wrapped client upstream does.
//     With CNPAAS_STORAGE_TEST_MAIN=postgres|mysql the store keeps everything
//     in a fresh database of that server (--main-endpoint), and with
//     CNPAAS_STORAGE_TEST_REPLICAS=N it starts N stores on that database and
//     gives the client all of them. A topology may name fresh databases as
//     {{postgres:NAME}} / {{mysql:NAME}} (databases.go).
//   - CNPAAS_STORAGE_TEST_TARGET=etcd: RunEtcd and NewTestConfig are
//     upstream's own code (upstream_test_server.go: upstream's
//     test_server.go with only the two function names changed), so the same
//     binary runs against the unmodified embedded etcd.
package testserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/kubernetes"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	storagetesting "k8s.io/apiserver/pkg/storage/testing"
)

// Environment of the harness (storage-test.sh sets them).
const (
	// EnvTarget selects the server: "store" (default) or "etcd".
	EnvTarget = "CNPAAS_STORAGE_TEST_TARGET"
	// EnvStoreBin is the cnpaas-store launcher (bin/cnpaas-store.js).
	EnvStoreBin = "CNPAAS_STORE_BIN"
	// EnvNode is the node binary (default: node on PATH).
	EnvNode = "CNPAAS_NODE"
	// EnvTopology is an optional --topology file for the store.
	EnvTopology = "CNPAAS_STORE_TOPOLOGY"
	// EnvMain is where the default backend and the meta live: "" or "sqlite"
	// (main.db and meta.db in the data dir), "postgres" or "mysql" (a fresh
	// database of that server, --main-endpoint).
	EnvMain = "CNPAAS_STORAGE_TEST_MAIN"
	// EnvReplicas is how many stores share that database (default 1).
	EnvReplicas = "CNPAAS_STORAGE_TEST_REPLICAS"
)

const (
	// etcd's default (embed.NewConfig leaves the interval at 0, which makes
	// the server keep its built-in 10m).
	defaultProgressNotifyInterval = 10 * time.Minute
	startTimeout                  = 30 * time.Second
	stopTimeout                   = 10 * time.Second
)

func targetIsEtcd(t testing.TB) bool {
	switch v := os.Getenv(EnvTarget); v {
	case "", "store":
		return false
	case "etcd":
		return true
	default:
		t.Fatalf("%s=%q: use store or etcd", EnvTarget, v)
		return false
	}
}

// NewTestConfig returns a configuration for RunEtcd. Against etcd it is
// upstream's; against the store only Dir (a fresh temp dir) and
// WatchProgressNotifyInterval (which tests may set) are used.
func NewTestConfig(t testing.TB) *embed.Config {
	if targetIsEtcd(t) {
		return newEmbeddedTestConfig(t)
	}
	cfg := embed.NewConfig()
	cfg.UnsafeNoFsync = true
	cfg.Dir = t.TempDir()
	if err := os.Chmod(cfg.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// RunEtcd starts a server with the provided config (or NewTestConfig(t) if
// nil) and returns a client connected to it. The server stops when the test
// ends.
func RunEtcd(t testing.TB, cfg *embed.Config) *kubernetes.Client {
	t.Helper()
	if targetIsEtcd(t) {
		return runEmbeddedEtcd(t, cfg)
	}
	if cfg == nil {
		cfg = NewTestConfig(t)
	}
	replicas := startStores(t, cfg)
	endpoints := replicas.endpoints()

	// With several replicas the client gets every endpoint, as kube-apiserver
	// gets --etcd-servers=a,b: clientv3 balances round robin over them, per
	// RPC and per watch stream, so a test's writes, reads and watches land on
	// different processes.
	client, err := kubernetes.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 10 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithBlock()},
		Logger:      zaptest.NewLogger(t, zaptest.Level(zapcore.ErrorLevel)).Named("etcd-client"),
	})
	if err != nil {
		t.Fatal(err)
	}
	replicas.warmUp(t, client)
	// Exactly what upstream wraps the client in.
	client.KV = storagetesting.NewKVRecorder(client.KV)
	client.Kubernetes = storagetesting.NewKubernetesRecorder(client.Kubernetes)
	return client
}

func progressInterval(cfg *embed.Config) time.Duration {
	if cfg.WatchProgressNotifyInterval > 0 {
		return cfg.WatchProgressNotifyInterval
	}
	if cfg.ExperimentalWatchProgressNotifyInterval > 0 {
		return cfg.ExperimentalWatchProgressNotifyInterval
	}
	return defaultProgressNotifyInterval
}

func replicaCount(t testing.TB) int {
	v := os.Getenv(EnvReplicas)
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: give a number of stores, 1 or more", EnvReplicas, v)
	}
	return n
}

// replicaSet is the stores of one test, and what each had served when the
// test began (after warmUp).
type replicaSet struct {
	stores   []*storeProcess
	baseline []int
}

func (r *replicaSet) endpoints() []string {
	out := make([]string, len(r.stores))
	for i, s := range r.stores {
		out[i] = s.endpoint
	}
	return out
}

// warmUp returns once the client has reached every replica. grpc.WithBlock
// waits for one connection only, and round robin picks among the connections
// that are ready: on a loaded machine a test of a few requests could send all
// of them to the first replica while the second was still connecting. Reads
// of a key nobody writes go out until each replica has served one; what they
// cost is then the baseline that checkEveryReplicaServed subtracts, so the
// check still counts the test's own requests.
func (r *replicaSet) warmUp(t testing.TB, client *kubernetes.Client) {
	t.Helper()
	if len(r.stores) < 2 {
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		served, err := r.served()
		if err != nil {
			t.Fatalf("reading the replicas' metrics: %v", err)
		}
		ready := true
		for _, n := range served {
			ready = ready && n > 0
		}
		if ready {
			r.baseline = served
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client reached only some of the replicas within 20 s (requests served per replica: %v)", served)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, _ = client.KV.Get(ctx, "/cnpaas-storage-test/warm-up")
		cancel()
		time.Sleep(5 * time.Millisecond)
	}
}

// served reads each replica's count of requests served so far.
func (r *replicaSet) served() ([]int, error) {
	out := make([]int, len(r.stores))
	for i, s := range r.stores {
		n, err := s.requestsServed()
		if err != nil {
			return nil, fmt.Errorf("replica %d: %w", i, err)
		}
		out[i] = n
	}
	return out, nil
}

// startStores runs the store(s) for one test, each on a fresh database if
// the run asks for one. One cleanup checks that every replica served
// requests of the test, then stops them all.
func startStores(t testing.TB, cfg *embed.Config) *replicaSet {
	t.Helper()
	replicas := replicaCount(t)
	var extra []string
	env := os.Environ()
	switch main := os.Getenv(EnvMain); main {
	case "", "sqlite":
		if replicas > 1 {
			t.Fatalf("%s=%d needs %s=postgres or mysql: replicas share a network database", EnvReplicas, replicas, EnvMain)
		}
	case "postgres", "mysql":
		db := freshDatabase(t, main)
		extra = append(extra, "--main-endpoint", db.Endpoint)
	default:
		t.Fatalf("%s=%q: use sqlite, postgres or mysql", EnvMain, main)
	}
	if topo := os.Getenv(EnvTopology); topo != "" {
		rendered, topoEnv := renderTopology(t, topo)
		extra = append(extra, "--topology", rendered)
		env = append(env, topoEnv...)
	}

	stores := make([]*storeProcess, replicas)
	set := &replicaSet{stores: stores}
	for i := range stores {
		dir := cfg.Dir
		if dir == "" || i > 0 {
			dir = t.TempDir() // each replica has a data dir of its own (docs/replicas.md)
			if err := os.Chmod(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		stores[i] = launchStore(t, storeLaunch{
			dataDir:          dir,
			progressInterval: progressInterval(cfg),
			extraArgs:        extra,
			env:              env,
			metrics:          replicas > 1,
		})
	}
	t.Cleanup(func() {
		if replicas > 1 {
			checkEveryReplicaServed(t, set)
		}
		for _, s := range stores {
			s.stop(t)
		}
	})
	return set
}

// checkEveryReplicaServed fails a test in which one replica did all the
// work: then it tested one process, not the replicas. A test with only a
// handful of requests may by chance have sent them all to one. The warm-up's
// requests (the baseline) do not count.
func checkEveryReplicaServed(t testing.TB, set *replicaSet) {
	const minRequests = 8
	served, err := set.served()
	if err != nil {
		t.Errorf("reading the replicas' metrics: %v", err)
		return
	}
	total := 0
	for i := range served {
		if set.baseline != nil {
			served[i] -= set.baseline[i]
		}
		total += served[i]
	}
	for i, n := range served {
		if n == 0 && total >= minRequests {
			t.Errorf("replica %d served none of the test's %d requests (per replica: %v): the client did not spread them", i, total, served)
		}
	}
}

type storeLaunch struct {
	dataDir          string
	progressInterval time.Duration
	extraArgs        []string
	env              []string
	// metrics: also listen for /metrics on a free loopback port.
	metrics bool
}

type storeProcess struct {
	endpoint   string
	metricsURL string
	cmd        *exec.Cmd
	runDir     string
	logPath    string
	exited     chan struct{}
	waitErr    error
}

// launchStore starts one cnpaas-store and waits until its socket accepts.
// Its metrics port is picked free and released before the store takes it,
// so another process (a test running beside this one) may take it first:
// the store then exits at start-up with EADDRINUSE, and another port is
// tried, a bounded number of times. The client URL is a unix socket of its
// own and cannot race.
func launchStore(t testing.TB, l storeLaunch) *storeProcess {
	t.Helper()
	const attempts = 3
	for attempt := 1; ; attempt++ {
		s, portTaken := startStore(t, l)
		if !portTaken {
			return s
		}
		if attempt == attempts {
			t.Fatalf("cnpaas-store: its metrics port was taken by another process before it listened, %d times", attempts)
		}
		t.Logf("cnpaas-store: its metrics port was taken by another process before it listened; trying another")
	}
}

// startStore is one attempt of launchStore: the store once ready, or
// portTaken when it exited at start-up because its metrics port was in use.
func startStore(t testing.TB, l storeLaunch) (s *storeProcess, portTaken bool) {
	t.Helper()
	bin := os.Getenv(EnvStoreBin)
	if bin == "" {
		t.Fatalf("%s is not set: point it at packages/storage-shim/bin/cnpaas-store.js (scripts/k8s/storage-test.sh does)", EnvStoreBin)
	}
	node := os.Getenv(EnvNode)
	if node == "" {
		node = "node"
	}

	// A short directory of its own for the socket (sun_path is 108 bytes;
	// test temp dirs carry the test name) and the store's log.
	runDir, err := os.MkdirTemp("", "cst")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(runDir, "s.sock")
	s = &storeProcess{
		endpoint: (&url.URL{Scheme: "unix", Path: sock}).String(), // unix:///tmp/cstNNN/s.sock
		runDir:   runDir,
		logPath:  filepath.Join(runDir, "store.log"),
		exited:   make(chan struct{}),
	}

	args := []string{
		bin,
		"--data-dir", l.dataDir,
		"--listen-client-urls", s.endpoint,
		"--unsafe-no-fsync",
		"--experimental-watch-progress-notify-interval", l.progressInterval.String(),
		"--log-level", "warn",
	}
	if l.metrics {
		port, err := freeLoopbackPort()
		if err != nil {
			t.Fatal(err)
		}
		s.metricsURL = fmt.Sprintf("http://127.0.0.1:%d", port)
		args = append(args, "--listen-metrics-urls", s.metricsURL)
	}
	args = append(args, l.extraArgs...)
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(node, args...)
	s.cmd.Env = l.env
	s.cmd.Stdout = logFile
	s.cmd.Stderr = logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(runDir)
		t.Fatalf("starting %s %s: %v", node, bin, err)
	}
	logFile.Close()
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.exited:
			tail := logTail(s.logPath)
			os.RemoveAll(runDir)
			if l.metrics && strings.Contains(tail, "EADDRINUSE") {
				return nil, true
			}
			t.Fatalf("cnpaas-store exited during start-up: %v\n%s", s.waitErr, tail)
		default:
		}
		conn, err := net.DialTimeout("unix", sock, time.Second)
		if err == nil {
			conn.Close()
			return s, false
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
			s.kill()
			t.Fatalf("dialing cnpaas-store at %s: %v", sock, err)
		}
		if time.Now().After(deadline) {
			s.kill()
			t.Fatalf("cnpaas-store did not listen on %s within %v\n%s", sock, startTimeout, logTail(s.logPath))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends a store that never became ready (only the pid started here).
func (s *storeProcess) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
	os.RemoveAll(s.runDir)
}

// stop sends SIGTERM (the store must finish and exit 0), then SIGKILL; only
// ever the pid started here.
func (s *storeProcess) stop(t testing.TB) {
	pid := s.cmd.Process.Pid
	select {
	case <-s.exited:
		t.Errorf("cnpaas-store (pid %d) exited before the test ended: %v\n%s", pid, s.waitErr, logTail(s.logPath))
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
			if s.waitErr != nil {
				t.Errorf("cnpaas-store (pid %d) did not stop cleanly on SIGTERM: %v\n%s", pid, s.waitErr, logTail(s.logPath))
			}
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("cnpaas-store (pid %d) did not stop within %v of SIGTERM; killed\n%s", pid, stopTimeout, logTail(s.logPath))
		}
	}
	if t.Failed() {
		t.Logf("cnpaas-store log (%s):\n%s", s.logPath, logTail(s.logPath))
	}
	os.RemoveAll(s.runDir)
}

// requestsServed sums the store's cnpaas_store_requests_total.
func (s *storeProcess) requestsServed() (int, error) {
	resp, err := http.Get(s.metricsURL + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	total := 0.0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "cnpaas_store_requests_total") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %v", line, err)
		}
		total += v
	}
	return int(total), nil
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last few KiB of the store's log.
func logTail(path string) string {
	const max = 8 << 10
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return "(log empty)"
	}
	if len(data) > max {
		data = data[len(data)-max:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
		return "…\n" + strings.TrimSpace(string(data))
	}
	return string(data)
}
