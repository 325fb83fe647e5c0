package pcapng

import (
	"fmt"
	"strconv"
	"strings"
)

// CallComment names one RMC message for a packet comment:
// "Ranking.UploadScore call 5 request". Undescribed protocols and methods
// can be passed as their numbers ("112", "3").
func CallComment(protocol, method string, callID uint32, response bool) string {
	kind := "request"
	if response {
		kind = "response"
	}
	return fmt.Sprintf("%s.%s call %d %s", protocol, method, callID, kind)
}

// SettingsNote says how a message's body is to be read, for the end of its
// packet comment: " [nex=30504 pid=4 structheader=1]", with
// " variants=mk8,..." inside the brackets when the game has variants. The
// Wireshark dissector (tools/wireshark) reads it, since the same bytes
// decode differently by NEX version, PID width and structure headers.
func SettingsNote(nexVersion, pidSize int, structHeader bool, variants []string) string {
	var b strings.Builder
	b.WriteString(" [nex=")
	b.WriteString(strconv.Itoa(nexVersion))
	b.WriteString(" pid=")
	b.WriteString(strconv.Itoa(pidSize))
	b.WriteString(" structheader=")
	if structHeader {
		b.WriteByte('1')
	} else {
		b.WriteByte('0')
	}
	if len(variants) > 0 {
		b.WriteString(" variants=")
		b.WriteString(strings.Join(variants, ","))
	}
	b.WriteByte(']')
	return b.String()
}
