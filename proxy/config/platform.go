package config

import (
	"fmt"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
)

// Platforms lists the presets a game can start from, in the order error
// messages name them.
var Platforms = []string{"friends", "3ds", "wiiu", "switch"}

// platform is the full starting point of a game profile: the values of
// NintendoClients' settings files for that platform (prudp.md §14,
// kerberos.md §1–2), and a representative NEX version.
type platform struct {
	prudp    prudp.Settings
	kerberos kerberos.Settings
	rmc      rmc.Settings
}

// preset returns the named platform's defaults.
func preset(name string) (platform, error) {
	ps, err := prudp.Preset(name)
	if err != nil {
		return platform{}, err
	}
	p := platform{prudp: ps}
	switch name {
	case "friends":
		// The friends server is the one title with 16-byte session keys.
		p.kerberos = kerberos.Settings{KeySize: 16, PIDSize: 4, TicketVersion: 1, Derivation: kerberos.DerivationOld}
		p.rmc = rmc.Settings{PIDSize: 4, NEXVersion: 20000}
	case "3ds":
		p.kerberos = kerberos.Settings{KeySize: 32, PIDSize: 4, TicketVersion: 1, Derivation: kerberos.DerivationOld}
		p.rmc = rmc.Settings{PIDSize: 4, NEXVersion: 30400}
	case "wiiu":
		p.kerberos = kerberos.Settings{KeySize: 32, PIDSize: 4, TicketVersion: 1, Derivation: kerberos.DerivationOld}
		p.rmc = rmc.Settings{PIDSize: 4, NEXVersion: 30504}
	case "switch":
		p.kerberos = kerberos.Settings{KeySize: 32, PIDSize: 8, TicketVersion: 1, Derivation: kerberos.DerivationNew}
		p.rmc = rmc.Settings{PIDSize: 8, StructHeader: true, NEXVersion: 40605}
	default:
		return platform{}, fmt.Errorf("no preset %q", name)
	}
	return p, nil
}

// headerNEXVersion is the first NEX version whose structures carry
// version headers (rmc.md §6.2, after the NintendoClients and Pretendo
// wikis).
const headerNEXVersion = 30500

// StructHeaderRule reports whether a connection's structures carry
// version headers when struct_header is left to its default. v1 and Lite
// connections follow NintendoClients: headers from negotiated PRUDP minor
// version 3. v0 connections negotiate nothing, so there the title's NEX
// version decides, as the wikis say: headers from NEX 3.5.0 (what
// Pretendo's servers of such 3DS titles use); nexVersion 0 (unknown)
// means none.
func StructHeaderRule(v prudp.Variant, minor uint8, nexVersion int) bool {
	if v == prudp.V1 || v == prudp.Lite {
		return minor >= 3
	}
	return nexVersion >= headerNEXVersion
}

// variantNames maps the spelling of [games.prudp] variant to the wire format.
var variantNames = map[string]prudp.Variant{
	"v0":   prudp.V0,
	"v1":   prudp.V1,
	"lite": prudp.Lite,
	"rv":   prudp.RV,
}
