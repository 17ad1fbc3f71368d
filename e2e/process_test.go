package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startupDeadline bounds how long a process may take to listen and answer
// /healthz; the machine is shared, so it is generous, and only an upper bound.
const startupDeadline = 60 * time.Second

// proc is a running binary whose stderr is collected and scanned for the
// line that says where it listens.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string // host:port it listens on
	logs *lockedBuffer
	done chan struct{} // closed once the process has exited
}

// listenLine matches the "listening" log line of gatehouse serve (text or
// JSON) and of the example API, capturing the address.
var listenLine = regexp.MustCompile(`listening.*?\baddr"?[=:]"?([^"\s]+)`)

// startProc starts bin with args and environment env (added to a minimal
// one), waits until it logs its address and answers GET /healthz with 200,
// and stops it with SIGTERM at the end of the test.
func startProc(t *testing.T, env []string, bin string, args ...string) *proc {
	t.Helper()
	return startProcIn(t, t.TempDir(), env, bin, args...)
}

// startProcIn is startProc with dir as the working directory.
func startProcIn(t *testing.T, dir string, env []string, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	// No drain delay unless a test asks for one (--drain-delay): most
	// tests stop servers nobody balances load to.
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "GATEHOUSE_DRAIN_DELAY=0"}, env...)
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	p := &proc{t: t, cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			p.logs.WriteLine(line)
			if m := listenLine.FindStringSubmatch(line); !found && m != nil {
				found = true
				addrc <- m[1]
			}
		}
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.signalAndWait(syscall.SIGTERM)
		if t.Failed() {
			t.Logf("logs of %s:\n%s", filepath.Base(bin), p.logs.String())
		}
	})

	select {
	case p.addr = <-addrc:
	case <-p.done:
		t.Fatalf("%s exited before listening: %v\n%s", filepath.Base(bin), cmd.ProcessState, p.logs.String())
	case <-time.After(startupDeadline):
		t.Fatalf("%s did not log its address within %v:\n%s", filepath.Base(bin), startupDeadline, p.logs.String())
	}
	p.waitHealthy()
	return p
}

// url is the base URL of the process.
func (p *proc) url() string { return "http://" + p.addr }

// waitHealthy polls GET /healthz until it answers 200, up to startupDeadline.
func (p *proc) waitHealthy() {
	p.t.Helper()
	deadline := time.Now().Add(startupDeadline)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url()+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("process exited while waiting for /healthz:\n%s", p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("GET %s/healthz not 200 within %v (last error %v)", p.url(), startupDeadline, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code once the process is gone.
func (p *proc) stop() int {
	p.t.Helper()
	if !p.signalAndWait(syscall.SIGTERM) {
		p.t.Fatalf("process did not exit within %v of SIGTERM:\n%s", startupDeadline, p.logs.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// signalAndWait signals the process unless it has exited and waits for it;
// past the deadline it kills it and reports false.
func (p *proc) signalAndWait(sig os.Signal) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Logf("signal: %v", err)
	}
	select {
	case <-p.done:
		return true
	case <-time.After(startupDeadline):
		p.cmd.Process.Kill()
		<-p.done
		return false
	}
}

// lockedBuffer collects log lines written by one goroutine and read by the
// test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
	b.buf.WriteByte('\n')
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// gatehouse runs one CLI command of the built binary on db and returns its
// stdout; a non-zero exit fails the test.
func gatehouse(t *testing.T, db, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runGatehouse(t, db, stdin, args...)
	if err != nil {
		t.Fatalf("gatehouse %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func runGatehouse(t *testing.T, db, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(gatehouseBin, append(args, "--db", "sqlite:"+db)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// startGatehouse serves db on addr (127.0.0.1:0 for a free port) with
// JSON logs and the extra flags.
func startGatehouse(t *testing.T, db, addr string, flags ...string) *proc {
	t.Helper()
	args := append([]string{"serve", "--db", "sqlite:" + db, "--addr", addr, "--log-format", "json"}, flags...)
	return startProc(t, nil, gatehouseBin, args...)
}
