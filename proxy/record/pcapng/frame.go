package pcapng

import (
	"encoding/binary"
	"net/netip"
)

const (
	ethHeaderLen  = 14
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
	udpHeaderLen  = 8

	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86DD
	protoUDP      = 17

	// maxUDPPayloadV4 is the largest UDP payload an IPv4 datagram can
	// carry: 65535 minus the IPv4 and UDP headers.
	maxUDPPayloadV4 = 65535 - ipv4HeaderLen - udpHeaderLen
	// maxUDPPayloadV6 is the same bound for IPv6, whose payload length
	// field excludes its own header.
	maxUDPPayloadV6 = 65535 - udpHeaderLen
)

// frame returns payload wrapped in Ethernet, IP and UDP headers from src to
// dst. When both addresses are IPv4 (or IPv4-mapped) the frame is IPv4;
// otherwise IPv6, with an IPv4 side written in its mapped form. payload
// must already fit the datagram (see maxPayload).
func frame(src, dst netip.AddrPort, payload []byte, ipID uint16) []byte {
	sa, da := src.Addr().Unmap(), dst.Addr().Unmap()
	v4 := sa.Is4() && da.Is4()
	ipLen := ipv6HeaderLen
	etherType := uint16(etherTypeIPv6)
	if v4 {
		ipLen = ipv4HeaderLen
		etherType = etherTypeIPv4
	}
	b := make([]byte, ethHeaderLen+ipLen+udpHeaderLen+len(payload))

	// Ethernet: locally administered unicast MACs made from the addresses,
	// so that Wireshark's endpoint views tell the hosts apart.
	putMAC(b[0:6], da)
	putMAC(b[6:12], sa)
	binary.BigEndian.PutUint16(b[12:14], etherType)

	ip := b[ethHeaderLen : ethHeaderLen+ipLen]
	udp := b[ethHeaderLen+ipLen:]
	udpLen := udpHeaderLen + len(payload)
	binary.BigEndian.PutUint16(udp[0:2], src.Port())
	binary.BigEndian.PutUint16(udp[2:4], dst.Port())
	binary.BigEndian.PutUint16(udp[4:6], uint16(udpLen))
	copy(udp[udpHeaderLen:], payload)

	var pseudo uint32
	if v4 {
		ip[0] = 0x45 // version 4, header length 5 words
		binary.BigEndian.PutUint16(ip[2:4], uint16(ipv4HeaderLen+udpLen))
		binary.BigEndian.PutUint16(ip[4:6], ipID)
		binary.BigEndian.PutUint16(ip[6:8], 0x4000) // don't fragment
		ip[8] = 64                                  // TTL
		ip[9] = protoUDP
		s4, d4 := sa.As4(), da.As4()
		copy(ip[12:16], s4[:])
		copy(ip[16:20], d4[:])
		binary.BigEndian.PutUint16(ip[10:12], checksum(sum(0, ip)))
		pseudo = sum(sum(0, ip[12:20]), []byte{0, protoUDP, byte(udpLen >> 8), byte(udpLen)})
	} else {
		ip[0] = 0x60 // version 6
		binary.BigEndian.PutUint16(ip[4:6], uint16(udpLen))
		ip[6] = protoUDP
		ip[7] = 64 // hop limit
		s16, d16 := toV6(sa), toV6(da)
		copy(ip[8:24], s16[:])
		copy(ip[24:40], d16[:])
		var tail [8]byte
		binary.BigEndian.PutUint32(tail[0:4], uint32(udpLen))
		tail[7] = protoUDP
		pseudo = sum(sum(0, ip[8:40]), tail[:])
	}
	c := checksum(sum(pseudo, udp))
	if c == 0 {
		c = 0xFFFF // 0 means "no checksum" in UDP
	}
	binary.BigEndian.PutUint16(udp[6:8], c)
	return b
}

// maxPayload is how much payload one datagram between src and dst holds.
func maxPayload(src, dst netip.AddrPort) int {
	if src.Addr().Unmap().Is4() && dst.Addr().Unmap().Is4() {
		return maxUDPPayloadV4
	}
	return maxUDPPayloadV6
}

func toV6(a netip.Addr) [16]byte {
	if a.Is4() {
		return netip.AddrFrom16(a.As16()).As16() // ::ffff:a.b.c.d
	}
	return a.As16()
}

func putMAC(b []byte, a netip.Addr) {
	b[0], b[1] = 0x02, 0x00
	var tail [4]byte
	if a.IsValid() {
		s := a.AsSlice()
		copy(tail[:], s[len(s)-4:])
	}
	copy(b[2:6], tail[:])
}

// sum adds b to the running ones'-complement sum s (RFC 1071).
func sum(s uint32, b []byte) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// checksum folds a running sum into the 16-bit Internet checksum.
func checksum(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xFFFF + s>>16
	}
	return ^uint16(s)
}
