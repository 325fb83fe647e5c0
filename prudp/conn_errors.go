package prudp

import "errors"

// Errors a connection reports. Every error returned after a connection
// ended matches ErrClosed (errors.Is), and also its cause.
var (
	// ErrClosed: the connection is closed (locally or by the peer).
	ErrClosed = errors.New("prudp: connection closed")
	// ErrTimeout: the peer stopped answering (resend limit or ping timeout).
	ErrTimeout = errors.New("prudp: peer not responding")
	// ErrAborted: the peer sent a forced DISCONNECT, or Abort was called.
	ErrAborted = errors.New("prudp: connection aborted")
	// ErrHandshake: the handshake failed (bad reply, refused CONNECT).
	ErrHandshake = errors.New("prudp: handshake failed")
	// ErrMessageTooLarge: a message exceeds Settings.MaxMessageSize, or an
	// unreliable message exceeds Settings.FragmentSize.
	ErrMessageTooLarge = errors.New("prudp: message too large")
	// ErrListenerClosed: Accept on a closed Listener.
	ErrListenerClosed = errors.New("prudp: listener closed")
	// ErrWouldBlock: TrySend found the send queue full; Send would wait.
	ErrWouldBlock = errors.New("prudp: send queue full")
)

// closedError is the error of an ended connection: it matches ErrClosed
// and wraps the cause.
type closedError struct{ cause error }

func (e *closedError) Error() string {
	if e.cause == nil || e.cause == ErrClosed {
		return ErrClosed.Error()
	}
	return ErrClosed.Error() + ": " + e.cause.Error()
}

func (e *closedError) Is(target error) bool { return target == ErrClosed }
func (e *closedError) Unwrap() error        { return e.cause }
