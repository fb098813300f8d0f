// Package config holds the engine's parameters: their names, types,
// defaults and valid ranges, how they are read from a redis.conf-style file
// and from redis-server-style command-line flags (--maxmemory 100mb), and
// how CONFIG GET/SET see them.
//
// A parameter either exists here or is refused as unknown. Most have their
// Redis effect in the engine; a few are accepted only so that a Redis
// configuration file or a parameter group applies unchanged (encoding
// thresholds that only decide what OBJECT ENCODING reports, activedefrag,
// parameters of types Mnemo does not have yet). docs/parameters.md lists
// every parameter with its default and says which ones those are.
package config
