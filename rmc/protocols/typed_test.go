package protocols_test

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/all"
	"github.com/nexproxy/nexproxy/rmc/schema"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// settingsMatrix are the title contexts every method is checked at: NEX 2,
// 3.4 (3DS), 3.5.4 (Wii U), 3.8 and 4.6 (Switch), with and without
// structure headers.
var settingsMatrix = func() []rmc.Settings {
	var out []rmc.Settings
	for _, nex := range []int{20000, 30400, 30504, 30810, 40605} {
		for _, h := range []bool{false, true} {
			pid := 4
			if nex >= 40000 {
				pid = 8
			}
			out = append(out, rmc.Settings{PIDSize: pid, StructHeader: h, NEXVersion: nex})
		}
	}
	return out
}()

// registryFor returns the schema registry with a variant applied ("" for
// the base registry).
func registryFor(t testing.TB, variant string) *schema.Registry {
	t.Helper()
	if variant == "" {
		return schema.Default()
	}
	r, err := schema.Default().WithVariants(variant)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// variantsOf lists the registries to check: the base one and each variant.
func variantsOf() []string { return append([]string{""}, schema.Default().Variants()...) }

// typedMessage returns the typed value of a method; it fails when the
// generated packages do not describe a method the schema describes.
func typedMessage(t testing.TB, m *schema.Method, nex int, request bool, variant string) typed.Message {
	t.Helper()
	var vs []string
	if variant != "" {
		vs = []string{variant}
	}
	msg := all.Message(m.Protocol.ID, m.ID, nex, request, vs...)
	if msg == nil {
		t.Fatalf("%s.%s (variant %q): no typed message", m.Protocol.Name, m.NameFor(nex), variant)
	}
	return msg
}

// typedRoundTrip decodes body with the typed layer and re-encodes it.
func typedRoundTrip(msg typed.Message, body []byte, s rmc.Settings) ([]byte, error) {
	d := typed.NewDecoder(body, s)
	msg.DecodeFrom(d)
	if err := d.Close("test"); err != nil {
		return nil, err
	}
	e := typed.NewEncoder(s)
	msg.EncodeTo(e)
	return e.Close(nil, "test")
}

func TestVectorsTyped(t *testing.T) {
	for _, name := range vectors.SessionFiles {
		t.Run(name, func(t *testing.T) {
			f := vectors.LoadSession(t, name)
			methods := map[string]uint32{}
			checked := 0
			for i, m := range f.Messages {
				pid, header, nex := f.RMC(m.Conn)
				s := rmc.Settings{PIDSize: pid, StructHeader: header, NEXVersion: nex}
				key := fmt.Sprint(m.Conn, "/", m.CallID)
				if m.Kind == "request" {
					methods[key] = *m.MethodID
				}
				if m.Success != nil && !*m.Success {
					continue // an error response carries no values
				}
				meth := schema.Default().Method(m.ProtocolID, methods[key])
				if meth == nil {
					t.Fatalf("message %d: %d/%d not described", i, m.ProtocolID, methods[key])
				}
				body := vectors.Hex(t, m.Body)
				request := m.Kind == "request"
				msg := typedMessage(t, meth, nex, request, "")
				out, err := typedRoundTrip(msg, body, s)
				if err != nil {
					t.Fatalf("message %d (%s.%s %s): %v", i, meth.Protocol.Name, meth.NameFor(nex), m.Kind, err)
				}
				if !bytes.Equal(out, body) {
					t.Fatalf("message %d (%s.%s %s): re-encoded\n%x\nwant\n%x", i, meth.Protocol.Name, meth.NameFor(nex), m.Kind, out, body)
				}
				checked++
			}
			if checked == 0 {
				t.Fatal("no message checked")
			}
			t.Logf("%d messages decoded and re-encoded through the typed layer", checked)
		})
	}
}

// filler builds deterministic, non-zero schema values.
type filler struct {
	reg *schema.Registry
	s   rmc.Settings
	n   int
}

func (f *filler) next() int {
	f.n++
	return f.n
}

// splitTop splits "K,V" at its top-level comma.
func splitTop(s string) (string, string) {
	depth := 0
	for i, c := range s {
		switch c {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				return s[:i], s[i+1:]
			}
		}
	}
	return s, ""
}

