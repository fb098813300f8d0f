// Command mnemo is the one binary of Mnemo: the operator, the data node,
// the transactional-log server, the snapshot builder and the embedded local
// cluster are its subcommands.
package main

import (
	"fmt"
	"io"
	"os"
)

// subcommand is one role of the binary.
type subcommand struct {
	name  string
	short string
	run   func(args []string, stdout, stderr io.Writer) int
}

var subcommands = []subcommand{
	{"local", "run the embedded default: a working endpoint on 127.0.0.1, no Kubernetes needed", runLocal},
	{"node", "run one data node: the Redis-compatible engine", runNode},
	{"log", "run a transactional-log server (NATS JetStream)", runLog},
	{"snapshot", "build a snapshot from the newest snapshot and the log", notYet("snapshot")},
	{"operator", "run the Kubernetes operator", runOperator},
	{"check", "write keys through an endpoint and read them back (a smoke test, the e2e client)", runCheck},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	for _, sc := range subcommands {
		if sc.name == args[0] {
			return sc.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "mnemo: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Mnemo runs durable, Redis-compatible database clusters.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: mnemo <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, sc := range subcommands {
		fmt.Fprintf(w, "  %-9s %s\n", sc.name, sc.short)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'mnemo <command> --help' for the flags of a command.")
}

// notYet is the entry point of a role that a later release brings.
func notYet(name string) func([]string, io.Writer, io.Writer) int {
	return func(args []string, stdout, stderr io.Writer) int {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			fmt.Fprintf(stdout, "Usage: mnemo %s\n\nThis role is not implemented yet.\n", name)
			return 0
		}
		fmt.Fprintf(stderr, "mnemo %s: not implemented yet\n", name)
		return 1
	}
}
