package builtin

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Encoder encodes a request body for a console's RMC settings. Bodies are
// encoded late because the settings are the target session's (structure
// headers may depend on what the console negotiated), which the sender
// does not know when the console is connected to another instance.
type Encoder func(rmc.Settings) ([]byte, error)

// ErrNotConnected is returned by SendToConsole when the PID has no
// session here and no station entry elsewhere.
var ErrNotConnected = errors.New("builtin: console not connected")

// deliverTopicPrefix prefixes the bus topic of each instance's courier.
const deliverTopicPrefix = "deliver/"

// remoteCallTimeout bounds a call (not a notification) the courier makes
// on a local console for another instance; nobody waits for its answer.
const remoteCallTimeout = 10 * time.Second

// maxRemoteCalls bounds the calls in flight for other instances, so that
// a flood of bus messages cannot pile up goroutines.
const maxRemoteCalls = 64

// courier delivers requests to consoles wherever they are connected: to
// a local session directly, to one on another instance through the bus.
// One runs per Host; its subscriber starts with the first game built and
// stops in Host.Close. Its fields are guarded by the Host's mu (log and
// slots are set before the subscriber starts and read only by it).
type courier struct {
	games  map[string]courierGame
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slots  chan struct{}
	log    *zap.Logger
	closed bool
}

// courierGame is what the courier needs of one game.
type courierGame struct {
	console  func(pid uint64) *rpc.Session
	settings rmc.Settings
}

// addGame registers env's game with the host's courier and starts the
// courier's subscriber when the host has a bus and a stations store.
func (h *Host) addGame(env *proxy.Env) error {
	if env == nil || env.Game == nil || env.Console == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := &h.courier
	if c.games == nil {
		c.games = map[string]courierGame{}
	}
	c.games[env.Game.Name] = courierGame{console: env.Console, settings: env.Game.RMC}
	if c.cancel != nil || c.closed || !h.has(StoreBus) || !h.has(StoreStations) {
		return nil
	}
	c.log = zap.NewNop()
	if env.Log != nil {
		c.log = env.Log
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := h.Stores.Bus.Subscribe(ctx, deliverTopicPrefix+h.Instance)
	if err != nil {
		cancel()
		return fmt.Errorf("builtin: subscribe to deliveries: %w", err)
	}
	c.cancel = cancel
	c.slots = make(chan struct{}, maxRemoteCalls)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for msg := range ch {
			h.deliverRemote(ctx, msg)
		}
	}()
	return nil
}

// closeCourier stops the subscriber and waits for the calls it made.
func (h *Host) closeCourier() {
	h.mu.Lock()
	c := &h.courier
	c.closed = true
	cancel := c.cancel
	h.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	c.wg.Wait()
}

func (h *Host) game(name string) (courierGame, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	g, ok := h.courier.games[name]
	return g, ok
}

// SendToConsole sends a request to pid's console in game, wherever it is
// connected. When its session is on this instance it is sent directly
// and the error is the console's (for a call, an error result counts as
// delivered; the answer is returned). Otherwise the request is published
// to the instance that owns the console's station entry, which sends it
// on its local session; the answer of such a call is logged there, not
// returned (nil message). oneWay picks Notify (protocol 14 and the like)
// over Call.
func (h *Host) SendToConsole(ctx context.Context, game string, pid uint64, protocol uint16, method uint32, encode Encoder, oneWay bool) (*rmc.Message, error) {
	g, ok := h.game(game)
	if !ok {
		return nil, fmt.Errorf("builtin: send to console: game %q has no services here", game)
	}
	if sess := g.console(pid); sess != nil && sess.Console() != nil {
		body, err := encode(sess.Settings)
		if err != nil {
			return nil, fmt.Errorf("builtin: send to console %d: encode: %w", pid, err)
		}
		if oneWay {
			return nil, sess.Console().Notify(ctx, protocol, method, body)
		}
		return sess.Console().Call(ctx, protocol, method, body)
	}
	if !h.has(StoreBus) || !h.has(StoreStations) {
		return nil, ErrNotConnected
	}
	st, err := h.Stores.Stations.Get(ctx, game, pid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotConnected
	}
	if err != nil {
		return nil, fmt.Errorf("builtin: send to console %d: look up station: %w", pid, err)
	}
	if st.Owner.Instance == h.Instance {
		// A stale entry of ours: the session is gone.
		return nil, ErrNotConnected
	}
	d := Delivery{Game: game, PID: pid, Protocol: protocol, Method: method, OneWay: oneWay}
	for i, hdr := range []bool{false, true} {
		s := g.settings
		s.StructHeader = hdr
		if d.Bodies[i], err = encode(s); err != nil {
			return nil, fmt.Errorf("builtin: send to console %d: encode: %w", pid, err)
		}
	}
	msg, err := d.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("builtin: send to console %d: %w", pid, err)
	}
	if err := h.Stores.Bus.Publish(ctx, deliverTopicPrefix+st.Owner.Instance, msg); err != nil {
		return nil, fmt.Errorf("builtin: send to console %d: publish to %s: %w", pid, st.Owner.Instance, err)
	}
	return nil, nil
}