var kindByName = map[string]schema.Kind{
	"u8": schema.KindU8, "u16": schema.KindU16, "u32": schema.KindU32, "u64": schema.KindU64,
	"s8": schema.KindS8, "s16": schema.KindS16, "s32": schema.KindS32, "s64": schema.KindS64,
	"float": schema.KindFloat, "double": schema.KindDouble, "bool": schema.KindBool, "pid": schema.KindPID,
	"result": schema.KindResult, "datetime": schema.KindDateTime, "string": schema.KindString,
	"buffer": schema.KindBuffer, "qbuffer": schema.KindQBuffer, "stationurl": schema.KindStationURL,
	"variant": schema.KindVariant, "quuid": schema.KindQUUID,
}

// newValue returns a filled value of a type spelling.
func (f *filler) newValue(t testing.TB, spell string) *schema.Value {
	t.Helper()
	switch {
	case strings.HasPrefix(spell, "list<"):
		v := &schema.Value{Kind: schema.KindList, Type: spell}
		f.fill(t, v)
		return v
	case strings.HasPrefix(spell, "map<"):
		v := &schema.Value{Kind: schema.KindMap, Type: spell}
		f.fill(t, v)
		return v
	case strings.HasPrefix(spell, "anydata<"):
		base := strings.TrimSuffix(strings.TrimPrefix(spell, "anydata<"), ">")
		v := &schema.Value{Kind: schema.KindAnyData, Type: spell, Class: base}
		st, err := f.reg.New(base, f.s)
		if err != nil {
			st = &schema.Value{Kind: schema.KindRaw, Type: "raw"}
		}
		v.Items = []*schema.Value{st}
		f.fill(t, v)
		return v
	}
	if k, ok := kindByName[spell]; ok {
		v := &schema.Value{Kind: k, Type: spell}
		if k == schema.KindQUUID {
			v.Bytes = make([]byte, 16)
		}
		f.fill(t, v)
		return v
	}
	v, err := f.reg.New(spell, f.s)
	if err != nil {
		t.Fatalf("new %s: %v", spell, err)
	}
	f.fill(t, v)
	return v
}

// derived maps an AnyData base class to a derived class that exercises
// parent levels.
var derived = map[string]string{"Gathering": "MatchmakeSession", "Data": "AuthenticationInfo"}

