package command

import (
	"slices"
	"strconv"
	"strings"
)

// CLIENT errors, as Redis 7 words them.
const (
	errClientName       = "ERR Client names cannot contain spaces, newlines or special characters."
	errNoSuchClient     = "ERR No such client"
	errInvalidClientID  = "ERR Invalid client ID"
	errClientIDPositive = "ERR client-id should be greater than 0"
	errUnblockReason    = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
	// errUnblocked is what a client unblocked by CLIENT UNBLOCK ... ERROR
	// gets instead of its command's reply.
	errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
)

// Client types, as CLIENT LIST TYPE and CLIENT KILL TYPE filter them.
// Mnemo has no replication links yet, so only normal and pubsub clients
// exist, but the other names are accepted as in Redis.
const (
	clientTypeNormal = iota
	clientTypeReplica
	clientTypePubSub
	clientTypeMaster
)

// readBufferSize is what CLIENT LIST reports as a client's reply buffer
// size (rbs, rbp): the engine's writers start at 16 KiB, as Redis's do.
const readBufferSize = 16 * 1024

func init() {
	register("client|id", clientIDCmd)
	register("client|info", clientInfoCmd)
	register("client|list", clientListCmd)
	register("client|setname", clientSetNameCmd)
	register("client|getname", clientGetNameCmd)
	register("client|setinfo", clientSetInfoCmd)
	register("client|kill", clientKillCmd)
	register("client|no-evict", clientNoEvictCmd)
	register("client|reply", clientReplyCmd)
	register("client|unblock", clientUnblockCmd)
	register("client|help", clientHelpCmd)
}

func clientIDCmd(c *Ctx) { c.W.Int(c.C.ID) }

func clientInfoCmd(c *Ctx) {
	c.W.Verbatim(string(appendClientInfo(nil, c, c.C)) + "\n")
}

// clientListCmd is CLIENT LIST [TYPE type | ID id...], one line per
// client in connection order.
func clientListCmd(c *Ctx) {
	typ := -1
	var ids []int64
	switch {
	case len(c.Args) == 4 && c.ArgIs(2, "TYPE"):
		t, ok := clientTypeByName(c.Arg(3))
		if !ok {
			c.Error("ERR Unknown client type '" + c.Arg(3) + "'")
			return
		}
		typ = t
	case len(c.Args) > 3 && c.ArgIs(2, "ID"):
		for i := 3; i < len(c.Args); i++ {
			id, ok := parseIntArg(c.Args[i])
			if !ok {
				c.Error(errInvalidClientID)
				return
			}
			ids = append(ids, id)
		}
	case len(c.Args) != 2:
		c.ErrSyntax()
		return
	}
	var out []byte
	if ids != nil {
		// Redis lists the clients in the order the IDs were given,
		// repeating a client named twice.
		for _, id := range ids {
			if cl := c.E.clients[id]; cl != nil {
				out = appendClientInfo(out, c, cl)
				out = append(out, '\n')
			}
		}
	} else {
		for _, cl := range c.E.sortedClients() {
			if typ >= 0 && clientType(cl) != typ {
				continue
			}
			out = appendClientInfo(out, c, cl)
			out = append(out, '\n')
		}
	}
	c.W.Verbatim(string(out))
}

// sortedClients returns the connected clients by ID, which is the order
// they connected in.
func (e *Engine) sortedClients() []*Client {
	out := make([]*Client, 0, len(e.clients))
	for _, cl := range e.clients {
		out = append(out, cl)
	}
	slices.SortFunc(out, func(a, b *Client) int { return int(a.ID - b.ID) })
	return out
}

func clientSetNameCmd(c *Ctx) {
	name := c.Args[2]
	if !validClientName(name) {
		c.Error(errClientName)
		return
	}
	// An empty name removes the name.
	c.C.name = string(name)
	c.W.OK()
}

func clientGetNameCmd(c *Ctx) {
	if c.C.name == "" {
		c.W.Null()
		return
	}
	c.W.BulkString(c.C.name)
}

// clientSetInfoCmd is Redis 7.2's CLIENT SETINFO LIB-NAME|LIB-VER value,
// which client libraries (go-redis v9, redis-py 5) send on connect.
func clientSetInfoCmd(c *Ctx) {
	var dst *string
	switch {
	case c.ArgIs(2, "LIB-NAME"):
		dst = &c.C.libName
	case c.ArgIs(2, "LIB-VER"):
		dst = &c.C.libVer
	default:
		c.Error("ERR Unrecognized option '" + c.Arg(2) + "'")
		return
	}
	if !validClientName(c.Args[3]) {
		c.Error("ERR " + c.Arg(2) + " cannot contain spaces, newlines or special characters.")
		return
	}
	*dst = c.Arg(3)
	c.W.OK()
}

// killFilter is a parsed CLIENT KILL: the clients matching every set field
// are closed.
type killFilter struct {
	addr, laddr string
	user        string
	typ         int // -1 for any
	id          int64
	skipMe      bool
	oldForm     bool // CLIENT KILL addr: replies OK or an error, not a count
}

