package controllers

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// The admission policy that refuses unknown node types lists the built-in
// catalog's names by hand; keep the two the same.
func TestNodeTypePolicyListsTheCatalog(t *testing.T) {
	src, err := os.ReadFile("../config/policy/node_types.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)- name: builtin\s+expression: >-\s+\[(.*?)\]`).FindSubmatch(src)
	if m == nil {
		t.Fatal("no builtin variable in config/policy/node_types.yaml")
	}
	var names []string
	for _, n := range strings.Split(string(m[1]), ",") {
		names = append(names, strings.Trim(strings.TrimSpace(n), "'"))
	}
	if want := plan.BuiltinCatalog().Names(); !slices.Equal(names, want) {
		t.Errorf("policy lists %v, the catalog has %v", names, want)
	}
}
