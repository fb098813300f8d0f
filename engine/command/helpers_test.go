package command

// run executes one command for client c and returns its raw reply,
// leaving the client's buffer empty.
func run(e *Engine, c *Client, args ...string) string {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	c.W.Reset()
	e.Execute(c, argv)
	out := string(c.W.Bytes())
	c.W.Reset()
	return out
}
