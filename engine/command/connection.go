package command

func init() {
	register("ping", pingCmd)
	register("echo", echoCmd)
	register("quit", quitCmd)
	register("reset", resetCmd)
	register("hello", helloCmd)
	register("select", selectCmd)
	register("flushall", flushCmd)
	register("flushdb", flushCmd)
}

func pingCmd(c *Ctx) {
	if len(c.Args) > 2 {
		c.ErrArity()
		return
	}
	if c.C.subscriptions() > 0 && c.W.Proto == 2 {
		c.W.Array(2)
		c.W.BulkString("pong")
		if len(c.Args) == 2 {
			c.W.Bulk(c.Args[1])
		} else {
			c.W.BulkString("")
		}
		return
	}
	if len(c.Args) == 2 {
		c.W.Bulk(c.Args[1])
		return
	}
	c.W.Status("PONG")
}

func echoCmd(c *Ctx) { c.W.Bulk(c.Args[1]) }

func quitCmd(c *Ctx) {
	c.W.OK()
	c.C.CloseAfterReply = true
}

// resetCmd returns the connection to its state at connect time.
func resetCmd(c *Ctx) {
	cl, e := c.C, c.E
	cl.multi = nil
	e.unwatchAll(cl)
	e.pubsub.unsubscribeAll(cl)
	cl.name = ""
	cl.replyMode = replyOn
	cl.noEvict = false
	e.resetAuth(cl)
	c.W.Proto = 2
	c.W.Status("RESET")
}

// helloCmd switches the protocol version and describes the server. AUTH
// and SETNAME options are handled as Redis does; authentication itself
// arrives with users and ACLs.
func helloCmd(c *Ctx) {
	proto := c.W.Proto
	i := 1
	if len(c.Args) > 1 {
		v, ok := resp2Int(c.Args[1])
		if !ok {
			c.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			c.Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
		i = 2
	}
	var name []byte
	setName := false
	auth, user, pass := false, "", []byte(nil)
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.ArgIs(i, "AUTH") && more >= 2:
			c.Redact(i + 1)
			c.Redact(i + 2)
			auth, user, pass = true, c.Arg(i+1), c.Args[i+2]
			i += 2
		case c.ArgIs(i, "SETNAME") && more >= 1:
			name, setName = c.Args[i+1], true
			if !validClientName(name) {
				c.Error("ERR Client names cannot contain spaces, newlines or special characters.")
				return
			}
			i++
		default:
			c.Error("ERR Syntax error in HELLO option '" + c.Arg(i) + "'")
			return
		}
	}
	if !c.E.helloAuth(c, auth, user, pass) {
		return
	}
	if setName {
		c.C.name = string(name)
	}
	c.W.Proto = proto
	c.W.Map(7)
	c.W.BulkString("server")
	c.W.BulkString("redis")
	c.W.BulkString("version")
	c.W.BulkString(c.E.tab.redisVersion)
	c.W.BulkString("proto")
	c.W.Int(int64(proto))
	c.W.BulkString("id")
	c.W.Int(c.C.ID)
	c.W.BulkString("mode")
	c.W.BulkString("cluster")
	c.W.BulkString("role")
	if c.E.IsPrimary() {
		c.W.BulkString("master")
	} else {
		// Redis says "replica" here, where ROLE says "slave".
		c.W.BulkString("replica")
	}
	c.W.BulkString("modules")
	c.W.Array(0)
}

func resp2Int(b []byte) (int64, bool) {
	v, ok := parseIntArg(b)
	return v, ok
}

// validClientName reports whether a CLIENT SETNAME name is acceptable:
// printable ASCII without spaces.
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func selectCmd(c *Ctx) {
	if _, ok := parseIntArg(c.Args[1]); !ok {
		c.Error(errNotInt)
		return
	}
	if c.ArgIs(1, "0") {
		c.W.OK()
		return
	}
	c.Error(errSelectCluster)
}

// flushCmd is FLUSHALL and FLUSHDB: there is one database.
func flushCmd(c *Ctx) {
	if len(c.Args) > 2 || (len(c.Args) == 2 && !c.ArgIs(1, "ASYNC") && !c.ArgIs(1, "SYNC")) {
		c.ErrSyntax()
		return
	}
	e := c.E
	for key := range e.watchers {
		if e.db.Peek(key) != nil {
			e.touchWatchers(key)
		}
	}
	e.dirty += int64(e.db.Len())
	e.trackingFlushAll()
	e.db.Flush()
	e.dirty++
	c.W.OK()
}
