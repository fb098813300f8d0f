// Command gencommands writes engine/command/commands.json, the command
// metadata (arity, flags, key specs, ACL categories, tips and docs) that
// drives Mnemo's COMMAND replies, argument checks and key extraction.
//
// It reads the metadata from a running redis-server of the version Mnemo is
// compatible with, over RESP3 so that maps, sets and arrays keep their types,
// and records each reply as a typed tree. Run it with `make commands`.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

// node is a RESP3 value with its type byte kept, serialised as
// [type, value] where value is a string, an integer or a list of nodes.
type node []any

func read(r *bufio.Reader) (node, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	t, body := line[0], line[1:]
	switch t {
	case '+', '-', ',', '(', '#':
		return node{string(t), body}, nil
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		return node{":", n}, err
	case '_':
		return node{"_", ""}, nil
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return node{string(t), string(buf[:n])}, nil
	case '*', '~', '>':
		return readN(r, t, body, 1)
	case '%', '|':
		return readN(r, t, body, 2)
	}
	return nil, fmt.Errorf("unexpected reply type %q", t)
}

func readN(r *bufio.Reader, t byte, body string, per int) (node, error) {
	n, err := strconv.Atoi(body)
	if err != nil {
		return nil, err
	}
	elems := make([]node, 0, n*per)
	for i := 0; i < n*per; i++ {
		e, err := read(r)
		if err != nil {
			return nil, err
		}
		elems = append(elems, e)
	}
	return node{string(t), elems}, nil
}

func call(conn net.Conn, r *bufio.Reader, args ...string) node {
	fmt.Fprintf(conn, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(conn, "$%d\r\n%s\r\n", len(a), a)
	}
	v, err := read(r)
	if err != nil {
		log.Fatalf("%v: %v", args, err)
	}
	if v[0] == "-" {
		log.Fatalf("%v: %v", args, v[1])
	}
	return v
}

// entry is one top-level command's metadata.
type entry struct {
	Name string `json:"name"`
	Info node   `json:"info"`
	Docs node   `json:"docs"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:6399", "address of the reference redis-server")
	out := flag.String("out", "engine/command/commands.json", "file to write")
	flag.Parse()

	conn, err := net.Dial("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	call(conn, r, "HELLO", "3")

	all := call(conn, r, "COMMAND")
	docs := call(conn, r, "COMMAND", "DOCS")
	docByName := map[string]node{}
	kv := docs[1].([]node)
	for i := 0; i+1 < len(kv); i += 2 {
		docByName[kv[i][1].(string)] = kv[i+1]
	}
	var entries []entry
	for _, info := range all[1].([]node) {
		name := info[1].([]node)[0][1].(string)
		entries = append(entries, entry{Name: name, Info: info, Docs: docByName[name]})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	// Redis lists subcommands in its dict's order, which changes from run
	// to run; sort them so the file only changes when Redis does.
	for _, e := range entries {
		sortSubcommands(e.Info)
		if subs := mapGet(e.Docs, "subcommands"); subs != nil {
			sortPairs(subs)
		}
	}

	version := call(conn, r, "INFO", "server")
	ver := ""
	for _, l := range strings.Split(version[1].(string), "\r\n") {
		if v, ok := strings.CutPrefix(l, "redis_version:"); ok {
			ver = v
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	// One command a line, so a regenerated file diffs readably.
	fmt.Fprintf(f, "{\"redisVersion\": %q, \"commands\": [\n", ver)
	for i, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			log.Fatal(err)
		}
		sep := ","
		if i == len(entries)-1 {
			sep = ""
		}
		fmt.Fprintf(f, "%s%s\n", b, sep)
	}
	fmt.Fprintln(f, "]}")
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d commands from redis %s to %s", len(entries), ver, *out)
}

// sortSubcommands orders a COMMAND INFO entry's subcommands by name.
func sortSubcommands(info node) {
	elems := info[1].([]node)
	if len(elems) < 10 {
		return
	}
	subs := elems[9][1].([]node)
	sort.Slice(subs, func(i, j int) bool { return subName(subs[i]) < subName(subs[j]) })
}

func subName(n node) string { return n[1].([]node)[0][1].(string) }

// mapGet returns the value of key in a RESP3 map node.
func mapGet(m node, key string) node {
	if m == nil || m[0] != "%" {
		return nil
	}
	kv := m[1].([]node)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i][1] == key {
			return kv[i+1]
		}
	}
	return nil
}

// sortPairs orders a RESP3 map node's pairs by key.
func sortPairs(m node) {
	kv := m[1].([]node)
	type pair struct{ k, v node }
	ps := make([]pair, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		ps = append(ps, pair{kv[i], kv[i+1]})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].k[1].(string) < ps[j].k[1].(string) })
	for i, p := range ps {
		kv[2*i], kv[2*i+1] = p.k, p.v
	}
}
