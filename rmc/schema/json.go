package schema

import (
	"encoding/hex"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/nexproxy/nexproxy/rmc"
)

// MarshalJSON renders the tree for session logs, aiming at readability rather
// than a reversible format: structures become objects {"field": value} in
// wire order (parent levels flattened in), lists become arrays, maps become
// objects (non-string keys printed as text), buffers and raw bytes become hex
// strings, station URLs their text, PIDs and integers plain numbers, results
// "0x80030064 RendezVous::InvalidUsername", datetimes "2022-05-21 16:12:43" and an AnyDataHolder an
// object whose "$class" names the held class.
func (v *Value) MarshalJSON() ([]byte, error) {
	return v.AppendJSON(make([]byte, 0, 256)), nil
}

// AppendJSON appends the MarshalJSON text of v to b.
func (v *Value) AppendJSON(b []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	switch v.Kind {
	case KindU8, KindU16, KindU32, KindU64, KindPID:
		return strconv.AppendUint(b, v.Uint, 10)
	case KindS8, KindS16, KindS32, KindS64:
		return strconv.AppendInt(b, v.Int, 10)
	case KindFloat, KindDouble:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			return appendJSONString(b, strconv.FormatFloat(v.Float, 'g', -1, 64))
		}
		bits := 64
		if v.Kind == KindFloat {
			bits = 32
		}
		return strconv.AppendFloat(b, v.Float, 'g', -1, bits)
	case KindBool:
		return strconv.AppendBool(b, v.Bool)
	case KindResult:
		return appendJSONString(b, resultText(uint32(v.Uint)))
	case KindDateTime:
		return appendJSONString(b, dateTimeText(v.Uint))
	case KindString, KindStationURL:
		return appendJSONString(b, v.Str)
	case KindBuffer, KindQBuffer, KindQUUID, KindRaw:
		b = append(b, '"')
		b = hex.AppendEncode(b, v.Bytes)
		return append(b, '"')
	case KindVariant:
		if len(v.Items) == 0 {
			return append(b, "null"...)
		}
		return v.Items[0].AppendJSON(b)
	case KindList:
		b = append(b, '[')
		for i, it := range v.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = it.AppendJSON(b)
		}
		return append(b, ']')
	case KindMap:
		b = append(b, '{')
		for i := 0; i+1 < len(v.Items); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			k := v.Items[i]
			switch k.Kind {
			case KindString, KindStationURL:
				b = appendJSONString(b, k.Str)
			default:
				kb := k.AppendJSON(nil)
				if len(kb) > 0 && kb[0] == '"' {
					b = append(b, kb...)
				} else {
					b = appendJSONString(b, string(kb))
				}
			}
			b = append(b, ':')
			b = v.Items[i+1].AppendJSON(b)
		}
		return append(b, '}')
	case KindStruct:
		b = append(b, '{')
		b, _ = v.appendFields(b, true)
		return append(b, '}')
	case KindAnyData:
		b = append(b, `{"$class":`...)
		b = appendJSONString(b, v.Class)
		if len(v.Items) == 1 {
			h := v.Items[0]
			if h.Kind == KindStruct {
				b, _ = h.appendFields(b, false)
			} else {
				b = append(b, `,"$raw":`...)
				b = h.AppendJSON(b)
			}
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// appendFields writes the fields of a structure level (parents first)
// without braces; first says whether no member was written yet.
func (v *Value) appendFields(b []byte, first bool) ([]byte, bool) {
	for i, it := range v.Items {
		if i == 0 && it.Name == "" && it.Kind == KindStruct {
			b, first = it.appendFields(b, first)
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, it.Name)
		b = append(b, ':')
		b = it.AppendJSON(b)
	}
	if len(v.Tail) > 0 {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, `"$tail":"`...)
		b = hex.AppendEncode(b, v.Tail)
		b = append(b, '"')
	}
	return b, first
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

// resultText prints "0x80030064 RendezVous::InvalidUsername" for an error,
// "0x00010001 success" for a success code, and the number alone
// (lower-case hex) for an error not in the table.
func resultText(r uint32) string {
	buf := make([]byte, 10, 64)
	buf[0], buf[1] = '0', 'x'
	for i := 0; i < 8; i++ {
		buf[2+i] = hexDigits[(r>>(28-4*i))&15]
	}
	switch name, ok := rmc.Result(r).Name(); {
	case !rmc.Result(r).IsError():
		// Servers write success as a code with the error bit clear
		// (usually 0x00010001); its module name would only mislead.
		buf = append(buf, " success"...)
	case ok:
		buf = append(append(buf, ' '), name...)
	}
	return string(buf)
}

// dateTimeText prints the NEX calendar bit field (rmc.md §4.4); values that
// are not a plausible date are printed as their number.
func dateTimeText(d uint64) string {
	if d == 0 {
		return "never"
	}
	dt := rmc.DateTime(d)
	if dt.Second() > 59 || dt.Minute() > 59 || dt.Hour() > 23 || dt.Day() < 1 || dt.Month() < 1 || dt.Month() > 12 || dt.Year() > 9999 {
		return strconv.FormatUint(d, 10)
	}
	return dt.String()
}
