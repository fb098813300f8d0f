package compat

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startMnemoACL starts Mnemo on an aclfile without --acl-admin, the way a
// managed node runs.
func startMnemoACL(t *testing.T, acl string) (addr, file string) {
	t.Helper()
	dir := t.TempDir()
	file = filepath.Join(dir, "users.acl")
	if err := os.WriteFile(file, []byte(acl), 0o600); err != nil {
		t.Fatal(err)
	}
	port, _ := freePort()
	addr = startProcess(t, mnemoBin, "local", "--in-memory", "yes", "--dir", filepath.Join(dir, "data"),
		"--aclfile", file, "--port", strconv.Itoa(port))
	return addr, file
}

func authed(t *testing.T, addr, user, pass string) *conn {
	t.Helper()
	c, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.close)
	if v, err := c.do("AUTH", user, pass); err != nil || v.str != "OK" {
		t.Fatalf("AUTH %s: %v %v", user, v, err)
	}
	return c
}

// TestACLAdminRefused: without --acl-admin, the commands that change
// users are refused with an error saying why.
func TestACLAdminRefused(t *testing.T) {
	addr, _ := startMnemoACL(t, "user default on nopass ~* &* +@all\n")
	c := authed(t, addr, "default", "x")
	for _, cmd := range [][]string{{"ACL", "SETUSER", "x"}, {"ACL", "DELUSER", "x"}, {"ACL", "LOAD"}, {"ACL", "SAVE"}} {
		v, err := c.do(cmd...)
		want := "ERR ACL " + cmd[1] + " is disabled: users are managed through the aclfile (start with --acl-admin yes to allow it)"
		if err != nil || v.kind != '-' || v.str != want {
			t.Errorf("%v = %v, %v; want -%s", cmd, v, err, want)
		}
	}
	if v, _ := c.do("ACL", "USERS"); len(v.elems) != 1 {
		t.Errorf("ACL USERS after refused changes = %v", v)
	}
}

// TestACLReload changes the aclfile under a running node: the new rules
// apply to connections already up, a deleted or disabled user's
// connections are closed, the others stay; a broken file changes nothing.
func TestACLReload(t *testing.T) {
	addr, file := startMnemoACL(t, strings.Join([]string{
		"user default on nopass ~* &* +@all",
		"user keep on >k ~* +@all",
		"user gone on >g ~* +@all",
		"user off on >o ~* +@all",
		"user sub on >s ~* &news +@all",
	}, "\n"))
	keep := authed(t, addr, "keep", "k")
	gone := authed(t, addr, "gone", "g")
	off := authed(t, addr, "off", "o")
	sub := authed(t, addr, "sub", "s")
	if v, err := sub.do("SUBSCRIBE", "news"); err != nil || len(v.elems) != 3 {
		t.Fatalf("SUBSCRIBE: %v %v", v, err)
	}
	if v, _ := keep.do("GET", "a"); v.kind == '-' {
		t.Fatalf("GET before reload: %v", v)
	}

	write := func(lines ...string) {
		tmp := file + ".new"
		if err := os.WriteFile(tmp, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	write("user default on nopass ~* &* +@all",
		"user keep on >k ~* -get +@all -get",
		"user off off >o ~* +@all",
		"user sub on >s ~* &other +@all")

	deadline := time.Now().Add(10 * time.Second)
	for {
		v, _ := keep.do("GET", "a")
		if v.kind == '-' {
			if v.str != "NOPERM this user has no permissions to run the 'get' command" {
				t.Fatalf("GET after reload: %v", v)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the changed aclfile was never applied")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, err := keep.do("SET", "a", "1"); err != nil || v.str != "OK" {
		t.Fatalf("SET on a connection whose user was kept: %v %v", v, err)
	}
	for name, c := range map[string]*conn{"deleted": gone, "disabled": off, "lost its channel": sub} {
		if v, err := c.do("PING"); err == nil {
			t.Errorf("connection of a user that %s still answers: %v", name, v)
		}
	}
	// A broken file keeps the rules in force.
	write("user default on nopass ~* &* +@all", "user keep on >k +nosuch")
	time.Sleep(2500 * time.Millisecond)
	if v, _ := keep.do("SET", "a", "2"); v.str != "OK" {
		t.Fatalf("SET after a broken aclfile: %v", v)
	}
	if c, err := dial(addr); err == nil {
		defer c.close()
		if v, _ := c.do("AUTH", "off", "o"); v.str != "WRONGPASS invalid username-password pair or user is disabled." {
			t.Fatalf("AUTH as a disabled user: %v", v)
		}
	}
}
