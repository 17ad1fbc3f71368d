package testdb

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Instance is a database server of the test's own (PostgreSQL or Redis),
// on a free loopback port, which the test may stop, start, freeze and
// thaw without touching the machine's shared servers. It is removed when
// the test ends.
type Instance struct {
	t    testing.TB
	Addr string // 127.0.0.1:port
	name string
	argv []string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// needBinary finds a server binary, or skips the test (fails under CI=true).
func needBinary(t testing.TB, what string, candidates ...string) string {
	t.Helper()
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "" {
		t.Skipf("%s not installed; CI=true fails instead", what)
	}
	t.Fatalf("%s not installed under CI=true", what)
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// OwnPostgres initialises a PostgreSQL cluster in a temporary directory
// (initdb from /usr/lib/postgresql/*/bin), starts it on a free loopback
// port and returns it with the URL of its database "postgres". PostgreSQL
// refuses to run as root: as root, the cluster belongs to the user
// "postgres" and runs as it.
func OwnPostgres(t testing.TB) (*Instance, string) {
	t.Helper()
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	var cands []string
	for i := len(dirs) - 1; i >= 0; i-- {
		cands = append(cands, filepath.Join(dirs[i], "initdb"))
	}
	initdb := needBinary(t, "PostgreSQL (initdb)", append(cands, "initdb")...)
	postgres := filepath.Join(filepath.Dir(initdb), "postgres")

	dir, err := os.MkdirTemp("", "gatehouse-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and no user postgres to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	port := freePort(t)
	in := &Instance{
		t: t, Addr: fmt.Sprintf("127.0.0.1:%d", port), name: "postgres", cred: cred,
		argv: []string{postgres, "-D", data, "-p", strconv.Itoa(port), "-k", dir,
			"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=100"},
	}
	in.Start()
	t.Cleanup(in.kill)
	url := fmt.Sprintf("postgres://postgres@%s/postgres?sslmode=disable", in.Addr)
	in.waitReady(func(ctx context.Context) error {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		return c.Close(ctx)
	})
	return in, url
}

// OwnRedis starts a redis-server without persistence on a free loopback
// port and returns it with its URL.
func OwnRedis(t testing.TB) (*Instance, string) {
	t.Helper()
	bin := needBinary(t, "redis-server", "redis-server")
	port := freePort(t)
	in := &Instance{
		t: t, Addr: fmt.Sprintf("127.0.0.1:%d", port), name: "redis-server",
		argv: []string{bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"},
	}
	in.Start()
	t.Cleanup(in.kill)
	in.waitReady(func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", in.Addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Second))
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			return err
		}
		b := make([]byte, 7)
		n, err := c.Read(b)
		if err != nil || !strings.HasPrefix(string(b[:n]), "+PONG") {
			return fmt.Errorf("no PONG: %q %v", b[:n], err)
		}
		return nil
	})
	return in, "redis://" + in.Addr
}

// Start starts the server (again, after Stop).
func (in *Instance) Start() {
	in.t.Helper()
	cmd := exec.Command(in.argv[0], in.argv[1:]...)
	// Its own process group, so that Freeze stops every process of it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: in.cred}
	if in.log == nil {
		f, err := os.CreateTemp("", "gatehouse-"+in.name+"-log-")
		if err != nil {
			in.t.Fatal(err)
		}
		in.log = f
		in.t.Cleanup(func() { f.Close(); os.Remove(f.Name()) })
	}
	cmd.Stdout, cmd.Stderr = in.log, in.log
	if err := cmd.Start(); err != nil {
		in.t.Fatalf("start %s: %v", in.name, err)
	}
	in.cmd, in.done = cmd, make(chan struct{})
	done := in.done
	go func() { cmd.Wait(); close(done) }()
}

// Stop shuts the server down (PostgreSQL: fast shutdown, clients are
// disconnected) and waits until it has exited.
func (in *Instance) Stop() {
	in.t.Helper()
	in.Thaw()
	in.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-in.done:
	case <-time.After(30 * time.Second):
		in.t.Fatalf("%s did not stop within 30s", in.name)
	}
}

// Restart starts a stopped server and waits until it accepts connections.
func (in *Instance) Restart(ready func(context.Context) error) {
	in.t.Helper()
	in.Start()
	in.waitReady(ready)
}

// Freeze stops every process of the server (SIGSTOP): connections stay
// open and connects are accepted by the kernel, but nothing answers.
// PostgreSQL's backends each start a session of their own (setsid), so
// the server's processes are its process and its children.
func (in *Instance) Freeze() { in.signalAll(syscall.SIGSTOP) }

// Thaw resumes a frozen server (SIGCONT).
func (in *Instance) Thaw() { in.signalAll(syscall.SIGCONT) }

func (in *Instance) signalAll(sig syscall.Signal) {
	pid := in.cmd.Process.Pid
	syscall.Kill(-pid, sig)
	for _, c := range children(pid) {
		syscall.Kill(c, sig)
	}
}

// children lists the processes whose parent is pid (from /proc).
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may contain spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
			if c, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

func (in *Instance) kill() {
	if in.cmd == nil {
		return
	}
	select {
	case <-in.done:
		return
	default:
	}
	in.signalAll(syscall.SIGCONT)
	kids := children(in.cmd.Process.Pid)
	syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
	for _, c := range kids {
		syscall.Kill(c, syscall.SIGKILL)
	}
	<-in.done
}

func (in *Instance) waitReady(ready func(context.Context) error) {
	in.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := ready(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-in.done:
			b, _ := os.ReadFile(in.log.Name())
			in.t.Fatalf("%s exited while starting: %s", in.name, b)
		default:
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(in.log.Name())
			in.t.Fatalf("%s not ready within 60s: %v\n%s", in.name, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
