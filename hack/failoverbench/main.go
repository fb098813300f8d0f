// Command failoverbench measures automatic failover: it runs a shard of
// three `mnemo node --role auto` processes on three `mnemo log` servers on
// loopback, SIGKILLs the primary again and again, and times each kill to
// the first write a client gets acknowledged by the new primary. It prints
// each time and the p50/p99. A benchmark, not a test: it asserts nothing.
//
//	go run ./hack/failoverbench -mnemo bin/mnemo -kills 20
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("mnemo", "bin/mnemo", "the mnemo binary")
	kills := flag.Int("kills", 20, "how many primaries to kill")
	base := flag.Int("port", 27300, "first of 9 loopback ports to use")
	ttl := flag.String("lease-ttl", "", "--lease-ttl for the nodes (empty: the default)")
	flag.Parse()
	dir, err := os.MkdirTemp("", "failoverbench")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(dir)
	var procs []*exec.Cmd
	defer func() {
		for _, p := range procs {
			if p != nil && p.Process != nil {
				p.Process.Kill()
				p.Wait()
			}
		}
	}()
	start := func(name string, args ...string) *exec.Cmd {
		f, _ := os.OpenFile(filepath.Join(dir, name+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		cmd := exec.Command(*bin, args...)
		cmd.Stdout, cmd.Stderr = f, f
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			fatal(err)
		}
		go func() { cmd.Wait(); f.Close() }()
		return cmd
	}
	var routes, urls []string
	for i := range 3 {
		routes = append(routes, "nats://127.0.0.1:"+strconv.Itoa(*base+3+i))
		urls = append(urls, "nats://127.0.0.1:"+strconv.Itoa(*base+i))
	}
	for i := range 3 {
		name := "log" + strconv.Itoa(i)
		procs = append(procs, start(name, "log", "--name", name, "--dir", filepath.Join(dir, name),
			"--listen", "127.0.0.1:"+strconv.Itoa(*base+i), "--cluster-listen", "127.0.0.1:"+strconv.Itoa(*base+3+i),
			"--routes", strings.Join(routes, ",")))
	}
	time.Sleep(3 * time.Second)
	addrs := make([]string, 3)
	nodeArgs := make([][]string, 3)
	nodes := make([]*exec.Cmd, 3)
	for i := range 3 {
		addrs[i] = "127.0.0.1:" + strconv.Itoa(*base+6+i)
		nodeArgs[i] = []string{"node", "--log", strings.Join(urls, ","), "--log-replicas", "3", "--role", "auto",
			"--port", strconv.Itoa(*base + 6 + i), "--dir", filepath.Join(dir, "node"+strconv.Itoa(i))}
		if *ttl != "" {
			nodeArgs[i] = append(nodeArgs[i], "--lease-ttl", *ttl)
		}
		nodes[i] = start("node"+strconv.Itoa(i), nodeArgs[i]...)
	}
	defer func() {
		for _, n := range nodes {
			n.Process.Kill()
		}
	}()
	primary := func() int {
		for i, a := range addrs {
			if v, err := do(a, "ROLE"); err == nil && strings.HasPrefix(v, "master") {
				return i
			}
		}
		return -1
	}
	waitFor := func(what string, limit time.Duration, ok func() bool) {
		for t0 := time.Now(); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Since(t0) > limit {
				fatal(fmt.Errorf("%s: not within %v", what, limit))
			}
		}
	}
	waitFor("a primary", time.Minute, func() bool { return primary() >= 0 })
	var times []time.Duration
	for k := 0; k < *kills; k++ {
		// Every node up and following before the next kill.
		waitFor("all nodes answering", time.Minute, func() bool {
			for _, a := range addrs {
				if _, err := do(a, "PING"); err != nil {
					return false
				}
			}
			return true
		})
		time.Sleep(2 * time.Second)
		p := primary()
		if p < 0 {
			waitFor("a primary", time.Minute, func() bool { p = primary(); return p >= 0 })
		}
		if v, err := do(addrs[p], "SET", "k", "before"); err != nil || v != "OK" {
			fatal(fmt.Errorf("write before kill: %q %v", v, err))
		}
		nodes[p].Process.Kill()
		killed := time.Now()
		var took time.Duration
		for i := 0; took == 0 && time.Since(killed) < time.Minute; i++ {
			a := addrs[i%3]
			if i%3 == p {
				continue
			}
			if v, err := do(a, "SET", "k", strconv.Itoa(k)); err == nil && v == "OK" {
				took = time.Since(killed)
			}
			if i%3 == 2 {
				time.Sleep(5 * time.Millisecond)
			}
		}
		if took == 0 {
			fatal(fmt.Errorf("no write acknowledged within a minute of kill %d", k+1))
		}
		times = append(times, took)
		fmt.Printf("kill %2d: node%d, first write acknowledged after %v\n", k+1, p, took.Round(time.Millisecond))
		nodes[p].Wait()
		nodes[p] = start("node"+strconv.Itoa(p), nodeArgs[p]...)
	}
	slices.Sort(times)
	pct := func(q float64) time.Duration {
		return times[min(len(times)-1, int(float64(len(times))*q))].Round(time.Millisecond)
	}
	fmt.Printf("%d kills: p50 %v, p99 %v, min %v, max %v\n", len(times), pct(0.5), pct(0.99),
		times[0].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
}

// do sends one command and returns its reply's first line (without the
// type byte; error replies come back as errors).
func do(addr string, args ...string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, b.String()); err != nil {
		return "", err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case line == "":
		return "", fmt.Errorf("empty reply")
	case line[0] == '-':
		return "", fmt.Errorf("%s", line[1:])
	case line[0] == '*':
		// ROLE: the first element.
		if _, err := r.ReadString('\n'); err != nil {
			return "", err
		}
		first, err := r.ReadString('\n')
		return strings.TrimRight(first, "\r\n"), err
	}
	return line[1:], nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "failoverbench:", err)
	os.Exit(1)
}
