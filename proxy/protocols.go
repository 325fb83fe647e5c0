package proxy

import (
	"github.com/nexproxy/nexproxy/rmc/protocols/authentication"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
)

// The protocol and method ids the proxy itself acts on, from the
// generated protocol packages (one definition, from the schema): the
// rewriters and the simulated console use them.

// Authentication (protocol 10): the logins and ticket requests whose
// responses carry a ticket and the secure station.
const (
	protoAuth          = authentication.ProtocolID
	authLogin          = authentication.MethodLogin // ValidateAndRequestTicket on NEX 4
	authLoginEx        = authentication.MethodLoginEx
	authRequestTicket  = authentication.MethodRequestTicket
	authLoginWithParam = authentication.MethodValidateAndRequestTicketWithParam
)

// Secure connection (protocol 11): the methods whose response returns the
// caller's public station, and those whose request may name it.
const (
	protoSecure      = secureconnection.ProtocolID
	secureRegister   = secureconnection.MethodRegister
	secureRegisterEx = secureconnection.MethodRegisterEx
	secureUpdateURLs = secureconnection.MethodUpdateURLs
	secureReplaceURL = secureconnection.MethodReplaceURL
)

// protoNotification is NotificationEvent (protocol 14): one-way, from the
// server to the console.
const protoNotification = 14
