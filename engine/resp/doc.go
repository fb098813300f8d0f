// Package resp reads and writes the Redis serialization protocol (RESP2 and
// RESP3) on the server side.
//
// It is the wire format only: Reader turns a byte stream into commands
// (multibulk requests and inline commands as telnet and redis-cli send them),
// Writer encodes replies, choosing the RESP2 or RESP3 form of each reply type
// from the connection's negotiated protocol version. Neither knows what a
// command means.
//
// The Reader is on the hot path: the arguments it returns alias its internal
// buffer and stay valid only until the next call to ReadCommand. Anything that
// keeps an argument must copy it.
package resp
