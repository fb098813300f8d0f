// Package config holds the engine's parameters: their names, types,
// defaults and valid ranges, how they are read from a redis.conf-style file
// and from redis-server-style command-line flags (--maxmemory 100mb), and
// how CONFIG GET/SET see them.
//
// A parameter either exists here, with real effect in the engine, or is
// refused as unknown: nothing is accepted and ignored.
package config
