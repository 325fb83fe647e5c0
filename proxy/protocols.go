package proxy

// The protocol and method ids the proxy itself acts on (protocols.md),
// in one place: the rewriters and the simulated console use them.

// Authentication (protocol 10): the logins and ticket requests whose
// responses carry a ticket and the secure station.
const (
	protoAuth          = 10
	authLogin          = 1
	authLoginEx        = 2
	authRequestTicket  = 3
	authLoginWithParam = 6
)

// Secure connection (protocol 11): the methods whose response returns the
// caller's public station.
const (
	protoSecure      = 11
	secureRegister   = 1
	secureRegisterEx = 4
)
