// Package pcapng writes the decrypted traffic of a proxied session as a
// pcapng capture that Wireshark and tshark open directly.
//
// What goes into a packet is the caller's choice; the proxy writes one
// packet per RMC message, after PRUDP reassembly, decryption and
// decompression, so that every frame is one whole call or response and
// its comment ("Ranking.UploadScore call 5 request [nex=30504 pid=4
// structheader=1]") names it and says how its body is read, for the
// dissector in tools/wireshark. The PRUDP
// framing itself (acks, pings, fragments, resends) is left out: it is
// noise once decrypted, and the session log records connection events.
//
// Real captures cannot show this traffic (it is RC4-encrypted, or inside
// TLS on Switch), so each message is wrapped in synthesized Ethernet, IPv4
// (or IPv6) and UDP headers that carry the real endpoint addresses and
// ports, with valid IPv4 header and UDP checksums. Switch traffic, which
// really travels over a WebSocket, is framed as UDP too, so that every
// platform's captures read alike. A message larger than one UDP datagram
// can hold (65507 bytes over IPv4) is truncated, the original length kept
// in the block and the truncation noted in the comment.
package pcapng
