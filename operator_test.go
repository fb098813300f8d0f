package main

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseOperatorFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want func(*operatorFlags) bool
		err  string
	}{
		{name: "defaults", want: func(f *operatorFlags) bool {
			return f.metricsAddr == ":8080" && f.probeAddr == ":8081" && !f.leaderElect && f.logFormat == "text" &&
				len(f.namespaces) == 0 && f.nodeTypesConfigMap == "mnemo-node-types"
		}},
		{name: "everything", args: []string{"--namespace", "a,b", "--namespace=c", "--leader-elect", "--log-format", "json",
			"--metrics-bind-address", "0", "--mnemo-image", "reg/mnemo:1.2", "--log-level", "debug"},
			want: func(f *operatorFlags) bool {
				return slices.Equal(f.namespaces, []string{"a", "b", "c"}) && f.leaderElect && f.logFormat == "json" &&
					f.metricsAddr == "0" && f.image == "reg/mnemo:1.2" && f.logLevel == "debug"
			}},
		{name: "bad log format", args: []string{"--log-format", "xml"}, err: "--log-format must be json or text"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, err: "--log-level must be debug, info or error"},
		{name: "stray argument", args: []string{"now"}, err: `unexpected argument "now"`},
		{name: "unknown flag", args: []string{"--frobnicate"}, err: "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			f, err := parseOperatorFlags(tc.args, &stderr)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.want(f) {
				t.Fatalf("got %+v, %v", f, err)
			}
		})
	}
}

func TestRunOperatorExitCodes(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := runOperator([]string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "-leader-elect") || stderr.Len() != 0 {
		t.Errorf("--help: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	stderr.Reset()
	if code := runOperator([]string{"--log-format", "xml"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "mnemo operator: --log-format") {
		t.Errorf("bad flag: exit %d, output %q", code, stderr.String())
	}
	// With no cluster to find, it says so, as JSON when asked, and fails.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("HOME", t.TempDir())
	stderr.Reset()
	code := runOperator([]string{"--log-format", "json", "--metrics-bind-address", "0", "--health-probe-bind-address", "0"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), `"msg":"Operator stopped"`) || !strings.Contains(stderr.String(), "cannot find a Kubernetes cluster") {
		t.Errorf("no cluster: exit %d, output %q", code, stderr.String())
	}
}
