package kerberos_test

import (
	"fmt"
	"time"

	"github.com/nexproxy/nexproxy/kerberos"
)

// A built-in authentication server issues a ticket, the client opens the
// secure connection with it, and the secure server verifies the CONNECT.
func Example() {
	s := kerberos.Settings{KeySize: 32, PIDSize: 4, TicketVersion: 1, Derivation: kerberos.DerivationOld}
	keys := kerberos.NewKeyCache(0)
	userKey, _ := keys.Key(s.Derivation, 1234567, "testpassword")
	serverKey, _ := keys.Key(s.Derivation, 2, "password")

	issuer := &kerberos.Issuer{SecureKey: serverKey, ServerPID: 2, Settings: s}
	blob, _, err := issuer.Issue(userKey, 1234567)
	if err != nil {
		panic(err)
	}

	// Client side.
	ticket, err := kerberos.DecryptClientTicket(userKey, blob, s)
	if err != nil {
		panic(err)
	}
	payload, _ := kerberos.BuildConnectPayload(ticket.InternalTicket, ticket.SessionKey,
		kerberos.ConnectRequest{PID: 1234567, CID: 1, Check: 41}, s)

	// Secure server side.
	v, _ := kerberos.NewVerifier(kerberos.VerifierConfig{SecureKey: serverKey, ServerPID: 2, Settings: s, Now: time.Now})
	res, err := v.Verify(payload)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.PID, res.CID, fmt.Sprintf("%x", res.Response))
	fmt.Println(kerberos.ParseConnectReply(res.Response, 41))

	_, err = v.Verify(payload)
	fmt.Println(err)
	// Output:
	// 1234567 1 040000002a000000
	// <nil>
	// kerberos: verify: pid 1234567 cid 1: replayed connect request
}