func parseKillFilter(c *Ctx) (killFilter, bool) {
	f := killFilter{typ: -1, skipMe: true}
	if len(c.Args) == 3 {
		// The old form can kill the calling client itself.
		f.addr, f.skipMe, f.oldForm = c.Arg(2), false, true
		return f, true
	}
	for i := 2; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.ErrSyntax()
			return f, false
		}
		val := c.Arg(i + 1)
		switch {
		case c.ArgIs(i, "ID"):
			id, ok := parseIntArg(c.Args[i+1])
			if !ok || id < 1 {
				c.Error(errClientIDPositive)
				return f, false
			}
			f.id = id
		case c.ArgIs(i, "TYPE"):
			t, ok := clientTypeByName(val)
			if !ok {
				c.Error("ERR Unknown client type '" + val + "'")
				return f, false
			}
			f.typ = t
		case c.ArgIs(i, "ADDR"):
			f.addr = val
		case c.ArgIs(i, "LADDR"):
			f.laddr = val
		case c.ArgIs(i, "USER"):
			if c.E.aclUsers().Get(val) == nil {
				c.Error("ERR No such user '" + val + "'")
				return f, false
			}
			f.user = val
		case c.ArgIs(i, "SKIPME"):
			switch {
			case c.ArgIs(i+1, "YES"):
				f.skipMe = true
			case c.ArgIs(i+1, "NO"):
				f.skipMe = false
			default:
				c.ErrSyntax()
				return f, false
			}
		default:
			c.ErrSyntax()
			return f, false
		}
	}
	return f, true
}

func (f *killFilter) matches(self, cl *Client) bool {
	switch {
	case f.addr != "" && cl.Addr != f.addr,
		f.laddr != "" && cl.LAddr != f.laddr,
		f.typ >= 0 && clientType(cl) != f.typ,
		f.id != 0 && cl.ID != f.id,
		f.skipMe && cl == self,
		f.user != "" && clientUser(cl) != f.user:
		return false
	}
	return true
}

// clientKillCmd closes the matching connections. Other clients are
// detached from the engine at once, as Redis frees them at once, so a
// CLIENT LIST that follows no longer shows them; the calling client is
// closed after its reply.
func clientKillCmd(c *Ctx) {
	f, ok := parseKillFilter(c)
	if !ok {
		return
	}
	killed := 0
	closeSelf := false
	for _, cl := range c.E.sortedClients() {
		if !f.matches(c.C, cl) {
			continue
		}
		killed++
		if cl == c.C {
			closeSelf = true
			continue
		}
		cl.Kill()
		c.E.detachClient(cl)
	}
	switch {
	case !f.oldForm:
		c.W.Int(int64(killed))
	case killed == 0:
		c.Error(errNoSuchClient)
	default:
		c.W.OK()
	}
	if closeSelf {
		c.C.CloseAfterReply = true
	}
}

// detachClient forgets a killed client's engine state: the same work as
// RemoveClient, under the lock the caller holds. RemoveClient runs again
// when the connection's goroutine ends, which is harmless.
func (e *Engine) detachClient(cl *Client) {
	if cl.block != nil {
		e.unblock(cl)
	}
	e.unwatchAll(cl)
	e.pubsub.unsubscribeAll(cl)
	delete(e.clients, cl.ID)
}

func clientNoEvictCmd(c *Ctx) {
	switch {
	case c.ArgIs(2, "ON"):
		c.C.noEvict = true
	case c.ArgIs(2, "OFF"):
		c.C.noEvict = false
	default:
		c.ErrSyntax()
		return
	}
	c.W.OK()
}

// clientReplyCmd is CLIENT REPLY ON|OFF|SKIP. Only ON is answered; the
// engine drops the replies of a client in OFF or SKIP mode
// (applyReplyMode), and OFF and SKIP themselves get none.
func clientReplyCmd(c *Ctx) {
	switch {
	case c.ArgIs(2, "ON"):
		c.C.replyMode = replyOn
		c.W.OK()
	case c.ArgIs(2, "OFF"):
		c.C.replyMode = replyOff
	case c.ArgIs(2, "SKIP"):
		if c.C.replyMode != replyOff {
			c.C.replyMode = replySkipNext
		}
	default:
		c.ErrSyntax()
	}
}

// clientUnblockCmd is CLIENT UNBLOCK id [TIMEOUT|ERROR]: the blocked
// client gets its command's timeout reply, or an UNBLOCKED error. It
// replies 1 when a blocked client was found, else 0.
func clientUnblockCmd(c *Ctx) {
	if len(c.Args) > 4 {
		c.Error("ERR unknown subcommand or wrong number of arguments for '" + c.Arg(1) + "'. Try CLIENT HELP.")
		return
	}
	withError := false
	if len(c.Args) == 4 {
		switch {
		case c.ArgIs(3, "TIMEOUT"):
		case c.ArgIs(3, "ERROR"):
			withError = true
		default:
			c.Error(errUnblockReason)
			return
		}
	}
	id, ok := c.Int(2)
	if !ok {
		return
	}
	target := c.E.clients[id]
	if target == nil || target.block == nil {
		c.W.Int(0)
		return
	}
	if withError {
		c.E.unblock(target)
		target.W.Error(errUnblocked)
		c.E.stats.errorReplies++
	} else {
		c.E.unblockWithTimeout(target)
	}
	c.W.Int(1)
}

