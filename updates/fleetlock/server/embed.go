package server

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Etcd is an embedded single-node etcd: the lock service's default store,
// so one command runs the whole service. A cluster points the service at
// its own etcd instead.
type Etcd struct {
	e        *embed.Etcd
	Endpoint string // client URL, http://127.0.0.1:PORT
}

// EtcdConfig configures the embedded etcd.
type EtcdConfig struct {
	Dir       string // data directory: the semaphores survive restarts in it
	ClientURL string // e.g. http://127.0.0.1:2379; port 0 picks a free port
	PeerURL   string // e.g. http://127.0.0.1:2380
	LogLevel  string // etcd's (zap) level: debug, info, warn, error, panic; default error (warn logs every request)
}

// StartEtcd starts a single-node etcd and waits until it serves.
func StartEtcd(ctx context.Context, c EtcdConfig) (*Etcd, error) {
	dir, clientURL, peerURL := c.Dir, c.ClientURL, c.PeerURL
	cu, err := url.Parse(clientURL)
	if err != nil {
		return nil, fmt.Errorf("etcd client URL %q: %w", clientURL, err)
	}
	pu, err := url.Parse(peerURL)
	if err != nil {
		return nil, fmt.Errorf("etcd peer URL %q: %w", peerURL, err)
	}
	cfg := embed.NewConfig()
	cfg.Name = "altcos-fleetlock"
	cfg.Dir = dir
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.LogLevel = c.LogLevel
	if cfg.LogLevel == "" {
		cfg.LogLevel = "error"
	}
	cfg.LogOutputs = []string{"stderr"}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: %w", dir, err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s: not ready after 60 s", dir)
	case <-ctx.Done():
		e.Close()
		return nil, ctx.Err()
	}
	return &Etcd{e: e, Endpoint: "http://" + e.Clients[0].Addr().String()}, nil
}

// Close stops etcd.
func (e *Etcd) Close() { e.e.Close() }
