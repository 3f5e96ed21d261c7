package compose

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/altcos/altcos-tools/internal/run"
)

// The user ALTCOS ships, and its groups (wheel: sudo; docker: the container
// engine's socket group).
const (
	userName = "altcos"
	userHome = "/var/home/altcos"
)

// userArgs builds the argv (host shadow tools working on the tree's
// /etc with --root) that create the groups and the user altcos, or only add
// it to the groups when the tree already has it.
func userArgs(root string, haveGroups map[string]bool, haveUser bool) [][]string {
	var cmds [][]string
	for _, g := range []string{"wheel", "docker"} {
		if !haveGroups[g] {
			cmds = append(cmds, []string{"groupadd", "--root", root, "--system", g})
		}
	}
	if haveUser {
		return append(cmds, []string{"usermod", "--root", root, "--append", "--groups", "wheel,docker", userName})
	}
	return append(cmds, []string{"useradd", "--root", root, "--user-group", "--groups", "wheel,docker",
		"--home-dir", userHome, "--no-create-home", "--shell", "/bin/bash",
		"--comment", "ALTCOS user", userName})
}

// addUser creates the user altcos in the tree with the host's shadow tools.
func addUser(ctx context.Context, s *state) error {
	root := s.root
	groups, err := dbNames(filepath.Join(root, "etc/group"))
	if err != nil {
		return err
	}
	users, err := dbNames(filepath.Join(root, "etc/passwd"))
	if err != nil {
		return err
	}
	for _, argv := range userArgs(root, groups, users[userName]) {
		if err := run.Run(ctx, s.log, run.Cmd{Argv: argv, Env: s.env}); err != nil {
			return err
		}
	}
	// The shadow tools leave backups (passwd-, group-, ...) of the
	// pre-compose files; they are not part of the OS.
	for _, f := range []string{"passwd-", "group-", "shadow-", "gshadow-", "subuid-", "subgid-"} {
		_ = os.Remove(filepath.Join(root, "etc", f))
	}
	return nil
}

// dbNames returns the first fields of a passwd(5)/group(5) file.
func dbNames(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	names := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, _, ok := strings.Cut(sc.Text(), ":"); ok && name != "" {
			names[name] = true
		}
	}
	return names, sc.Err()
}

// dbIDs maps the numeric ids of a passwd/group file to names.
func dbIDs(path string) (map[uint32]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	ids := map[uint32]string{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) < 3 {
			continue
		}
		var id uint32
		if _, err := fmt.Sscanf(f[2], "%d", &id); err == nil {
			if _, dup := ids[id]; !dup {
				ids[id] = f[0]
			}
		}
	}
	return ids, nil
}
