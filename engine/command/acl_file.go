package command

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/mnemo-dev/mnemo/engine/acl"
)

// aclPollInterval is how often the aclfile is checked for changes. A
// Secret mounted by Kubernetes changes by a symlink swap, which file
// notifications on the file itself miss; a stat a second is cheap and
// sees every kind of change.
const aclPollInterval = time.Second

// LoadACL loads the users of the aclfile parameter, if set. The node
// calls it before serving: a broken file stops the start, as it stops
// redis-server.
func (e *Engine) LoadACL() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.aclUsers()
	if e.acl.file == "" {
		return nil
	}
	return e.loadACLFile(nil)
}

// ReloadACL re-reads the aclfile (SIGHUP, file change). On error the
// users stay as they were.
func (e *Engine) ReloadACL() error { return e.LoadACL() }

// loadACLFile reads the aclfile and swaps its users in. cur is the
// client running ACL LOAD, or nil.
func (e *Engine) loadACLFile(cur *Client) error {
	us, err := acl.LoadFile(aclCatalog().cat, e.acl.file)
	if err != nil {
		return err
	}
	e.swapUsers(cur, us, true)
	return nil
}

// swapUsers makes us the engine's users and moves every connection to
// its user's new definition. Connections whose user is gone are closed,
// as are those of a user now disabled when killDisabled (a reloaded
// file), and subscribers to channels their user may no longer use. cur,
// the client whose command caused the change, is closed after its reply.
func (e *Engine) swapUsers(cur *Client, us *acl.Users, killDisabled bool) {
	e.acl.users = us
	for _, cl := range e.clients {
		if !cl.acl.init {
			continue
		}
		nu := us.Get(cl.acl.user.Name)
		kill := nu == nil
		if nu != nil && killDisabled && !nu.Enabled() && cl.acl.authenticated {
			kill = true
		}
		if !kill && nu != nil && cl.subscriptions() > 0 {
			kill = !subscriptionsAllowed(cl, nu)
		}
		if !kill {
			cl.acl.user = nu
			continue
		}
		// As Redis does, drop the identity before the connection goes,
		// so nothing it still runs can use the old rights.
		cl.acl = clientACL{init: true, user: us.Default()}
		if cl == cur {
			cl.CloseAfterReply = true
		} else {
			cl.Kill()
		}
	}
}

func subscriptionsAllowed(cl *Client, u *acl.User) bool {
	for ch := range cl.channels {
		if !u.ChannelAllowed(ch, false) {
			return false
		}
	}
	for p := range cl.patterns {
		if !u.ChannelAllowed(p, true) {
			return false
		}
	}
	return true
}

// WatchACL re-reads the aclfile when it changes and on every value from
// hup (SIGHUP), until ctx ends. Connections stay up; see swapUsers for
// those that do not.
func (e *Engine) WatchACL(ctx context.Context, hup <-chan os.Signal, log *slog.Logger) {
	file := e.cfg.String("aclfile")
	if file == "" {
		return
	}
	last := fileStamp(file)
	t := time.NewTicker(aclPollInterval)
	defer t.Stop()
	for {
		reason := ""
		select {
		case <-ctx.Done():
			return
		case <-hup:
			reason = "SIGHUP"
		case <-t.C:
			if s := fileStamp(file); s != last {
				last, reason = s, "file changed"
			}
		}
		if reason == "" {
			continue
		}
		if err := e.ReloadACL(); err != nil {
			log.Error("Kept the previous ACL users: cannot load the aclfile", "file", file, "reason", reason, "error", err)
			continue
		}
		log.Info("Reloaded ACL users", "file", file, "reason", reason)
	}
}

// stamp identifies a version of a file cheaply.
type stamp struct {
	mod  time.Time
	size int64
	ok   bool
}

// fileStamp stats a file, following symlinks (a Kubernetes Secret volume
// swaps a ..data symlink).
func fileStamp(name string) stamp {
	fi, err := os.Stat(name)
	if err != nil {
		return stamp{}
	}
	return stamp{fi.ModTime(), fi.Size(), true}
}
