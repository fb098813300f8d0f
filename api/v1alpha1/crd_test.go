package v1alpha1

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"
)

// kubectl explain shows each field's description, which controller-gen
// takes from the doc comments: every field of every CRD must have one.
func TestEveryFieldIsDocumented(t *testing.T) {
	files, err := filepath.Glob("../../config/crd/bases/mnemo.dev_*.yaml")
	if err != nil || len(files) != 6 {
		t.Fatalf("want the 6 generated CRDs, found %v (%v)", files, err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Versions []struct {
					Schema struct {
						OpenAPIV3Schema crdSchema `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(raw, &crd); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		root := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
		if root.Description == "" {
			t.Errorf("%s: the kind has no description", filepath.Base(file))
		}
		for _, field := range []string{"spec", "status"} {
			if p, ok := root.Properties[field]; ok {
				checkDescribed(t, filepath.Base(file), field, p)
			}
		}
	}
}

type crdSchema struct {
	Description string               `json:"description"`
	Properties  map[string]crdSchema `json:"properties"`
	Items       *crdSchema           `json:"items"`
}

func checkDescribed(t *testing.T, file, path string, s crdSchema) {
	t.Helper()
	if s.Description == "" {
		t.Errorf("%s: %s has no description (add a doc comment)", file, path)
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		checkDescribed(t, file, path+"."+n, s.Properties[n])
	}
	if s.Items != nil {
		for n, p := range s.Items.Properties {
			checkDescribed(t, file, path+"[]."+n, p)
		}
	}
}
