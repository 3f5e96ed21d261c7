package vmtests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/altcos/altcos-tools/examples"
	"github.com/altcos/altcos-tools/vmtests/qemu"
)

// The seed's two container modes, checked as the user altcos on one
// installed system (the qcow2 scenario: the cheapest boot) instead of a
// scenario of its own: dockerd with the docker client and a docker-compose
// stack, and rootless podman. No registry is reachable: every image is the
// busybox rootfs the host serves, imported locally.
const (
	dockerGreeting  = "hello from docker"
	stackGreeting   = "hello from a docker-compose stack"
	rootlessMessage = "hello from rootless podman"
	stackPort       = "18080"
)

// withExamples returns config with the repository's example configs
// merged in (Ignition's config.merge, as data: URLs): testContainers lays
// out /opt/altcos/examples, altcos-password gives altcos the password "1".
func withExamples(config []byte) ([]byte, error) {
	var c map[string]any
	if err := json.Unmarshal(config, &c); err != nil {
		return nil, fmt.Errorf("parse Ignition config: %w", err)
	}
	ign, _ := c["ignition"].(map[string]any)
	if ign == nil {
		return nil, errors.New(`the Ignition config has no "ignition" section`)
	}
	cfg, _ := ign["config"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
		ign["config"] = cfg
	}
	merge, _ := cfg["merge"].([]any)
	for _, name := range []string{"testContainers.ign", "altcos-password.ign"} {
		b, err := examples.Files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		merge = append(merge, map[string]any{"source": "data:;base64," + base64.StdEncoding.EncodeToString(b)})
	}
	cfg["merge"] = merge
	return json.MarshalIndent(c, "", "  ")
}

// composeFile is a two-service stack from the locally imported image: a web
// server published on stackPort and a client that reaches it by service name.
const composeFile = `version: "3.8"
services:
  web:
    image: localhost/vmtest-hello
    command: ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /www && echo '` + stackGreeting + `' > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www"]
    ports:
      - "` + stackPort + `:8080"
  client:
    image: localhost/vmtest-hello
    command: ["/bin/busybox", "sh", "-c", "while true; do /bin/busybox wget -q -O /dev/null http://web:8080/; /bin/busybox sleep 5; done"]
    depends_on:
      - web
`

// checkContainers runs after checkPodman (which put hello-rootfs.tar on srv
// and brought the network up), as root running commands as altcos.
func checkContainers(ctx context.Context, env *Env, c *checks, srv *qemu.Server) error {
	const base = "/opt/altcos/examples/"
	asAltcos := func(cmd string) string { return "runuser -u altcos -- " + cmd }
	stack := "/home/altcos/stack"
	// dockerd and its bridges make the kernel talk; keep its messages off
	// the console the checks read.
	if _, _, err := c.run(ctx, "quiet the kernel console", "dmesg -n 1", commandTimeout); err != nil {
		return err
	}
	steps := []struct {
		what, cmd, want string
		contains        []string
		timeout         time.Duration
	}{
		{what: "altcos is in the groups docker and wheel", cmd: "id -nG altcos | tr ' ' '\\n' | grep -xE 'docker|wheel' | sort | tr '\\n' ' '", want: "docker wheel "},
		{what: "altcos has sudo without a password (wheel, NOPASSWD)", cmd: asAltcos("sudo -n true") + " && echo sudo-ok", want: "sudo-ok"},
		{what: "the password example set altcos's password", cmd: "getent shadow altcos | cut -d: -f2 | cut -c1-3", want: "$y$"},
		{what: "testContainers laid out the examples, scripts executable, owned by altcos",
			cmd:  "stat -c '%a %U %n' " + base + "docker/docker/hello.sh " + base + "docker/docker-compose/start.sh " + base + "docker/docker-compose/stop.sh " + base + "podman/tetris.sh " + base + "docker/docker-compose/docker-compose.yml",
			want: "755 altcos " + base + "docker/docker/hello.sh\n755 altcos " + base + "docker/docker-compose/start.sh\n755 altcos " + base + "docker/docker-compose/stop.sh\n755 altcos " + base + "podman/tetris.sh\n644 altcos " + base + "docker/docker-compose/docker-compose.yml"},
		{what: "dockerd is up (docker.socket)", cmd: asAltcos("docker version --format '{{.Server.Os}}'"), want: "linux", timeout: 5 * time.Minute},
		{what: "docker import as altcos", cmd: asAltcos("docker import "+srv.GuestURL("hello-rootfs.tar")+" localhost/vmtest-hello") + " >/dev/null && echo imported", want: "imported", timeout: 5 * time.Minute},
		{what: "docker run as altcos", cmd: asAltcos("docker run --rm --network none localhost/vmtest-hello /bin/busybox echo '" + dockerGreeting + "'"), want: dockerGreeting, timeout: 5 * time.Minute},
		{what: "docker-compose up -d as altcos", cmd: "install -d -o altcos -g altcos " + stack + " && echo " + base64.StdEncoding.EncodeToString([]byte(composeFile)) + " | base64 -d > " + stack + "/docker-compose.yml && chown altcos: " + stack + "/docker-compose.yml && cd " + stack + " && " + asAltcos("docker-compose up -d") + " >/dev/null 2>&1 && echo up", want: "up", timeout: 10 * time.Minute},
		{what: "the stack answers on its published port", cmd: "ok=; for i in $(seq 60); do curl -fsS http://127.0.0.1:" + stackPort + "/ 2>/dev/null && ok=1 && break; sleep 2; done; [ -n \"$ok\" ] || { cd " + stack + "; " + asAltcos("docker-compose ps") + "; " + asAltcos("docker-compose logs --tail 10") + "; ss -ltn; exit 1; }", contains: []string{stackGreeting}, timeout: 5 * time.Minute},
		{what: "docker-compose down stops it", cmd: "cd " + stack + " && " + asAltcos("docker-compose down") + " >/dev/null 2>&1; " + asAltcos("docker ps -q") + " | wc -l", want: "0", timeout: 5 * time.Minute},
		{what: "rootless podman as altcos", cmd: "su - altcos -c 'podman import -q " + srv.GuestURL("hello-rootfs.tar") + " localhost/vmtest-hello >/dev/null && podman run --rm --network none localhost/vmtest-hello /bin/busybox echo \"" + rootlessMessage + "\"'", contains: []string{rootlessMessage}, timeout: 10 * time.Minute},
	}
	for _, s := range steps {
		t := s.timeout
		if t == 0 {
			t = commandTimeout
		}
		ok, err := c.expect(ctx, s.what, s.cmd, t, s.want, s.contains...)
		if err != nil {
			return err
		}
		if ok {
			env.step("%s: ok: %s", c.m.Name, s.what)
		}
	}
	return nil
}
