package rmc

import "fmt"

// Variant type ids (rmc.md §4.6); any other id is invalid on the wire.
const (
	VariantNone     uint8 = 0 // no value
	VariantInt64    uint8 = 1 // Value is int64
	VariantDouble   uint8 = 2 // Value is float64
	VariantBool     uint8 = 3 // Value is bool
	VariantString   uint8 = 4 // Value is string
	VariantDateTime uint8 = 5 // Value is DateTime
	VariantUInt64   uint8 = 6 // Value is uint64
)

// Variant is a tagged value. Reader.Variant stores Value with the Go type
// listed at the type id constants; Writer.Variant also converts compatible
// integer types.
type Variant struct {
	Type  uint8
	Value any
}

// VariantOfInt picks the type id the way NintendoClients does: type 6 for
// non-negative values, type 1 for negative ones.
func VariantOfInt(v int64) Variant {
	if v >= 0 {
		return Variant{Type: VariantUInt64, Value: uint64(v)}
	}
	return Variant{Type: VariantInt64, Value: v}
}

// String prints the value for logs.
func (v Variant) String() string {
	if v.Type == VariantNone {
		return "none"
	}
	return fmt.Sprint(v.Value)
}
