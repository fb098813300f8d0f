// Package server serves the engine over TCP: it accepts connections, reads
// commands with engine/resp, hands them to the engine one at a time per
// connection, and writes the replies back, one write per pipeline.
//
// One goroutine reads and executes per connection; a second one writes for
// connections that receive out-of-band messages (pub/sub), so a publisher
// never waits on a subscriber's socket.
package server
