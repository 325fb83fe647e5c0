package prudp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// lifecycleProfiles are the variants whose unreliable DATA and
// DISCONNECT handling differ: v0 and v1 (per-packet RC4 keys), Lite (no
// encryption) and RV (its fixed key).
var lifecycleProfiles = []string{"v0", "v1-minor4", "lite", "rv"}

// TestUnreliableData: SendUnreliable's messages arrive whole, marked
// unreliable, decrypted with their per-packet keys; a message larger than
// one fragment is refused instead of being cut.
func TestUnreliableData(t *testing.T) {
	for _, name := range lifecycleProfiles {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := fastSettings(variantProfiles()[name])
				tn := newTestNet(t, 21, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
				cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				// Inside the bubble, also after a failed check.
				t.Cleanup(func() { closeAll(tn.l, cli, srv) })
				for i := range 3 {
					want := testMessage(i, 20+i*100)
					if err := cli.SendUnreliable(want); err != nil {
						t.Fatal(err)
					}
					got, err := srv.Recv(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if got.Reliable || got.Substream != 0 || !bytes.Equal(got.Data, want) {
						t.Fatalf("message %d: reliable %v substream %d, %d bytes; want unreliable %d bytes", i, got.Reliable, got.Substream, len(got.Data), len(want))
					}
				}
				if err := cli.SendUnreliable(make([]byte, s.FragmentSize+1)); !errors.Is(err, ErrMessageTooLarge) {
					t.Errorf("oversized unreliable message: %v, want ErrMessageTooLarge", err)
				}
				if st := cli.Stats(); st.MessagesSent != 3 || st.Resent != 0 {
					t.Errorf("client stats %+v, want 3 messages sent, none resent", st)
				}
			})
		})
	}
}

// TestDisconnect: Close delivers every queued message before its
// DISCONNECT and the peer ends with ErrClosed alone; Abort's forced
// DISCONNECT ends the peer at once with ErrAborted.
func TestDisconnect(t *testing.T) {
	for _, name := range lifecycleProfiles {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := fastSettings(variantProfiles()[name])
				tn := newTestNet(t, 22, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})

				cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				// Inside the bubble, also after a failed check.
				t.Cleanup(func() { closeAll(tn.l, cli, srv) })
				msgs := [][]byte{testMessage(1, 10), testMessage(2, 3*s.FragmentSize), testMessage(3, 1)}
				for _, m := range msgs {
					if err := cli.Send(ctx, 0, m); err != nil {
						t.Fatal(err)
					}
				}
				if err := cli.Close(); err != nil {
					t.Fatal(err)
				}
				for i, want := range msgs {
					got, err := srv.Recv(ctx)
					if err != nil || !bytes.Equal(got.Data, want) {
						t.Fatalf("message %d after Close: %d bytes, %v; want %d bytes", i, len(got.Data), err, len(want))
					}
				}
				if _, err := srv.Recv(ctx); !errors.Is(err, ErrClosed) || errors.Is(err, ErrAborted) || errors.Is(err, ErrTimeout) {
					t.Errorf("server after graceful DISCONNECT: %v, want ErrClosed only", err)
				}
				if st := srv.Stats(); st.Resent != 0 {
					t.Errorf("server resent %d packets: the DISCONNECT was not acknowledged", st.Resent)
				}

				cli, srv, err = tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				cli.Abort()
				<-srv.Done()
				if d := time.Since(start); d > 10*time.Millisecond {
					t.Errorf("forced DISCONNECT took %v to end the peer", d)
				}
				if err := srv.Err(); !errors.Is(err, ErrClosed) || !errors.Is(err, ErrAborted) {
					t.Errorf("server after forced DISCONNECT: %v, want ErrClosed and ErrAborted", err)
				}
			})
		})
	}
}

// TestSynKeepsNoState: a listener answers SYNs from many sources without
// creating anything for them; only a valid CONNECT does.
func TestSynKeepsNoState(t *testing.T) {
	for _, name := range []string{"v0", "v1-minor4", "lite"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := fastSettings(variantProfiles()[name])
				tn := newTestNet(t, 23, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
				t.Cleanup(func() { tn.l.Close() })
				codec, err := NewCodec(&s)
				if err != nil {
					t.Fatal(err)
				}
				syn := Packet{Source: VPort{StreamRVSecure, 15}, Dest: VPort{StreamRVSecure, 1}, Type: TypeSyn, Flags: FlagNeedAck,
					MinorVersion: s.MinorVersion, SupportedFunctions: s.SupportedFunctions, MaxSubstream: s.MaxSubstream}
				if s.Variant != Lite {
					syn.ConnSignature = make([]byte, connSigLen(s.Variant))
				}
				wire, err := codec.Append(nil, &syn, SigContext{})
				if err != nil {
					t.Fatal(err)
				}
				const sources = 200
				for i := range sources {
					c, err := tn.net.Listen(fmt.Sprintf("10.0.2.%d:%d", i%250, 2000+i))
					if err != nil {
						t.Fatal(err)
					}
					_ = c.WriteTo(wire, tn.srvAddr)
					defer c.Close()
				}
				time.Sleep(10 * time.Millisecond)
				st := tn.l.Stats()
				if st.SynReplies != sources || st.Active != 0 {
					t.Errorf("after %d SYNs: %+v, want %d replies and no connection", sources, st, sources)
				}
				tn.l.mu.Lock()
				held, pending := len(tn.l.conns), tn.l.pending
				tn.l.mu.Unlock()
				if held != 0 || pending != 0 {
					t.Errorf("listener holds %d connections, %d pending after SYNs alone", held, pending)
				}
			})
		})
	}
}

// TestOversizedMessageEndsConnection: a peer whose fragments add up to
// more than the receiver's MaxMessageSize is disconnected with
// ErrMessageTooLarge, and nothing of the message is delivered: what a
// connection buffers for reassembly stays within the profile's bound.
func TestOversizedMessageEndsConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		srvS := fastSettings(variantProfiles()["v1-minor4"])
		srvS.MaxMessageSize = 4 * srvS.FragmentSize
		cliS := srvS
		cliS.MaxMessageSize = 16 * srvS.FragmentSize
		tn := newTestNet(t, 22, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{srvS}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: cliS})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { closeAll(tn.l, cli, srv) })
		if err := cli.Send(ctx, 0, testMessage(1, srvS.MaxMessageSize)); err != nil {
			t.Fatal(err)
		}
		got, err := srv.Recv(ctx)
		if err != nil || len(got.Data) != srvS.MaxMessageSize {
			t.Fatalf("message of exactly MaxMessageSize: %d bytes, %v", len(got.Data), err)
		}
		if err := cli.Send(ctx, 0, testMessage(2, srvS.MaxMessageSize+1)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.Done():
		case <-time.After(time.Minute):
			t.Fatal("the receiver is still open after a message beyond its MaxMessageSize")
		}
		if err := srv.Err(); !errors.Is(err, ErrMessageTooLarge) || !errors.Is(err, ErrClosed) {
			t.Errorf("receiver ended with %v, want ErrClosed caused by ErrMessageTooLarge", err)
		}
		if m, err := srv.Recv(ctx); err == nil {
			t.Errorf("Recv after the end delivered %d bytes", len(m.Data))
		}
		if st := srv.Stats(); st.MessagesReceived != 1 {
			t.Errorf("receiver stats %+v, want the one message within the bound", st)
		}
	})
}
