// Package plan holds the operator's decisions as pure functions: how the
// hash slots are spread over shards, what a node type means, which pod rolls
// next, when an automatic snapshot is due and which ones have expired, and
// what phase and conditions a Cluster's observed objects amount to.
//
// Nothing here talks to the API server or reads a clock: inputs in, a small
// value with a reason out, so table tests cover every branch. The
// reconcilers in package controllers gather the inputs and carry out the
// decisions.
package plan
