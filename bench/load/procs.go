package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// startupDeadline bounds how long a started process may take to listen.
const startupDeadline = 60 * time.Second

// listenLine matches the "listening" log line of gatehouse serve and of
// examples/goapi (slog text or JSON), capturing the address.
var listenLine = regexp.MustCompile(`listening.*?\baddr"?[=:]"?([^"\s]+)`)

// build compiles cmd/gatehouse, examples/goapi and bench/guardapi into dir
// with the go command of PATH, from the module the working directory is in.
func build(ctx context.Context, dir string) (gatehouse, goapi, guardapi string, err error) {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(os.PathSeparator),
		"github.com/gatehouse/gatehouse/cmd/gatehouse", "github.com/gatehouse/gatehouse/examples/goapi",
		"github.com/gatehouse/gatehouse/bench/guardapi")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", "", fmt.Errorf("go build (run from inside the gatehouse module): %w\n%s", err, out)
	}
	return filepath.Join(dir, "gatehouse"), filepath.Join(dir, "goapi"), filepath.Join(dir, "guardapi"), nil
}

// pid is the process's id; 0 for no process.
func (p *proc) pid() int {
	if p == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// procCPU is the CPU time (user and system) process pid has used, from
// /proc/PID/stat; -1 when unknown (no pid, no /proc).
func procCPU(pid int) time.Duration {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis are state (3), …, utime (14), stime (15).
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// proc is a started process whose last log lines are kept for errors.
type proc struct {
	name string
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	tail []string
	done chan struct{}
}

// startProc starts bin in dir and waits for its "listening" line.
func startProc(ctx context.Context, name, dir string, env []string, bin string, args ...string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = cmd.Stderr
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	addrc := make(chan string, 1)
	go p.scan(stderr, addrc)
	select {
	case p.addr = <-addrc:
	case <-p.done:
		return nil, fmt.Errorf("%s exited before listening:\n%s", name, p.logs())
	case <-time.After(startupDeadline):
		p.stop()
		return nil, fmt.Errorf("%s did not listen within %v:\n%s", name, startupDeadline, p.logs())
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	if err := checkLoopback("http://" + p.addr); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return p, nil
}

// scan keeps the last lines of the process's log and reports its address.
func (p *proc) scan(r io.Reader, addrc chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	found := false
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		if len(p.tail) == 40 {
			p.tail = p.tail[1:]
		}
		p.tail = append(p.tail, line)
		p.mu.Unlock()
		if m := listenLine.FindStringSubmatch(line); !found && m != nil {
			found = true
			addrc <- m[1]
		}
	}
	io.Copy(io.Discard, r)
	p.cmd.Wait()
	close(p.done)
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// stop sends SIGTERM (the graceful shutdown) and kills the process if it
// has not exited within 10 s.
func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// checkLoopback refuses any URL whose host is not a loopback IP address:
// the harness sends its load to this machine only.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("URL %q: %w", raw, err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("URL %q: only http:// on loopback is supported", raw)
	}
	ip, err := netip.ParseAddr(u.Hostname())
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("URL %q: the host must be a loopback IP address such as 127.0.0.1", raw)
	}
	return nil
}
