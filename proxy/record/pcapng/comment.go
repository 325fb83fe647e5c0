package pcapng

import "fmt"

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