// clientHelpCmd is Redis 7.0's CLIENT HELP text, word for word, so tools
// that show it see what they expect.
func clientHelpCmd(c *Ctx) {
	replyHelp(c, "CLIENT", []string{
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
	})
}

// clientTypeByName parses a CLIENT LIST/KILL TYPE argument.
func clientTypeByName(name string) (int, bool) {
	switch strings.ToLower(name) {
	case "normal":
		return clientTypeNormal, true
	case "slave", "replica":
		return clientTypeReplica, true
	case "pubsub":
		return clientTypePubSub, true
	case "master":
		return clientTypeMaster, true
	}
	return 0, false
}

// clientType is a client's type: pubsub while it has subscriptions, as
// Redis's CLIENT_PUBSUB flag.
func clientType(cl *Client) int {
	if cl.subscriptions() > 0 {
		return clientTypePubSub
	}
	return clientTypeNormal
}

// appendClientInfo appends cl's CLIENT LIST line (without its newline) in
// Redis 7.0's format, plus Redis 7.2's lib-name and lib-ver. c is the
// command being run: the calling client shows it as its current command
// and counts its arguments, as in Redis.
//
// Buffer figures are Mnemo's own: the query buffer lives in the server
// and is not visible here, so qbuf and qbuf-free are 0; fd is the
// connection's ID, Go not exposing descriptors.
func appendClientInfo(b []byte, c *Ctx, cl *Client) []byte {
	now := c.Now
	argvMem := 0
	cmd := cl.lastCmd
	if cl == c.C {
		for _, a := range c.Args {
			argvMem += len(a)
		}
		cmd = c.Cmd.Name
	}
	if cmd == "" {
		cmd = "NULL"
	}
	multi, multiMem := -1, 0
	if cl.multi != nil {
		multi = len(cl.multi.cmds)
		for _, q := range cl.multi.cmds {
			for _, a := range q.args {
				multiMem += len(a)
			}
		}
	}
	omem := int(cl.outSize.Load())
	kv := func(k string) { b = append(b, ' '); b = append(b, k...); b = append(b, '=') }
	num := func(k string, v int64) { kv(k); b = strconv.AppendInt(b, v, 10) }
	str := func(k, v string) { kv(k); b = append(b, v...) }

	b = append(b, "id="...)
	b = strconv.AppendInt(b, cl.ID, 10)
	str("addr", cl.Addr)
	str("laddr", cl.LAddr)
	num("fd", cl.ID)
	str("name", cl.name)
	num("age", (now-cl.created.UnixMilli())/1000)
	num("idle", (now-cl.lastInteraction.Load())/1000)
	str("flags", clientFlags(c.E, cl))
	num("db", 0)
	num("sub", int64(len(cl.channels)))
	num("psub", int64(len(cl.patterns)))
	num("ssub", 0)
	num("multi", int64(multi))
	num("qbuf", 0)
	num("qbuf-free", 0)
	num("argv-mem", int64(argvMem))
	num("multi-mem", int64(multiMem))
	num("rbs", readBufferSize)
	num("rbp", readBufferSize)
	num("obl", 0)
	num("oll", 0)
	num("omem", int64(omem))
	num("tot-mem", int64(readBufferSize+argvMem+multiMem+omem))
	str("events", "r")
	str("cmd", cmd)
	str("user", clientUser(cl))
	num("redir", c.E.trackingRedir(cl))
	num("resp", int64(cl.Proto()))
	str("lib-name", cl.libName)
	str("lib-ver", cl.libVer)
	return b
}

// clientFlags is the flags field of CLIENT LIST, with Redis's letters for
// the states Mnemo has.
func clientFlags(e *Engine, cl *Client) string {
	var f []byte
	if cl.subscriptions() > 0 {
		f = append(f, 'P')
	}
	if cl.multi != nil {
		f = append(f, 'x')
	}
	if cl.block != nil {
		f = append(f, 'b')
	}
	f = append(f, e.trackingFlags(cl)...)
	if cl.dirtyCAS {
		f = append(f, 'd')
	}
	if cl.CloseAfterReply {
		f = append(f, 'c')
	}
	if e.isReadOnly(cl) {
		f = append(f, 'r')
	}
	if cl.noEvict {
		f = append(f, 'e')
	}
	if len(f) == 0 {
		return "N"
	}
	return string(f)
}

// clientUser names the user a connection is authenticated as.
func clientUser(cl *Client) string {
	if cl.acl.init && cl.acl.user != nil {
		return cl.acl.user.Name
	}
	return defaultUser
}
