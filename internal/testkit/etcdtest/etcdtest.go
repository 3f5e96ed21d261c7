// Package etcdtest starts a real etcd cluster for tests: N embedded members
// (go.etcd.io/etcd/server/v3/embed) in one process, each with its own data
// directory under t.TempDir() and its peer and client URLs on free
// 127.0.0.1 ports, bootstrapped together from one initial-cluster list. A
// test can ask which member leads and kill it, as a crashed machine would.
package etcdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
)

// Member is one etcd member of a Cluster.
type Member struct {
	Name      string
	Dir       string // data directory
	Log       string // the member's log (level error), beside Dir
	ClientURL string // http://127.0.0.1:PORT
	PeerURL   string
	Etcd      *embed.Etcd

	mu     sync.Mutex
	killed bool
}

// Alive reports whether the member has not been killed.
func (m *Member) Alive() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.killed
}

// Cluster is a running etcd cluster; Start stops it when the test ends.
type Cluster struct {
	Members []*Member
}

// startAttempts bounds the retries when another process takes one of the
// free ports between choosing it and etcd binding it.
const startAttempts = 3

// Start starts an n-member cluster and waits until every member serves (a
// leader is elected). It fails t if the cluster does not come up in a minute.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	var err error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		var c *Cluster
		c, err = start(t.TempDir(), n)
		if err == nil {
			t.Cleanup(c.Close)
			return c
		}
		if !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	t.Fatalf("start a %d-member etcd cluster: %v", n, err)
	return nil
}

func start(dir string, n int) (*Cluster, error) {
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	var initial []string
	for i := 0; i < n; i++ {
		m := &Member{
			Name:      fmt.Sprintf("m%d", i),
			Dir:       filepath.Join(dir, fmt.Sprintf("m%d", i)),
			Log:       filepath.Join(dir, fmt.Sprintf("m%d.log", i)),
			ClientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]),
			PeerURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]),
		}
		c.Members = append(c.Members, m)
		initial = append(initial, m.Name+"="+m.PeerURL)
	}
	token := fmt.Sprintf("etcdtest-%d", time.Now().UnixNano())
	// 1. Start the members together: a new member asks its peers whether it
	// is bootstrapped already, and answers come faster when they are up.
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, m := range c.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Etcd, errs[i] = startMember(m, strings.Join(initial, ","), token)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Close()
		return nil, err
	}
	// 2. Ready means the member published itself through raft: there is a
	// leader and a quorum.
	timeout := time.After(time.Minute)
	for _, m := range c.Members {
		select {
		case <-m.Etcd.Server.ReadyNotify():
		case err := <-m.Etcd.Err():
			c.Close()
			return nil, fmt.Errorf("etcd member %s: %w", m.Name, err)
		case <-timeout:
			c.Close()
			return nil, fmt.Errorf("etcd member %s not ready after a minute", m.Name)
		}
	}
	return c, nil
}

func startMember(m *Member, initialCluster, token string) (*embed.Etcd, error) {
	cu, _ := url.Parse(m.ClientURL)
	pu, _ := url.Parse(m.PeerURL)
	cfg := embed.NewConfig()
	cfg.Name = m.Name
	cfg.Dir = m.Dir
	cfg.ListenClientUrls = []url.URL{*cu}
	cfg.AdvertiseClientUrls = []url.URL{*cu}
	cfg.ListenPeerUrls = []url.URL{*pu}
	cfg.AdvertisePeerUrls = []url.URL{*pu}
	cfg.InitialCluster = initialCluster
	cfg.InitialClusterToken = token
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.EnableGRPCGateway = false
	cfg.LogLevel = "error"
	cfg.LogOutputs = []string{m.Log}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start etcd member %s (client %s, peer %s): %w", m.Name, m.ClientURL, m.PeerURL, err)
	}
	return e, nil
}

// freePorts returns n distinct free TCP ports of 127.0.0.1. They are free
// when chosen; another process may take one before etcd binds it (Start
// retries then). etcd needs the peer ports before it starts: every member's
// initial-cluster names them all, so port 0 will not do.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("choose a free port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Endpoints returns the client URLs of all members, killed ones included,
// as an operator would list them in --etcd-endpoints.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.Members {
		eps = append(eps, m.ClientURL)
	}
	return eps
}

// Client returns a client of all members; the test's cleanup closes it.
func (c *Cluster) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("etcd client of %v: %v", c.Endpoints(), err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Leader asks every live member for its status (the maintenance Status
// RPC, as etcdctl endpoint status does) and returns the index of the member
// they all name as leader. It is an error while there is no leader or the
// members disagree (an election is under way).
func (c *Cluster) Leader(ctx context.Context, cli *clientv3.Client) (int, error) {
	var lead uint64
	for _, m := range c.Members {
		if !m.Alive() {
			continue
		}
		st, err := cli.Status(ctx, m.ClientURL)
		if err != nil {
			return -1, fmt.Errorf("status of etcd member %s: %w", m.Name, err)
		}
		switch {
		case st.Leader == 0:
			return -1, fmt.Errorf("etcd member %s has no leader", m.Name)
		case lead != 0 && st.Leader != lead:
			return -1, fmt.Errorf("etcd members disagree on the leader (%x, %x)", lead, st.Leader)
		}
		lead = st.Leader
	}
	for i, m := range c.Members {
		if m.Alive() && uint64(m.Etcd.Server.MemberID()) == lead {
			return i, nil
		}
	}
	return -1, fmt.Errorf("etcd leader %x is not a live member", lead)
}

// WaitLeader polls Leader until the live members agree on one or ctx ends.
func (c *Cluster) WaitLeader(ctx context.Context, cli *clientv3.Client) (int, error) {
	for {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		i, err := c.Leader(sctx, cli)
		cancel()
		if err == nil {
			return i, nil
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("no etcd leader: %w (last: %v)", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// KillLeader kills the member that leads: the one all live members name,
// if it still leads by its own raft state at the kill (an election may move
// the leadership in between; then it asks again). crash, if not nil, runs
// just before the hard stop: the instant of the crash.
func (c *Cluster) KillLeader(ctx context.Context, cli *clientv3.Client, crash func()) (int, error) {
	for {
		i, err := c.WaitLeader(ctx, cli)
		if err != nil {
			return -1, err
		}
		if c.kill(i, true, crash) {
			return i, nil
		}
	}
}

// Kill stops member i the hard way, as a crash or a power cut would: raft
// stops at once, without handing the leadership over (embed's Close alone
// transfers it first, a graceful shutdown), then its listeners close.
func (c *Cluster) Kill(i int) { c.kill(i, false, nil) }

func (c *Cluster) kill(i int, onlyLeader bool, crash func()) bool {
	m := c.Members[i]
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.Etcd.Server
	if m.killed || onlyLeader && s.Leader() != s.MemberID() {
		return false
	}
	m.killed = true
	if crash != nil {
		crash()
	}
	s.HardStop()
	m.Etcd.Close()
	return true
}

// Close stops every live member, the hard way too: a graceful stop of the
// leader would wait for a transfer to members that are stopping as well.
func (c *Cluster) Close() {
	var wg sync.WaitGroup
	for i, m := range c.Members {
		if m.Etcd != nil {
			wg.Add(1)
			go func() { defer wg.Done(); c.Kill(i) }()
		}
	}
	wg.Wait()
}
