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
//   - CNPAAS_STORAGE_TEST_TARGET=etcd: RunEtcd and NewTestConfig are
//     upstream's own code (upstream_test_server.go: upstream's
//     test_server.go with only the two function names changed), so the same
//     binary runs against the unmodified embedded etcd.
package testserver

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
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
	endpoint := startStore(t, cfg)

	client, err := kubernetes.New(clientv3.Config{
		Endpoints:   []string{endpoint},
		DialTimeout: 10 * time.Second,
		DialOptions: []grpc.DialOption{grpc.WithBlock()},
		Logger:      zaptest.NewLogger(t, zaptest.Level(zapcore.ErrorLevel)).Named("etcd-client"),
	})
	if err != nil {
		t.Fatal(err)
	}
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

// startStore runs cnpaas-store for one test and returns its client URL.
func startStore(t testing.TB, cfg *embed.Config) string {
	t.Helper()
	bin := os.Getenv(EnvStoreBin)
	if bin == "" {
		t.Fatalf("%s is not set: point it at packages/storage-shim/bin/cnpaas-store.js (scripts/k8s/storage-test.sh does)", EnvStoreBin)
	}
	node := os.Getenv(EnvNode)
	if node == "" {
		node = "node"
	}
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}

	// A short directory of its own for the socket (sun_path is 108 bytes;
	// test temp dirs carry the test name) and the store's log.
	runDir, err := os.MkdirTemp("", "cst")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(runDir, "s.sock")
	logPath := filepath.Join(runDir, "store.log")
	endpoint := (&url.URL{Scheme: "unix", Path: sock}).String() // unix:///tmp/cstNNN/s.sock

	args := []string{
		bin,
		"--data-dir", cfg.Dir,
		"--listen-client-urls", endpoint,
		"--unsafe-no-fsync",
		"--experimental-watch-progress-notify-interval", progressInterval(cfg).String(),
		"--log-level", "warn",
	}
	if topo := os.Getenv(EnvTopology); topo != "" {
		args = append(args, "--topology", topo)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(runDir)
		t.Fatalf("starting %s %s: %v", node, bin, err)
	}
	logFile.Close()
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()

	t.Cleanup(func() {
		select {
		case <-exited:
			t.Errorf("cnpaas-store (pid %d) exited before the test ended: %v\n%s", pid, waitErr, logTail(logPath))
		default:
			// Graceful stop first (the store must finish and exit 0), then
			// SIGKILL; only ever the pid started here.
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
				if waitErr != nil {
					t.Errorf("cnpaas-store (pid %d) did not stop cleanly on SIGTERM: %v\n%s", pid, waitErr, logTail(logPath))
				}
			case <-time.After(stopTimeout):
				_ = cmd.Process.Kill()
				<-exited
				t.Errorf("cnpaas-store (pid %d) did not stop within %v of SIGTERM; killed\n%s", pid, stopTimeout, logTail(logPath))
			}
		}
		if t.Failed() {
			t.Logf("cnpaas-store log (%s):\n%s", logPath, logTail(logPath))
		}
		os.RemoveAll(runDir)
	})

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			t.Fatalf("cnpaas-store exited during start-up: %v\n%s", waitErr, logTail(logPath))
		default:
		}
		conn, err := net.DialTimeout("unix", sock, time.Second)
		if err == nil {
			conn.Close()
			return endpoint
		}
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("dialing cnpaas-store at %s: %v", sock, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("cnpaas-store did not listen on %s within %v\n%s", sock, startTimeout, logTail(logPath))
		}
		time.Sleep(20 * time.Millisecond)
	}
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