// deliverRemote sends a request another instance published for a console
// connected here. Bus input is untrusted: a malformed message is logged
// and dropped.
func (h *Host) deliverRemote(ctx context.Context, msg []byte) {
	c := &h.courier
	var d Delivery
	if err := d.UnmarshalBinary(msg); err != nil {
		c.log.Warn("builtin: malformed delivery dropped", zap.Int("bytes", len(msg)), zap.Error(err))
		return
	}
	fields := []zap.Field{zap.String("game", d.Game), zap.Uint64("pid", d.PID), zap.Uint16("protocol", d.Protocol), zap.Uint32("method", d.Method)}
	g, ok := h.game(d.Game)
	if !ok {
		c.log.Debug("builtin: delivery for a game not served here dropped", fields...)
		return
	}
	sess := g.console(d.PID)
	if sess == nil || sess.Console() == nil {
		c.log.Debug("builtin: delivery for a console no longer here dropped", fields...)
		return
	}
	fields = append(fields, zap.String("conn", sess.ID))
	body := d.Bodies[0]
	if sess.Settings.StructHeader {
		body = d.Bodies[1]
	}
	select {
	case c.slots <- struct{}{}:
	default:
		c.log.Warn("builtin: too many deliveries in flight; one dropped", fields...)
		return
	}
	c.wg.Add(1)
	// Sent from its own goroutine so that one slow console does not hold
	// up deliveries to the others.
	go func() {
		defer c.wg.Done()
		defer func() { <-c.slots }()
		sctx, cancel := context.WithTimeout(ctx, remoteCallTimeout)
		defer cancel()
		if d.OneWay {
			if err := sess.Console().Notify(sctx, d.Protocol, d.Method, body); err != nil {
				c.log.Debug("builtin: delivery not sent", append(fields, zap.Error(err))...)
			}
			return
		}
		m, err := sess.Console().Call(sctx, d.Protocol, d.Method, body)
		switch {
		case err != nil:
			c.log.Debug("builtin: delivered call not answered", append(fields, zap.Error(err))...)
		case m != nil && m.Error != 0:
			c.log.Debug("builtin: delivered call refused", append(fields, zap.Stringer("result", m.Error))...)
		}
	}()
}

// Delivery is a request for a console connected to another instance, as
// it crosses the bus.
type Delivery struct {
	Game     string
	PID      uint64
	Protocol uint16
	Method   uint32
	OneWay   bool
	// Bodies are the request body encoded without (0) and with (1)
	// structure headers; the receiver picks its session's.
	Bodies [2][]byte
}

// Limits of a Delivery on the wire.
const (
	deliveryVersion = 1
	maxDeliveryGame = 255
	maxDeliveryBody = 1 << 20
	deliveryFixed   = 1 + 1 + 8 + 2 + 4 + 1 // version, flags, pid, protocol, method, game length
)

// MarshalBinary encodes d: version u8, flags u8 (bit 0 one-way, bit 1
// both bodies equal), pid u64, protocol u16, method u32, game (u8 length),
// then each body as u32 length + bytes (the second omitted when equal),
// all little-endian.
func (d *Delivery) MarshalBinary() ([]byte, error) {
	if len(d.Game) > maxDeliveryGame {
		return nil, fmt.Errorf("builtin: delivery game name of %d bytes", len(d.Game))
	}
	same := string(d.Bodies[0]) == string(d.Bodies[1])
	bodies := d.Bodies[:]
	if same {
		bodies = bodies[:1]
	}
	n := deliveryFixed + len(d.Game)
	for _, b := range bodies {
		if len(b) > maxDeliveryBody {
			return nil, fmt.Errorf("builtin: delivery body of %d bytes", len(b))
		}
		n += 4 + len(b)
	}
	out := make([]byte, 0, n)
	var flags byte
	if d.OneWay {
		flags |= 1
	}
	if same {
		flags |= 2
	}
	out = append(out, deliveryVersion, flags)
	out = binary.LittleEndian.AppendUint64(out, d.PID)
	out = binary.LittleEndian.AppendUint16(out, d.Protocol)
	out = binary.LittleEndian.AppendUint32(out, d.Method)
	out = append(out, byte(len(d.Game)))
	out = append(out, d.Game...)
	for _, b := range bodies {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
		out = append(out, b...)
	}
	return out, nil
}

// UnmarshalBinary decodes a Delivery; it never allocates more than the
// message holds and rejects unknown versions, flags and trailing bytes.
func (d *Delivery) UnmarshalBinary(b []byte) error {
	if len(b) < deliveryFixed {
		return fmt.Errorf("builtin: delivery of %d bytes is too short", len(b))
	}
	if b[0] != deliveryVersion {
		return fmt.Errorf("builtin: delivery version %d", b[0])
	}
	flags := b[1]
	if flags&^3 != 0 {
		return fmt.Errorf("builtin: delivery flags %#x", flags)
	}
	*d = Delivery{OneWay: flags&1 != 0}
	d.PID = binary.LittleEndian.Uint64(b[2:])
	d.Protocol = binary.LittleEndian.Uint16(b[10:])
	d.Method = binary.LittleEndian.Uint32(b[12:])
	gl := int(b[16])
	rest := b[deliveryFixed:]
	if len(rest) < gl {
		return errors.New("builtin: delivery game name truncated")
	}
	d.Game, rest = string(rest[:gl]), rest[gl:]
	count := 2
	if flags&2 != 0 {
		count = 1
	}
	for i := 0; i < count; i++ {
		if len(rest) < 4 {
			return errors.New("builtin: delivery body length truncated")
		}
		n := binary.LittleEndian.Uint32(rest)
		rest = rest[4:]
		if n > maxDeliveryBody || uint64(n) > uint64(len(rest)) {
			return fmt.Errorf("builtin: delivery body of %d bytes with %d left", n, len(rest))
		}
		d.Bodies[i] = append([]byte{}, rest[:n]...)
		rest = rest[n:]
	}
	if count == 1 {
		d.Bodies[1] = d.Bodies[0]
	}
	if len(rest) != 0 {
		return fmt.Errorf("builtin: %d trailing bytes after delivery", len(rest))
	}
	return nil
}
