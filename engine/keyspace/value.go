package keyspace

// Value is what a key holds. Each data type of this package implements it.
type Value interface {
	// Type is the name TYPE reports: "string", "list", "hash", "set",
	// "zset".
	Type() string
	// Encoding is the encoding OBJECT ENCODING reports, following Redis
	// 7.0's rules for the given thresholds.
	Encoding(l Limits) string
	// Clone returns a deep copy sharing nothing with the original (COPY).
	Clone() Value
	// Size estimates the bytes the value uses (MEMORY USAGE).
	Size() int64
}

// Limits are the size thresholds below which Redis keeps a value in a
// compact encoding; they only decide what OBJECT ENCODING reports.
type Limits struct {
	HashMaxListpackEntries int64
	HashMaxListpackValue   int64
	SetMaxIntsetEntries    int64
	ZsetMaxListpackEntries int64
	ZsetMaxListpackValue   int64
}
