package scripts

import (
	"errors"
	"fmt"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// errNoSettings reports a call whose settings are unknown, so its bodies
// can be neither decoded nor encoded.
var errNoSettings = errors.New("the game's RMC settings are unknown")

// newTypeValue builds a zero value of a described structure, for new list
// elements and map values. Settings only change which versioned fields
// exist; a shape copied from a sibling element is preferred by callers.
func newTypeValue(reg *schema.Registry, spell string) (*schema.Value, error) {
	return reg.New(spell, rmc.Settings{PIDSize: 4})
}

// codecFor returns the described method of a call, or an error saying why
// its bodies cannot be handled.
func codecFor(reg *schema.Registry, c *Call) (*schema.Method, error) {
	if c.Settings.PIDSize == 0 {
		return nil, errNoSettings
	}
	m := reg.Method(c.Protocol, c.Method)
	if m == nil {
		return nil, fmt.Errorf("%s.%s is not described by the schema", c.ProtocolName, c.MethodName)
	}
	return m, nil
}

func decodeBody(reg *schema.Registry, c *Call, response bool, body []byte) (*schema.Value, error) {
	m, err := codecFor(reg, c)
	if err != nil {
		return nil, err
	}
	return m.Decode(!response, body, c.Settings)
}

func encodeBody(reg *schema.Registry, c *Call, response bool, v *schema.Value) ([]byte, error) {
	m, err := codecFor(reg, c)
	if err != nil {
		return nil, err
	}
	return m.Encode(!response, v, c.Settings)
}

func newResponse(reg *schema.Registry, c *Call) (*schema.Value, error) {
	m, err := codecFor(reg, c)
	if err != nil {
		return nil, err
	}
	return m.NewResponse(c.Settings), nil
}
