package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Semaphore is one group's state, stored as JSON in etcd (airlock's shape).
type Semaphore struct {
	TotalSlots int      `json:"total_slots"`
	Holders    []string `json:"holders"`
}

// ErrFull means every slot of the group is held by other nodes.
var ErrFull = errors.New("semaphore full")

// KeyPrefix is where the semaphores live in etcd.
const KeyPrefix = "/altcos-fleetlock/v1/semaphores/"

// Store keeps the semaphores in etcd and changes them only with
// compare-and-swap transactions on the key's revision, so any number of lock
// service replicas may serve one cluster.
type Store struct {
	Client *clientv3.Client
}

func key(group string) string { return KeyPrefix + group }

// get returns the group's semaphore and its key's mod revision (0: absent).
func (s *Store) get(ctx context.Context, group string) (Semaphore, int64, error) {
	resp, err := s.Client.Get(ctx, key(group))
	if err != nil {
		return Semaphore{}, 0, fmt.Errorf("read semaphore of group %s from etcd: %w", group, err)
	}
	if len(resp.Kvs) == 0 {
		return Semaphore{}, 0, nil
	}
	var sem Semaphore
	if err := json.Unmarshal(resp.Kvs[0].Value, &sem); err != nil {
		return Semaphore{}, 0, fmt.Errorf("semaphore of group %s in etcd is not valid JSON: %w", group, err)
	}
	return sem, resp.Kvs[0].ModRevision, nil
}

// update applies change to the group's semaphore until a transaction wins.
// change returns false when nothing needs writing.
func (s *Store) update(ctx context.Context, group string, change func(*Semaphore) (bool, error)) error {
	for {
		sem, rev, err := s.get(ctx, group)
		if err != nil {
			return err
		}
		write, err := change(&sem)
		if err != nil || !write {
			return err
		}
		val, _ := json.Marshal(sem)
		cmp := clientv3.Compare(clientv3.ModRevision(key(group)), "=", rev)
		if rev == 0 {
			cmp = clientv3.Compare(clientv3.CreateRevision(key(group)), "=", 0)
		}
		resp, err := s.Client.Txn(ctx).If(cmp).Then(clientv3.OpPut(key(group), string(val))).Commit()
		if err != nil {
			return fmt.Errorf("write semaphore of group %s to etcd: %w", group, err)
		}
		if resp.Succeeded {
			return nil
		}
		// Another request changed the semaphore first: read it again.
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Lock gives id one of slots slots of group; a holder asking again keeps its
// slot (recursive lock).
func (s *Store) Lock(ctx context.Context, group, id string, slots int) error {
	return s.update(ctx, group, func(sem *Semaphore) (bool, error) {
		changed := sem.TotalSlots != slots
		sem.TotalSlots = slots
		if slices.Contains(sem.Holders, id) {
			return changed, nil
		}
		if len(sem.Holders) >= slots {
			return false, fmt.Errorf("%w: all %d slots of group %s are held (by %s)", ErrFull, slots, group, strings.Join(sem.Holders, ", "))
		}
		sem.Holders = append(sem.Holders, id)
		return true, nil
	})
}

// Unlock releases id's slot in group if it holds one.
func (s *Store) Unlock(ctx context.Context, group, id string) error {
	return s.update(ctx, group, func(sem *Semaphore) (bool, error) {
		i := slices.Index(sem.Holders, id)
		if i < 0 {
			return false, nil
		}
		sem.Holders = slices.Delete(sem.Holders, i, i+1)
		return true, nil
	})
}

// Get returns the group's semaphore (empty if never locked).
func (s *Store) Get(ctx context.Context, group string) (Semaphore, error) {
	sem, _, err := s.get(ctx, group)
	return sem, err
}
