package config

import "math"

// Access control and TLS parameters, with Redis 7's names and defaults,
// plus acl-admin, Mnemo's own: users come from the aclfile, and ACL
// SETUSER, DELUSER, LOAD and SAVE are refused unless it is yes (MemoryDB
// manages users outside the data plane the same way).
func init() {
	for _, p := range []*Param{
		{Name: "aclfile", Help: "file of ACL users (Redis aclfile format), re-read when it changes and on SIGHUP", Kind: String, Default: "", Immutable: true},
		{Name: "acllog-max-len", Help: "entries kept in the ACL LOG", Kind: Int, Default: "128", Min: 0, Max: math.MaxInt64},
		{Name: "acl-admin", Help: "allow ACL SETUSER, DELUSER, LOAD and SAVE from clients (yes for local development)", Kind: Bool, Default: "no", Immutable: true},
		{Name: "tls-port", Help: "TLS port to listen on (0: no TLS); --port 0 leaves only TLS", Kind: Int, Default: "0", Min: 0, Max: 65535, Immutable: true},
		{Name: "tls-cert-file", Help: "server certificate (PEM), re-read when the file changes", Kind: String, Default: "", Immutable: true},
		{Name: "tls-key-file", Help: "server private key (PEM), re-read when the file changes", Kind: String, Default: "", Immutable: true},
		{Name: "tls-ca-cert-file", Help: "CA certificates (PEM) that client certificates must chain to", Kind: String, Default: "", Immutable: true},
		{Name: "tls-auth-clients", Help: "require client certificates: yes, no, or optional (verified when sent)", Kind: Enum, Default: "yes", Enum: []string{"yes", "no", "optional"}, Immutable: true},
	} {
		define(p)
	}
}
