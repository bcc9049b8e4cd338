// Command etcd is the reference etcd v3.6 for the benchmarks (docs/design.md
// "Oracles": where Debian's 3.4.23 is not enough): a small main around
// go.etcd.io/etcd/server/v3/embed, the package the storage tests' upstream
// hook already compiles.
//
// It takes etcd's own server flags, with etcd's names and defaults (fsync on),
// because it registers them with embed.Config.AddFlags, the function etcd's
// main uses. What it leaves out is what lives only in etcd's main package:
// --config-file, the gRPC proxy and the gateway (etcdmain pulls in modules
// that the Kubernetes module graph here does not have).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/etcd/api/v3/version"
	"go.etcd.io/etcd/pkg/v3/flags"
	"go.etcd.io/etcd/server/v3/embed"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "etcd: "+format+"\n", args...)
	os.Exit(2)
}

// configure parses the command line into an embed.Config the way etcd's own
// main does for the flags both share.
func configure(args []string) *embed.Config {
	cfg := embed.NewConfig()
	fs := flag.NewFlagSet("etcd", flag.ContinueOnError)
	cfg.AddFlags(fs)
	showVersion := fs.Bool("version", false, "Print the version and exit.")
	if err := fs.Parse(args); err != nil {
		os.Exit(2)
	}
	if fs.NArg() != 0 {
		fail("%q is not a flag (flags are --name=value)", fs.Arg(0))
	}
	if *showVersion {
		// etcd's own first line, so tools that parse `etcd --version` read it the same.
		fmt.Printf("etcd Version: %s\n(cnpaas reference build around go.etcd.io/etcd/server/v3/embed)\n", version.Version)
		os.Exit(0)
	}

	cfg.ListenPeerUrls = flags.UniqueURLsFromFlag(fs, "listen-peer-urls")
	cfg.AdvertisePeerUrls = flags.UniqueURLsFromFlag(fs, "initial-advertise-peer-urls")
	cfg.ListenClientUrls = flags.UniqueURLsFromFlag(fs, "listen-client-urls")
	cfg.ListenClientHttpUrls = flags.UniqueURLsFromFlag(fs, "listen-client-http-urls")
	cfg.AdvertiseClientUrls = flags.UniqueURLsFromFlag(fs, "advertise-client-urls")
	cfg.ListenMetricsUrls = flags.UniqueURLsFromFlag(fs, "listen-metrics-urls")
	cfg.LogOutputs = flags.UniqueStringsFromFlag(fs, "log-outputs")
	cfg.MaxConcurrentStreams = flags.Uint32FromFlag(fs, "max-concurrent-streams")
	cfg.CipherSuites = flags.StringsFromFlag(fs, "cipher-suites")
	// As etcd does: a client URL given without an advertised one advertises
	// nothing rather than the default localhost:2379.
	if flags.IsSet(fs, "listen-client-urls") && !flags.IsSet(fs, "advertise-client-urls") {
		cfg.AdvertiseClientUrls = nil
	}
	if !flags.IsSet(fs, "initial-cluster") {
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	}
	fs.Visit(func(f *flag.Flag) { cfg.FlagsExplicitlySet[f.Name] = true })
	renameExperimental(cfg, fs)

	boolFlag := func(name string) *bool {
		v, err := flags.GetBoolFlagVal(fs, name)
		if err != nil {
			fail("--%s: %v", name, err)
		}
		return v
	}
	if err := embed.SetFeatureGatesFromExperimentalFlags(cfg.ServerFeatureGate, boolFlag,
		fs.Lookup(embed.ServerFeatureGateFlagName).Value.String()); err != nil {
		fail("%v", err)
	}
	if err := cfg.Validate(); err != nil {
		fail("%v", err)
	}
	return cfg
}

// renameExperimental carries an explicitly set `--experimental-X` over to the
// field of `--X`, as etcd 3.6's main does for the flags it deprecated (the
// Kubernetes tooling and this repo's tests still pass the old names). The
// pairs are found by the fields' JSON names, which are the flag names, so the
// list cannot drift from the embed package; a deprecated flag whose twin is
// not a plain field of the same type is refused with the name to use instead.
func renameExperimental(cfg *embed.Config, fs *flag.FlagSet) {
	fields := map[string]reflect.Value{}
	v := reflect.ValueOf(cfg).Elem()
	for i := 0; i < v.NumField(); i++ {
		if name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			fields[name] = v.Field(i)
		}
	}
	fs.Visit(func(f *flag.Flag) {
		current, ok := strings.CutPrefix(f.Name, "experimental-")
		if !ok || fs.Lookup(current) == nil {
			return // an experimental flag that was not renamed: embed reads it itself
		}
		from, to := fields[f.Name], fields[current]
		if !from.IsValid() || !to.IsValid() || from.Type() != to.Type() {
			fail("--%s is deprecated and this reference build does not map it; use --%s", f.Name, current)
		}
		if cfg.FlagsExplicitlySet[current] {
			fail("--%s and --%s are the same setting; give only --%s", f.Name, current, current)
		}
		to.Set(from)
	})
}

func main() {
	cfg := configure(os.Args[1:])
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
