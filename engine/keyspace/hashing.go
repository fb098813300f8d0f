package keyspace

import "hash/maphash"

// hashSeed is random per process, so clients cannot choose members that
// all fall into one bucket, and fixed for the process, so clones keep their
// entries' hash values and scan cursors stay meaningful across calls.
var hashSeed = maphash.MakeSeed()

// hashString is the hash the set and hash types bucket and scan by.
func hashString(s string) uint64 { return maphash.String(hashSeed, s) }
