// Package fleetlockcli is altcos-fleetlock, the FleetLock reboot
// coordination service's command line; the service is
// updates/fleetlock/server.
package fleetlockcli

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/altcos/altcos-tools/internal/cli"
	"github.com/altcos/altcos-tools/internal/stdio"
	"github.com/altcos/altcos-tools/updates/fleetlock"
	"github.com/altcos/altcos-tools/updates/fleetlock/server"
)

// groupFlag collects --group NAME=SLOTS.
type groupFlag map[string]int

func (g groupFlag) String() string { return fmt.Sprint(map[string]int(g)) }

func (g groupFlag) Set(v string) error {
	name, n, ok := strings.Cut(v, "=")
	slots, err := strconv.Atoi(n)
	if !ok || err != nil || slots < 1 {
		return fmt.Errorf("--group %q: want NAME=SLOTS with SLOTS >= 1, e.g. default=1", v)
	}
	if err := fleetlock.ValidateGroup(name); err != nil {
		return fmt.Errorf("--group %q: %w; clients could never ask for it", v, err)
	}
	g[name] = slots
	return nil
}

// Run is altcos-fleetlock:
//
//	altcos-fleetlock [--listen ADDR] [--group NAME=SLOTS]... [--data-dir DIR | --etcd-endpoints URL,...]
//
// It serves the FleetLock protocol until ctx ends. Without --etcd-endpoints
// it runs an embedded single-node etcd with its data in --data-dir.
func Run(ctx context.Context, args []string, io stdio.Stdio) error {
	fs := cli.NewFlagSet("altcos-fleetlock", "usage: altcos-fleetlock [--listen ADDR] [--data-dir DIR | --etcd-endpoints URLS] [--group NAME=SLOTS]...", io.Err)
	listen := fs.String("listen", "127.0.0.1:3333", "HTTP address of the FleetLock service (nodes must reach it)")
	dataDir := fs.String("data-dir", "/var/lib/altcos-fleetlock", "embedded etcd data directory")
	endpoints := fs.String("etcd-endpoints", "", "comma-separated etcd client URLs of a cluster (default: an embedded etcd)")
	clientURL := fs.String("etcd-client-url", "http://127.0.0.1:2379", "embedded etcd: client URL (port 0: any free port)")
	peerURL := fs.String("etcd-peer-url", "http://127.0.0.1:2380", "embedded etcd: peer URL (port 0: any free port)")
	groups := groupFlag{}
	fs.Var(groups, "group", "a node group and its reboot slots, NAME=SLOTS (repeatable; default: default=1)")
	if help, err := cli.ParseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &stdio.UsageError{Msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if len(groups) == 0 {
		groups["default"] = 1
	}
	log := cli.Logger(io.Err, false)

	eps := strings.Split(*endpoints, ",")
	if *endpoints == "" {
		e, err := server.StartEtcd(ctx, server.EtcdConfig{Dir: *dataDir, ClientURL: *clientURL, PeerURL: *peerURL})
		if err != nil {
			return err
		}
		defer e.Close()
		eps = []string{e.Endpoint}
		log.Info("embedded etcd ready", "endpoint", e.Endpoint, "data", *dataDir)
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: eps, DialTimeout: 10 * time.Second})
	if err != nil {
		return fmt.Errorf("connect to etcd %s: %w", strings.Join(eps, ","), err)
	}
	defer etcd.Close()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	srv := &server.Server{Store: &server.Store{Client: etcd}, Groups: groups, Log: log}
	hs := srv.HTTPServer(*listen) // every read, write and idle phase bounded
	fmt.Fprintf(io.Out, "altcos-fleetlock: serving http://%s (groups %v)\n", ln.Addr(), map[string]int(groups))
	return cli.Serve(ctx, hs, ln)
}
