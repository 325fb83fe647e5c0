package proxy

import (
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// consoles is a game's authoritative map from PID to the console's
// current secure session. A console that reconnects (after a crash, a
// network change, a quick relog) replaces its stale session: the old one
// is disconnected and ended (its OnClose functions run, so the services
// forget what it registered) before the new one serves a call. Lookups
// "the session of PID X" never find a dead connection, the fault behind
// Pretendo users' "cannot join friends" reports.
type consoles struct {
	mu    sync.Mutex
	byPID map[uint64]*pair
}

// staleEndWait bounds how long a reconnecting console waits for its stale
// session to end; an abort ends it at once, so this is only a safety net.
const staleEndWait = 2 * time.Second

// shared reports whether pid is an account many consoles use at once
// (the guest): its sessions never replace one another.
func shared(pid uint64) bool {
	return pid == 0 || pid == config.Guest.PID || pid == guestPIDSwitch
}

// errSuperseded ends a secure session whose console connected again
// before the session started: the newer connection serves it.
var errSuperseded = errors.New("proxy: the console connected again; its newer session serves it")

// claim makes p the session of its PID, ending the session it replaces,
// and reports true. It reports false, and changes nothing, when the PID's
// session is a newer connection than p (its CONNECT was accepted after
// p's): p is then the stale one, and the caller ends it.
func (cs *consoles) claim(p *pair) bool {
	pid := p.sess.PID()
	if shared(pid) {
		return true
	}
	cs.mu.Lock()
	if cs.byPID == nil {
		cs.byPID = map[uint64]*pair{}
	}
	old := cs.byPID[pid]
	if old != nil && old.seq > p.seq {
		cs.mu.Unlock()
		return false
	}
	cs.byPID[pid] = p
	cs.mu.Unlock()
	if old == nil || old == p {
		return true
	}
	p.info("console reconnected: ending its stale session", zap.Uint64("pid", pid), zap.String("stale_conn", old.sess.ID))
	old.abort()
	select {
	case <-old.done:
	case <-time.After(staleEndWait):
		p.warn("stale session did not end in time", zap.Uint64("pid", pid), zap.String("stale_conn", old.sess.ID))
	}
	return true
}

// release forgets p once its session ended, unless a newer session of
// the same PID replaced it.
func (cs *consoles) release(p *pair) {
	pid := p.sess.PID()
	cs.mu.Lock()
	if cs.byPID[pid] == p {
		delete(cs.byPID, pid)
	}
	cs.mu.Unlock()
}

// disconnect ends the console connection of s at once (a forced
// DISCONNECT) when s is still its PID's current session, and reports
// whether it did.
func (cs *consoles) disconnect(s *rpc.Session) bool {
	cs.mu.Lock()
	p := cs.byPID[s.PID()]
	cs.mu.Unlock()
	if p == nil || p.sess != s {
		return false
	}
	p.abort()
	return true
}

// session returns the current secure session of pid, nil when the
// console is not connected to this instance.
func (cs *consoles) session(pid uint64) *rpc.Session {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if p := cs.byPID[pid]; p != nil {
		return p.sess
	}
	return nil
}
