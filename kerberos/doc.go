// Package kerberos implements NEX's reduced Kerberos: password key
// derivation, the RC4 + HMAC-MD5 encryption primitive, client and
// internal (server) tickets, and the secure-server CONNECT handshake
// (see ../shared/docs/kerberos.md and prudp.md §12.4).
//
// The pieces, in the order a login uses them:
//
//   - DeriveKey turns a password into a 16-byte key (DerivationOld for
//     3DS/Wii U, DerivationNew for Switch); KeyCache memoises it, because
//     the old method costs ~65000 MD5 rounds. On Switch the login response
//     may carry the key itself as hex: KeyCache.UserKey picks that when
//     present (SourceKeyFromHex, ToHex).
//   - Encrypt / Decrypt are the primitive: rc4(key, plain) || hmac_md5(key,
//     ciphertext). Decrypt verifies the MAC first and fails with ErrBadMAC
//     (wrong key or tampered) rather than returning garbage.
//   - ClientTicket (EncryptClientTicket, DecryptClientTicket) is what the
//     authentication server hands the user: session key, target PID, the
//     opaque internal ticket and, on NEX 4.3+, a JSON attributes Buffer
//     kept byte for byte.
//   - TicketInfo (EncryptInternalTicket, ParseInternalTicket) is the
//     internal ticket, sealed with the secure server's key in ticket
//     version 0 or 1.
//   - BuildConnectPayload / ParseConnectReply are the client side of the
//     secure CONNECT; Verifier is the server side, with the validity window
//     and replay refusal; SplitConnectPayload and DecryptConnectRequest
//     expose the steps for a proxy that matches tickets itself.
//   - Issuer builds fresh tickets (built-in authentication) and re-issues
//     upstream ones under the proxy's own secure key (interception).
//
// Every function taking Settings validates them: key size 16 or 32, PID
// size 4 or 8, ticket version 0 or 1. Input from the network never causes
// a panic or an allocation larger than the input; errors wrap the
// package's sentinels (ErrBadMAC, ErrMalformed, ErrExpired, ...) for
// errors.Is.
package kerberos
