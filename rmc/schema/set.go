package schema

import (
	"fmt"
	"math"
	"strconv"

	"github.com/nexproxy/nexproxy/rmc"
)

// Set stores a Go value into the scalar at path, checking that it fits the
// node's kind and range. Accepted values:
//
//   - integer kinds, PID, Result, DateTime: any Go integer (rmc.Result and
//     rmc.DateTime included), an integral
//     float64 (Lua numbers are doubles) or a decimal string (64-bit ids that
//     do not fit a double cross from Lua as strings);
//   - float, double: float32, float64 or any integer;
//   - bool: bool;
//   - string, stationurl: string, []byte or anything with a String method
//     (rmc.StationURL);
//   - buffer, qbuffer, quuid, raw: []byte or string;
//   - variant: nil, bool, string, float64, integers (negative ones become
//     type 1 s64, others type 6 u64, as NintendoClients writes them);
//   - any node: a *Value, which replaces the node (its name is kept).
func (v *Value) Set(path string, x any) error {
	t, err := v.Get(path)
	if err != nil {
		return err
	}
	if err := t.setValue(x); err != nil {
		return fmt.Errorf("schema: set %q: %w", path, err)
	}
	return nil
}

func (v *Value) setValue(x any) error {
	if nv, ok := x.(*Value); ok {
		if nv == nil {
			return fmt.Errorf("%w: nil *Value", ErrType)
		}
		name := v.Name
		*v = *nv.Clone()
		v.Name = name
		return nil
	}
	switch v.Kind {
	case KindU8:
		return v.setUint(x, math.MaxUint8)
	case KindU16:
		return v.setUint(x, math.MaxUint16)
	case KindU32, KindResult:
		return v.setUint(x, math.MaxUint32)
	case KindU64, KindPID, KindDateTime:
		return v.setUint(x, math.MaxUint64)
	case KindS8:
		return v.setInt(x, math.MinInt8, math.MaxInt8)
	case KindS16:
		return v.setInt(x, math.MinInt16, math.MaxInt16)
	case KindS32:
		return v.setInt(x, math.MinInt32, math.MaxInt32)
	case KindS64:
		return v.setInt(x, math.MinInt64, math.MaxInt64)
	case KindFloat, KindDouble:
		f, ok := toFloat(x)
		if !ok {
			return typeErr(v, x)
		}
		if v.Kind == KindFloat {
			if !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) > math.MaxFloat32 {
				return fmt.Errorf("%w: %g does not fit float", ErrOverflow, f)
			}
			v.Uint = uint64(math.Float32bits(float32(f)))
			v.Float = float64(float32(f))
		} else {
			v.Uint = math.Float64bits(f)
			v.Float = f
		}
		return nil
	case KindBool:
		b, ok := x.(bool)
		if !ok {
			return typeErr(v, x)
		}
		v.Bool = b
		v.Uint = 0
		if b {
			v.Uint = 1
		}
		return nil
	case KindString, KindStationURL:
		var s string
		switch t := x.(type) {
		case string:
			s = t
		case []byte:
			s = string(t)
		case fmt.Stringer:
			s = t.String()
		default:
			return typeErr(v, x)
		}
		if len(s) > math.MaxUint16-1 {
			return fmt.Errorf("%w: string of %d bytes", ErrOverflow, len(s))
		}
		if !(s == "" && v.StrForm == StrNull) {
			v.StrForm = StrNormal
		}
		v.Str = s
		return nil
	case KindBuffer, KindQBuffer, KindQUUID, KindRaw:
		var b []byte
		switch t := x.(type) {
		case []byte:
			b = append([]byte(nil), t...)
		case string:
			b = []byte(t)
		default:
			return typeErr(v, x)
		}
		switch {
		case v.Kind == KindQBuffer && len(b) > math.MaxUint16:
			return fmt.Errorf("%w: qbuffer of %d bytes", ErrOverflow, len(b))
		case v.Kind == KindBuffer && uint64(len(b)) > math.MaxUint32:
			return fmt.Errorf("%w: buffer of %d bytes", ErrOverflow, len(b))
		case v.Kind == KindQUUID && len(b) != 16:
			return fmt.Errorf("%w: quuid needs 16 bytes, got %d", ErrOverflow, len(b))
		}
		v.Bytes = b
		return nil
	case KindVariant:
		return v.setVariant(x)
	}
	return fmt.Errorf("%w: cannot set %s from %T (only scalars or a *Value)", ErrType, v.Type, x)
}

func typeErr(v *Value, x any) error {
	return fmt.Errorf("%w: cannot set %s from %T", ErrType, v.Kind, x)
}

// tooBig reports a float64 beyond every 64-bit integer, which toInteger
// cannot represent as a magnitude.
func tooBig(x any) bool {
	f, ok := x.(float64)
	return ok && (f >= 0x1p64 || f < -0x1p63)
}