// fill sets every scalar of v to a deterministic non-zero value and gives
// lists and maps two entries.
func (f *filler) fill(t testing.TB, v *schema.Value) {
	t.Helper()
	n := f.next()
	switch v.Kind {
	case schema.KindU8, schema.KindU16, schema.KindU32, schema.KindU64, schema.KindPID, schema.KindResult, schema.KindDateTime:
		v.Uint = uint64(n % 200)
	case schema.KindS8, schema.KindS16, schema.KindS32, schema.KindS64:
		v.Int = -int64(n % 100)
	case schema.KindFloat:
		v.Float = float64(n) + 0.5
		v.Uint = uint64(math.Float32bits(float32(v.Float)))
	case schema.KindDouble:
		v.Float = float64(n) + 0.25
		v.Uint = math.Float64bits(v.Float)
	case schema.KindBool:
		v.Bool, v.Uint = true, 1
	case schema.KindString:
		v.Str = fmt.Sprintf("s%d", n)
	case schema.KindStationURL:
		v.Str = fmt.Sprintf("prudps:/address=10.0.0.%d;port=%d;PID=%d", n%250, 1000+n, n)
	case schema.KindBuffer, schema.KindQBuffer:
		v.Bytes = []byte{byte(n), 1, 2}
	case schema.KindQUUID:
		v.Bytes[0] = byte(n)
	case schema.KindVariant:
		if n%2 == 0 {
			v.VariantType = rmc.VariantString
			v.Items = []*schema.Value{{Kind: schema.KindString, Type: "string", Str: fmt.Sprintf("v%d", n)}}
		} else {
			v.VariantType = rmc.VariantUInt64
			v.Items = []*schema.Value{{Kind: schema.KindU64, Type: "u64", Uint: uint64(n)}}
		}
	case schema.KindList:
		elem := strings.TrimSuffix(strings.TrimPrefix(v.Type, "list<"), ">")
		if len(v.Items) == 0 {
			v.Items = []*schema.Value{f.newValue(t, elem), f.newValue(t, elem)}
		} else {
			for _, it := range v.Items {
				f.fill(t, it)
			}
		}
	case schema.KindMap:
		k, val := splitTop(strings.TrimSuffix(strings.TrimPrefix(v.Type, "map<"), ">"))
		v.Items = nil
		for range 2 {
			v.Items = append(v.Items, f.newValue(t, strings.TrimSpace(k)), f.newValue(t, strings.TrimSpace(val)))
		}
	case schema.KindAnyData:
		if d, ok := derived[v.Class]; ok {
			if st, err := f.reg.New(d, f.s); err == nil {
				v.Class, v.Items = d, []*schema.Value{st}
			}
		}
		for _, it := range v.Items {
			f.fill(t, it)
		}
	case schema.KindRaw:
		v.Bytes = []byte{1, 2, 3}
	case schema.KindStruct:
		for _, it := range v.Items {
			f.fill(t, it)
		}
	}
}

// TestTypedEqualsTree builds every described method's request and response
// with the value tree (defaults, then deterministic non-zero values),
// encodes it with the tree, and checks that the typed layer decodes it and
// re-encodes the same bytes, at every NEX version of settingsMatrix, with
// and without structure headers, for the base protocols and every variant.
func TestTypedEqualsTree(t *testing.T) {
	total := 0
	for _, variant := range variantsOf() {
		reg := registryFor(t, variant)
		for _, p := range reg.Protocols() {
			for _, m := range p.Methods() {
				for _, s := range settingsMatrix {
					for _, request := range []bool{true, false} {
						if !request && p.NoResponse {
							continue
						}
						name := fmt.Sprintf("%s/%s.%s/%v/req=%v", variant, p.Name, m.NameFor(s.NEXVersion), s, request)
						f := &filler{reg: reg, s: s}
						var v *schema.Value
						if request {
							v = m.NewRequest(s)
						} else {
							v = m.NewResponse(s)
						}
						f.fill(t, v)
						body, err := m.Encode(request, v, s)
						if err != nil {
							t.Fatalf("%s: tree encode: %v", name, err)
						}
						msg := typedMessage(t, m, s.NEXVersion, request, variant)
						out, err := typedRoundTrip(msg, body, s)
						if err != nil {
							t.Fatalf("%s: typed: %v\nbody %x", name, err, body)
						}
						if !bytes.Equal(out, body) {
							t.Fatalf("%s: typed re-encoded\n%x\nwant\n%x", name, out, body)
						}
						total++
					}
				}
			}
		}
	}
	t.Logf("%d bodies agree", total)
}

// rfill fills a typed value through reflection: every exported number,
// string, bool and slice gets a deterministic non-zero value.
type rfill struct{ n int }

