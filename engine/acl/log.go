package acl

// Log entry reasons and contexts, as ACL LOG names them.
const (
	ReasonCommand = "command"
	ReasonKey     = "key"
	ReasonChannel = "channel"
	ReasonAuth    = "auth"

	ContextTopLevel = "toplevel"
	ContextMulti    = "multi"
	ContextLua      = "lua"
)

// groupWindowMs is how close in time a denial must be to an earlier,
// identical one to be counted in it rather than logged anew.
const groupWindowMs = 60000

// LogEntry is one ACL LOG entry.
type LogEntry struct {
	Count      int64
	Reason     string
	Context    string
	Object     string
	Username   string
	CreatedMs  int64 // last update, Unix ms
	ClientInfo string
}

// Log is the ACL security log, newest entry first. It is not safe for
// concurrent use: the engine guards it with its lock.
type Log struct {
	entries []*LogEntry
}

// Add records a denial, folding it into one of the ten newest entries
// when it is the same denial within a minute, as Redis does, and keeps
// at most max entries.
func (l *Log) Add(e LogEntry, max int) {
	e.Count = 1
	for i := 0; i < len(l.entries) && i < 10; i++ {
		old := l.entries[i]
		d := old.CreatedMs - e.CreatedMs
		if d < 0 {
			d = -d
		}
		if old.Reason == e.Reason && old.Context == e.Context && d <= groupWindowMs &&
			old.Object == e.Object && old.Username == e.Username {
			old.ClientInfo, old.CreatedMs = e.ClientInfo, e.CreatedMs
			old.Count++
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = old
			return
		}
	}
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = &e
	if max < 0 {
		max = 0
	}
	if len(l.entries) > max {
		l.entries = l.entries[:max]
	}
}

// Entries returns up to n entries, newest first.
func (l *Log) Entries(n int) []*LogEntry {
	if n > len(l.entries) {
		n = len(l.entries)
	}
	return l.entries[:n]
}

// Reset empties the log.
func (l *Log) Reset() { l.entries = nil }
