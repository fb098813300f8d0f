package rdb

import (
	"sync"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Codec serialises a value type this package does not implement itself:
// it is the extension point for streams (TypeStreamListpacks and its
// successors), and for any type added later. A codec's Encode writes the
// type byte and the body with the Encoder's primitives; its Decode reads
// the body of one of its Types with the Decoder's.
type Codec struct {
	// Type is the Value.Type() name of the values it writes ("stream").
	Type string
	// Types are the RDB object types it reads.
	Types  []byte
	Encode func(e *Encoder, v keyspace.Value) error
	Decode func(d *Decoder, typ byte) (keyspace.Value, error)
}

var (
	codecsMu     sync.RWMutex
	codecsByName = map[string]*Codec{}
	codecsByType = map[byte]*Codec{}
)

// Register adds a codec; packages defining value types call it from an
// init function.
func Register(c Codec) {
	codecsMu.Lock()
	defer codecsMu.Unlock()
	codecsByName[c.Type] = &c
	for _, t := range c.Types {
		codecsByType[t] = &c
	}
}

func codecFor(name string) *Codec {
	codecsMu.RLock()
	defer codecsMu.RUnlock()
	return codecsByName[name]
}

func codecForType(t byte) *Codec {
	codecsMu.RLock()
	defer codecsMu.RUnlock()
	return codecsByType[t]
}