func (f *rfill) fill(v reflect.Value) {
	f.n++
	n := f.n
	switch x := v.Addr().Interface().(type) {
	case *rmc.StationURL:
		*x = typed.URL(fmt.Sprintf("prudp:/address=10.1.0.%d;port=%d", n%250, 2000+n))
		return
	case *rmc.Variant:
		*x = rmc.Variant{Type: rmc.VariantInt64, Value: int64(-n)}
		return
	case *typed.AnyData:
		if x.Value != nil {
			f.fill(reflect.ValueOf(x.Value).Elem())
		}
		return
	}
	switch v.Kind() {
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(n % 200))
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-int64(n % 100))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(n) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.String:
		v.SetString(fmt.Sprintf("t%d", n))
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			f.fill(v.Index(i))
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{byte(n), 7})
			return
		}
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
			for i := 0; i < 2; i++ {
				if s, ok := v.Index(i).Addr().Interface().(interface{ SetDefaults() }); ok {
					s.SetDefaults()
				}
			}
		}
		for i := 0; i < v.Len(); i++ {
			f.fill(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	}
}

// TestTreeEqualsTyped goes the other way: typed values built in Go (through
// SetDefaults where they have it, then filled) encode to bodies that the
// value tree decodes and re-encodes to the same bytes, and that decode
// back through the typed layer to the same bytes again.
func TestTreeEqualsTyped(t *testing.T) {
	total := 0
	for _, variant := range variantsOf() {
		reg := registryFor(t, variant)
		for _, p := range reg.Protocols() {
			for _, m := range p.Methods() {
				for _, s := range settingsMatrix {
					for _, request := range []bool{true, false} {
						if !request && p.NoResponse {
							continue
						}
						name := fmt.Sprintf("%s/%s.%s/%v/req=%v", variant, p.Name, m.NameFor(s.NEXVersion), s, request)
						msg := typedMessage(t, m, s.NEXVersion, request, variant)
						(&rfill{}).fill(reflect.ValueOf(msg).Elem())
						e := typed.NewEncoder(s)
						msg.EncodeTo(e)
						body, err := e.Close(nil, name)
						if err != nil {
							t.Fatalf("%s: typed encode: %v", name, err)
						}
						v, err := m.Decode(request, body, s)
						if err != nil {
							t.Fatalf("%s: tree decode: %v\nbody %x", name, err, body)
						}
						out, err := m.Encode(request, v, s)
						if err != nil || !bytes.Equal(out, body) {
							t.Fatalf("%s: tree re-encoded %x (%v)\nwant %x", name, out, err, body)
						}
						again, err := typedRoundTrip(typedMessage(t, m, s.NEXVersion, request, variant), body, s)
						if err != nil || !bytes.Equal(again, body) {
							t.Fatalf("%s: typed re-encoded %x (%v)\nwant %x", name, again, err, body)
						}
						total++
					}
				}
			}
		}
	}
	t.Logf("%d bodies agree", total)
}

// TestDefaultsEqualTree checks that typed values built with SetDefaults
// encode exactly as the value tree's NewRequest and NewResponse: the same
// defaults, optional values present, and with headers the header version
// each structure has at the NEX version (Struct.Revision).
func TestDefaultsEqualTree(t *testing.T) {
	total := 0
	for _, variant := range variantsOf() {
		reg := registryFor(t, variant)
		for _, p := range reg.Protocols() {
			for _, m := range p.Methods() {
				for _, s := range settingsMatrix {
					for _, request := range []bool{true, false} {
						if !request && p.NoResponse {
							continue
						}
						name := fmt.Sprintf("%s/%s.%s/%v/req=%v", variant, p.Name, m.NameFor(s.NEXVersion), s, request)
						v := m.NewResponse(s)
						if request {
							v = m.NewRequest(s)
						}
						want, err := m.Encode(request, v, s)
						if err != nil {
							t.Fatalf("%s: tree encode: %v", name, err)
						}
						msg := typedMessage(t, m, s.NEXVersion, request, variant)
						msg.(interface{ SetDefaults() }).SetDefaults()
						e := typed.NewEncoder(s)
						msg.EncodeTo(e)
						got, err := e.Close(nil, name)
						if err != nil || !bytes.Equal(got, want) {
							t.Fatalf("%s: typed defaults encode %x (%v)\nwant %x", name, got, err, want)
						}
						total++
					}
				}
			}
		}
	}
	t.Logf("%d bodies agree", total)
}