func (v *Value) setUint(x any, max uint64) error {
	if tooBig(x) {
		return fmt.Errorf("%w: %v does not fit %s", ErrOverflow, x, v.Kind)
	}
	u, neg, ok := toInteger(x)
	if !ok {
		return typeErr(v, x)
	}
	if neg || u > max {
		return fmt.Errorf("%w: %v does not fit %s", ErrOverflow, x, v.Kind)
	}
	v.Uint = u
	return nil
}

func (v *Value) setInt(x any, min, max int64) error {
	if tooBig(x) {
		return fmt.Errorf("%w: %v does not fit %s", ErrOverflow, x, v.Kind)
	}
	u, neg, ok := toInteger(x)
	if !ok {
		return typeErr(v, x)
	}
	var n int64
	switch {
	case neg && u <= 1<<63:
		n = int64(-u) // two's complement of the magnitude
	case !neg && u <= math.MaxInt64:
		n = int64(u)
	default:
		return fmt.Errorf("%w: %v does not fit %s", ErrOverflow, x, v.Kind)
	}
	if n < min || n > max {
		return fmt.Errorf("%w: %v does not fit %s", ErrOverflow, x, v.Kind)
	}
	v.Int = n
	return nil
}

// toInteger converts x to a magnitude and sign so that every Go integer
// (including math.MinInt64 and math.MaxUint64) is representable.
func toInteger(x any) (mag uint64, neg bool, ok bool) {
	s := func(n int64) (uint64, bool, bool) {
		if n < 0 {
			return uint64(-(n + 1)) + 1, true, true
		}
		return uint64(n), false, true
	}
	switch t := x.(type) {
	case int:
		return s(int64(t))
	case int8:
		return s(int64(t))
	case int16:
		return s(int64(t))
	case int32:
		return s(int64(t))
	case int64:
		return s(t)
	case uint:
		return uint64(t), false, true
	case uint8:
		return uint64(t), false, true
	case uint16:
		return uint64(t), false, true
	case uint32:
		return uint64(t), false, true
	case uint64:
		return t, false, true
	case rmc.Result:
		return uint64(t), false, true
	case rmc.DateTime:
		return uint64(t), false, true
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) || t != math.Trunc(t) {
			return 0, false, false
		}
		if t >= 0x1p64 || t < -0x1p63 {
			return 0, false, false // callers check tooBig first
		}
		if t < 0 {
			return uint64(-t), true, true
		}
		return uint64(t), false, true
	case string:
		if len(t) > 0 && t[0] == '-' {
			n, err := strconv.ParseInt(t, 10, 64)
			if err != nil {
				return 0, false, false
			}
			return s(n)
		}
		u, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			return 0, false, false
		}
		return u, false, true
	}
	return 0, false, false
}

func toFloat(x any) (float64, bool) {
	switch t := x.(type) {
	case float64:
		return t, true
	case float32:
		return float64(t), true
	}
	if u, neg, ok := toInteger(x); ok {
		if _, isStr := x.(string); isStr {
			return 0, false
		}
		if neg {
			return -float64(u), true
		}
		return float64(u), true
	}
	return 0, false
}

// setVariant replaces the variant's content, choosing the type id from the
// Go type.
func (v *Value) setVariant(x any) error {
	var inner *Value
	switch t := x.(type) {
	case nil:
		v.VariantType = 0
		v.Items = nil
		return nil
	case bool:
		inner = &Value{Kind: KindBool, Type: "bool", Bool: t}
		if t {
			inner.Uint = 1
		}
		v.VariantType = 3
	case string:
		if len(t) > math.MaxUint16-1 {
			return fmt.Errorf("%w: string of %d bytes", ErrOverflow, len(t))
		}
		inner = &Value{Kind: KindString, Type: "string", Str: t}
		v.VariantType = 4
	case float64, float32:
		f, _ := toFloat(t)
		if f == math.Trunc(f) && !math.IsInf(f, 0) && math.Abs(f) < 0x1p63 {
			return v.setVariant(int64(f))
		}
		inner = &Value{Kind: KindDouble, Type: "double", Float: f, Uint: math.Float64bits(f)}
		v.VariantType = 2
	default:
		u, neg, ok := toInteger(x)
		if !ok {
			return typeErr(v, x)
		}
		if neg {
			if u > 1<<63 {
				return fmt.Errorf("%w: %v does not fit s64", ErrOverflow, x)
			}
			inner = &Value{Kind: KindS64, Type: "s64", Int: int64(-u)}
			v.VariantType = 1
		} else {
			inner = &Value{Kind: KindU64, Type: "u64", Uint: u}
			v.VariantType = 6
		}
	}
	v.Items = []*Value{inner}
	return nil
}

// StationURL parses a String or StationURL node as a station URL, for
// hooks that edit single parameters (address, port) and Set the result back.
func (v *Value) StationURL() (rmc.StationURL, error) {
	if v.Kind != KindStationURL && v.Kind != KindString {
		return rmc.StationURL{}, fmt.Errorf("%w: %s is not a station url", ErrType, v.Kind)
	}
	return rmc.ParseStationURL(v.Str)
}
