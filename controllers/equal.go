package controllers

import (
	"k8s.io/apimachinery/pkg/api/equality"
)

// equalObjects reports whether two API objects are semantically equal
// (quantities by value, times to the second).
func equalObjects(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }
