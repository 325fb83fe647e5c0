// Package schema describes NEX protocols declaratively and turns any described
// RMC call into a generic value tree and back, byte for byte.
//
// The descriptions live in protocols/*.nexdl (embedded, parsed once); each
// structure is compiled to a flat field plan so that decoding and encoding
// walk slices instead of reflecting. A decoded call is a *Value of KindStruct
// whose Items are the parameters (requests) or return values (responses).
package schema

import (
	"errors"
	"strconv"
)

// Kind says which NEX wire type a Value holds and which of its fields carry
// the data.
type Kind uint8

// Value kinds. Unsigned scalars (U8..U64, PID, Result, DateTime) live in
// Value.Uint, signed ones in Value.Int, Float/Double in Value.Float,
// Bool in Value.Bool, String/StationURL in Value.Str and Buffer, QBuffer,
// QUUID and Raw in Value.Bytes.
const (
	KindInvalid Kind = iota
	KindU8
	KindU16
	KindU32
	KindU64
	KindS8
	KindS16
	KindS32
	KindS64
	KindFloat
	KindDouble
	KindBool
	KindPID
	KindResult
	KindDateTime
	KindString
	KindBuffer
	KindQBuffer
	KindStationURL
	KindVariant
	KindQUUID
	KindList
	KindMap
	KindStruct
	KindAnyData
	KindRaw
)

var kindNames = [...]string{
	KindInvalid:    "invalid",
	KindU8:         "u8",
	KindU16:        "u16",
	KindU32:        "u32",
	KindU64:        "u64",
	KindS8:         "s8",
	KindS16:        "s16",
	KindS32:        "s32",
	KindS64:        "s64",
	KindFloat:      "float",
	KindDouble:     "double",
	KindBool:       "bool",
	KindPID:        "pid",
	KindResult:     "result",
	KindDateTime:   "datetime",
	KindString:     "string",
	KindBuffer:     "buffer",
	KindQBuffer:    "qbuffer",
	KindStationURL: "stationurl",
	KindVariant:    "variant",
	KindQUUID:      "quuid",
	KindList:       "list",
	KindMap:        "map",
	KindStruct:     "struct",
	KindAnyData:    "anydata",
	KindRaw:        "raw",
}

// String returns the schema spelling of the kind ("u32", "list", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// StrForm records how a String or StationURL was laid out on the wire, so
// that a value decoded from hostile or unusual input re-encodes to the same
// bytes.
type StrForm uint8

const (
	// StrNormal is u16 length (text + 1), text, one 00 byte.
	StrNormal StrForm = iota
	// StrNull is the "null" string 00 00: length 0 and no terminator.
	StrNull
	// StrUnterminated is a length followed by text whose last byte is not 00;
	// Str holds all the bytes.
	StrUnterminated
)

// Value is one node of a decoded call: a scalar, a container, a structure
// level or an AnyDataHolder.
//
// A derived structure keeps each inheritance level as its own node because
// each level has its own header (version and tail): the parent level is the
// first item, unnamed (Name == "") and of KindStruct. Get, Set, Walk and
// MarshalJSON look through parent levels, so "max_participants" resolves on a
// MatchmakeSession although it belongs to its Gathering level.
type Value struct {
	// Name is the field or parameter name ("" for list elements, map entries
	// and parent levels).
	Name string
	// Type is the schema spelling: "u32", "list<string>", "MatchmakeSession",
	// "anydata<Data>".
	Type string
	// Kind selects which of the fields below carry the value. The one-byte
	// fields sit together so that a node, of which a decoded call has
	// dozens, wastes no padding.
	Kind Kind
	// StrForm is the wire layout of Str (of Class for an AnyDataHolder).
	StrForm StrForm
	// Version is the structure header version (0 without headers).
	Version uint8
	// VariantType is the Variant type id (0 none, 1 s64, 2 double, 3 bool,
	// 4 string, 5 datetime, 6 u64).
	VariantType uint8
	// Bool holds Bool values.
	Bool bool

	// Uint holds unsigned scalars, PIDs, Results and DateTimes; for Float and
	// Double it holds the raw IEEE bits (kept for NaN payloads) and for Bool
	// the raw byte (any non-zero byte reads as true).
	Uint uint64
	// Int holds signed scalars.
	Int int64
	// Float holds Float and Double values.
	Float float64
	// Str holds String and StationURL text (without the terminating NUL).
	Str string
	// Bytes holds Buffer, QBuffer, QUUID and Raw contents.
	Bytes []byte

	// Items holds structure fields in order (a parent level first), list
	// elements, map entries as alternating key, value, the object held by an
	// AnyDataHolder (one item) and the typed value of a Variant (none for
	// variant type 0).
	Items []*Value

	// Tail holds bytes inside a structure header that the schema does not
	// describe; they are written back unchanged.
	Tail []byte
	// Class is the AnyDataHolder class name.
	Class string
}

// Sentinel errors of the value tree; callers branch on them with errors.Is.
var (
	// ErrBadPath reports a path that does not parse.
	ErrBadPath = errors.New("schema: bad path")
	// ErrNotFound reports a path naming a field or key that does not exist.
	ErrNotFound = errors.New("schema: no such field")
	// ErrIndex reports a list index out of range.
	ErrIndex = errors.New("schema: index out of range")
	// ErrType reports a Go value or path step that does not fit the node's kind.
	ErrType = errors.New("schema: type mismatch")
	// ErrOverflow reports a number outside the range of the node's kind.
	ErrOverflow = errors.New("schema: value out of range")
)

// Field returns the named field of a structure (looking through parent
// levels and AnyDataHolders), or nil.
func (v *Value) Field(name string) *Value {
	v = v.held()
	if v == nil || v.Kind != KindStruct {
		return nil
	}
	for _, it := range v.Items {
		if it.Name == name {
			return it
		}
	}
	if len(v.Items) > 0 && v.Items[0].Name == "" && v.Items[0].Kind == KindStruct {
		return v.Items[0].Field(name)
	}
	return nil
}

// held looks through AnyDataHolders and Variants to the node that carries
// fields or elements.
func (v *Value) held() *Value {
	for v != nil && (v.Kind == KindAnyData || v.Kind == KindVariant) {
		if len(v.Items) == 0 {
			return v
		}
		v = v.Items[0]
	}
	return v
}

// Clone returns a deep copy; byte slices are copied too, so the copy can be
// edited while the original is still being encoded or logged.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := *v
	if v.Bytes != nil {
		c.Bytes = append([]byte(nil), v.Bytes...)
	}
	if v.Tail != nil {
		c.Tail = append([]byte(nil), v.Tail...)
	}
	if v.Items != nil {
		c.Items = make([]*Value, len(v.Items))
		for i, it := range v.Items {
			c.Items[i] = it.Clone()
		}
	}
	return &c
}
