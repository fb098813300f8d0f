package v1alpha1

import (
	"os"
	"regexp"
	"testing"
)

// celAllowlistRule returns the names list of the CEL rule on a
// ParameterGroup's parameters, from the marker in parametergroup_types.go.
func celAllowlistRule(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("parametergroup_types.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`rule="self\.all\(k, k in \[([^\]]*)\]\)"`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no allowlist rule in parametergroup_types.go")
	}
	return string(m[1])
}
