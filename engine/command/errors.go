package command

import "fmt"

// Client-visible error texts, exactly as Redis 7 sends them.
const (
	errSyntax            = "ERR syntax error"
	errWrongType         = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInt            = "ERR value is not an integer or out of range"
	errNotFloat          = "ERR value is not a valid float"
	errOverflow          = "ERR increment or decrement would overflow"
	errNoSuchKey         = "ERR no such key"
	errOutOfRange        = "ERR index out of range"
	errInvalidExpire     = "ERR invalid expire time in '%s' command"
	errCrossSlot         = "CROSSSLOT Keys in request don't hash to the same slot"
	errNoMultiNesting    = "ERR MULTI calls can not be nested"
	errExecNoMulti       = "ERR EXEC without MULTI"
	errDiscardNoMulti    = "ERR DISCARD without MULTI"
	errWatchInMulti      = "ERR WATCH inside MULTI is not allowed"
	errExecAbort         = "EXECABORT Transaction discarded because of previous errors."
	errNotAllowedInMulti = "ERR Command not allowed inside a transaction"
	errTimeoutNegative   = "ERR timeout is negative"
	errTimeoutNotFloat   = "ERR timeout is not a float or out of range"
	errOOM               = "OOM command not allowed when used memory > 'maxmemory'."
	errSelectCluster     = "ERR SELECT is not allowed in cluster mode"
	errNaN               = "ERR resulting score is not a number (NaN)"
	errStringTooLong     = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errMustBePositive    = "ERR value is out of range, must be positive"
	errInvalidCursor     = "ERR invalid cursor"
)

func errWrongArgs(name string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)
}

func errUnknownSubcommand(sub, container string) string {
	return fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", sub, container)
}

func errUnknownCommand(args [][]byte) string {
	var rest []byte
	for i := 1; i < len(args) && len(rest) < 128; i++ {
		a := args[i]
		if n := 128 - len(rest); len(a) > n {
			a = a[:n]
		}
		rest = append(rest, '\'')
		rest = append(rest, a...)
		rest = append(rest, '\'', ' ')
	}
	name := args[0]
	if len(name) > 128 {
		name = name[:128]
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", name, rest)
}
