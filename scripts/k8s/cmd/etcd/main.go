// Command etcd is the reference etcd v3.6 for the apiserver benchmark
// (docs/design.md "Oracles": where Debian's 3.4.23 is not enough): a small main
// around go.etcd.io/etcd/server/v3/embed, the package the storage tests'
// upstream hook already compiles. It takes the subset of etcd's flags the
// benchmark passes, with etcd's names and defaults (fsync on).
package main

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/api/v3/version"
	"go.etcd.io/etcd/server/v3/embed"
)

func urls(flagName, value string) []url.URL {
	var out []url.URL
	for _, s := range strings.Split(value, ",") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(os.Stderr, "etcd: --%s: %q is not a URL: %v\n", flagName, s, err)
			os.Exit(2)
		}
		out = append(out, *u)
	}
	return out
}

func main() {
	cfg := embed.NewConfig()
	name := flag.String("name", "default", "member name")
	dataDir := flag.String("data-dir", "default.etcd", "data directory")
	listenClient := flag.String("listen-client-urls", "http://127.0.0.1:2379", "client URLs to listen on")
	advertiseClient := flag.String("advertise-client-urls", "http://127.0.0.1:2379", "client URLs to advertise")
	listenPeer := flag.String("listen-peer-urls", "http://127.0.0.1:2380", "peer URLs to listen on")
	advertisePeer := flag.String("initial-advertise-peer-urls", "http://127.0.0.1:2380", "peer URLs to advertise")
	initialCluster := flag.String("initial-cluster", "", "initial cluster (default: <name>=<initial-advertise-peer-urls>)")
	logLevel := flag.String("log-level", "info", "debug, info, warn, error, panic or fatal")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		// etcd's own format, so tools that parse `etcd --version` read it the same.
		fmt.Printf("etcd Version: %s\n(cnpaas reference build around go.etcd.io/etcd/server/v3/embed)\n", version.Version)
		return
	}
	cfg.Name = *name
	cfg.Dir = *dataDir
	cfg.ListenClientUrls = urls("listen-client-urls", *listenClient)
	cfg.AdvertiseClientUrls = urls("advertise-client-urls", *advertiseClient)
	cfg.ListenPeerUrls = urls("listen-peer-urls", *listenPeer)
	cfg.AdvertisePeerUrls = urls("initial-advertise-peer-urls", *advertisePeer)
	if *initialCluster == "" {
		*initialCluster = fmt.Sprintf("%s=%s", *name, *advertisePeer)
	}
	cfg.InitialCluster = *initialCluster
	cfg.LogLevel = *logLevel

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
		os.Exit(1)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(60 * time.Second):
		fmt.Fprintln(os.Stderr, "etcd: not ready within 60 s")
		e.Close()
		os.Exit(1)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	select {
	case <-signals:
	case err := <-e.Err():
		fmt.Fprintf(os.Stderr, "etcd: %v\n", err)
	}
	e.Close()
}
