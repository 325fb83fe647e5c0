package rmc

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Result is a NEX result code (rmc.md §2): bit 31 = error, bits 16-30 =
// module, bits 0-15 = code.
type Result uint32

// ResultSuccess is the "success" value written in method bodies (%retval%):
// Core::Unknown without the error bit, by convention of every server.
const ResultSuccess Result = 0x00010001

type resultEntry struct {
	code Result // without bit 31
	name string // "Module::Name"
}

// IsError reports whether bit 31 is set.
func (r Result) IsError() bool { return r&ResultErrorBit != 0 }

// Module returns the facility (bits 16-30).
func (r Result) Module() uint16 { return uint16(r>>16) & 0x7FFF }

// Code returns the code within the module (bits 0-15).
func (r Result) Code() uint16 { return uint16(r) }

// Name returns "Module::Name" for a known code, ignoring bit 31, so that the
// success value and its error twin share a name as in NintendoClients.
func (r Result) Name() (string, bool) {
	c := r &^ ResultErrorBit
	i := sort.Search(len(resultTable), func(i int) bool { return resultTable[i].code >= c })
	if i < len(resultTable) && resultTable[i].code == c {
		return resultTable[i].name, true
	}
	return "", false
}

// String returns the name of a known code, otherwise the hex value.
func (r Result) String() string {
	if n, ok := r.Name(); ok {
		return n
	}
	return fmt.Sprintf("Result(0x%08X)", uint32(r))
}

// resultAliases maps the spellings used by nex-go (rmc.md §2) to the
// canonical NintendoClients names, so hooks written for either resolve.
var resultAliases = map[string]string{
	"RendezVous::InvalidUniqueID":          "RendezVous::InvalidUniqueId",
	"Transport::InvalidURL":                "Transport::InvalidUrl",
	"Transport::DNSError":                  "Transport::DnsError",
	"Authentication::HTTPConnectionError":  "Authentication::HttpConnectionError",
	"Authentication::HTTPDNSError":         "Authentication::HttpDNSError",
	"Authentication::HTTPGetProxySetting":  "Authentication::HttpGetProxySetting",
	"Authentication::PrincipalIDUnmatched": "Authentication::PrincipalIdUnmatched",
	"ServiceItem::EShopUnknownHTTPError":   "ServiceItem::EShopUnknownHttpError",
}

var (
	resultByNameOnce sync.Once
	resultByName     map[string]Result
)

// ResultByName returns the error form (bit 31 set) of the named result. It
// accepts the NintendoClients names, the nex-go spellings and, as a
// convenience for hand-written hooks, any letter case.
func ResultByName(name string) (Result, bool) {
	resultByNameOnce.Do(func() {
		resultByName = make(map[string]Result, 2*len(resultTable))
		for _, e := range resultTable {
			resultByName[e.name] = e.code | ResultErrorBit
			resultByName[strings.ToLower(e.name)] = e.code | ResultErrorBit
		}
		for alias, canon := range resultAliases {
			resultByName[alias] = resultByName[canon]
		}
	})
	if r, ok := resultByName[name]; ok {
		return r, true
	}
	r, ok := resultByName[strings.ToLower(name)]
	return r, ok
}

// Results returns every known result in its error form, sorted by code.
func Results() []Result {
	out := make([]Result, len(resultTable))
	for i, e := range resultTable {
		out[i] = e.code | ResultErrorBit
	}
	return out
}
