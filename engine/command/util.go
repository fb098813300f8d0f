package command

import (
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/resp"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// parseIntArg parses an integer argument with Redis's rules.
func parseIntArg(b []byte) (int64, bool) { return resp.ParseInt(b) }
