package compat

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// cliResult is what one redis-cli run printed and how it exited.
type cliResult struct {
	out  string
	code int
}

// runCLI runs redis-cli against addr with stdin and args.
func runCLI(t *testing.T, addr, stdin string, args ...string) cliResult {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("redis-cli %v: %v", args, err)
	}
	return cliResult{out: out.String(), code: code}
}

// TestRedisCLI runs the redis-cli binary against both servers the ways
// people use it (one-shot commands, formatted and raw output, RESP3,
// commands piped on stdin, -x, --pipe) and requires the same output.
func TestRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal("redis-cli is not installed (make deps installs it)")
	}
	var pipe strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&pipe, "*3\r\n$3\r\nSET\r\n$%d\r\nrediscli:pipe:%d\r\n$1\r\nv\r\n", len(fmt.Sprintf("rediscli:pipe:%d", i)), i)
	}
	pipe.WriteString("*2\r\n$3\r\nGET\r\n$0\r\n\r\n*1\r\n$7\r\nNOSUCHX\r\n")
	cases := []struct {
		name  string
		stdin string
		args  []string
		// want, if set, is the exact output expected from both.
		want string
	}{
		{name: "set", args: []string{"SET", "rediscli:k", "v"}, want: "OK\n"},
		{name: "get raw", args: []string{"GET", "rediscli:k"}, want: "v\n"},
		{name: "get formatted", args: []string{"--no-raw", "GET", "rediscli:k"}, want: "\"v\"\n"},
		{name: "get missing", args: []string{"--no-raw", "GET", "rediscli:missing"}, want: "(nil)\n"},
		{name: "ping", args: []string{"PING"}, want: "PONG\n"},
		{name: "repeat", args: []string{"-r", "3", "PING"}, want: "PONG\nPONG\nPONG\n"},
		{name: "binary value", args: []string{"--no-raw", "ECHO", "a\x01b\nc"}, want: "\"a\\x01b\\nc\"\n"},
		{name: "error formatted", args: []string{"--no-raw", "GET"},
			want: "(error) ERR wrong number of arguments for 'get' command\n"},
		{name: "error raw", args: []string{"GET"}},
		{name: "error exit code", args: []string{"-e", "GET", "a", "b"}},
		{name: "unknown command", args: []string{"--no-raw", "NOSUCH", "x"}},
		{name: "syntax error", args: []string{"--no-raw", "SET", "rediscli:k", "v", "NX", "XX"}},
		{name: "select", args: []string{"--no-raw", "SELECT", "1"}},
		{name: "resp3 null", args: []string{"-3", "--no-raw", "GET", "rediscli:missing"}},
		{name: "resp3 map", args: []string{"-3", "--no-raw", "CLIENT", "TRACKINGINFO"}},
		{name: "resp3 raw map", args: []string{"-3", "CLIENT", "TRACKINGINFO"}},
		{name: "resp3 error", args: []string{"-3", "--no-raw", "SET", "rediscli:k"}},
		{name: "piped inline commands",
			stdin: "SET rediscli:a 1\nGET rediscli:a\nECHO \"two words\"\nPING\nGET\nSET rediscli:a 'single quoted'\nGET rediscli:a\n"},
		{name: "piped formatted", args: []string{"--no-raw"},
			stdin: "SET rediscli:b \"x y\"\nGET rediscli:b\nGET rediscli:missing\nCLIENT GETNAME\nNOSUCH\n"},
		{name: "stdin as last argument", stdin: "from stdin\n", args: []string{"-x", "SET", "rediscli:x"}, want: "OK\n"},
		{name: "stdin value read back", args: []string{"--no-raw", "GET", "rediscli:x"}, want: "\"from stdin\\n\"\n"},
		{name: "pipe mode", stdin: pipe.String(), args: []string{"--pipe"}},
		{name: "pipe mode data", args: []string{"GET", "rediscli:pipe:999"}, want: "v\n"},
		{name: "cluster mode set", args: []string{"-c", "SET", "rediscli:cluster", "v"}, want: "OK\n"},
		{name: "cluster mode get", args: []string{"-c", "GET", "rediscli:cluster"}, want: "v\n"},
		{name: "cluster mode hash tags", args: []string{"-c", "MSET", "{rediscli}a", "1", "{rediscli}b", "2"}, want: "OK\n"},
		{name: "cluster mode cross slot", args: []string{"-c", "MSET", "rediscli:a", "1", "rediscli:b", "2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := runCLI(t, redisAddr, tc.stdin, tc.args...)
			got := runCLI(t, mnemoAddr, tc.stdin, tc.args...)
			if got != want {
				t.Errorf("redis-cli %q differs\n redis: %q (exit %d)\n mnemo: %q (exit %d)",
					tc.args, want.out, want.code, got.out, got.code)
			}
			if tc.want != "" && got.out != tc.want {
				t.Errorf("redis-cli %q = %q, want %q", tc.args, got.out, tc.want)
			}
		})
	}
}

// TestRedisCLIClusterCheck runs redis-cli's cluster checker, which reads
// CLUSTER NODES, CLUSTER INFO and INFO, against both servers. The node
// IDs and addresses differ, so each side's are replaced by placeholders
// before the outputs are compared.
func TestRedisCLIClusterCheck(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatal("redis-cli is not installed (make deps installs it)")
	}
	run := func(addr string) cliResult {
		id := runCLI(t, addr, "", "CLUSTER", "MYID")
		res := runCLI(t, addr, "", "--cluster", "check", addr)
		res.out = strings.ReplaceAll(res.out, strings.TrimSpace(id.out), "<id>")
		res.out = strings.ReplaceAll(res.out, strings.TrimSpace(id.out)[:8], "<id>")
		res.out = strings.ReplaceAll(res.out, addr, "<addr>")
		return res
	}
	// Both keyspaces hold whatever the other tests left: compare the
	// cluster layout, not the key counts.
	keys := regexp.MustCompile(`[0-9.]+ keys`)
	want, got := run(redisAddr), run(mnemoAddr)
	want.out, got.out = keys.ReplaceAllString(want.out, "N keys"), keys.ReplaceAllString(got.out, "N keys")
	if got != want {
		t.Errorf("redis-cli --cluster check differs\n redis: %q (exit %d)\n mnemo: %q (exit %d)",
			want.out, want.code, got.out, got.code)
	}
	if !strings.Contains(got.out, "[OK] All 16384 slots covered.") || got.code != 0 {
		t.Errorf("redis-cli --cluster check = %q (exit %d), want every slot covered", got.out, got.code)
	}
}
