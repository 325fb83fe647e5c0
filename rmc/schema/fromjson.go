package schema

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nexproxy/nexproxy/internal/redacted"
	"github.com/nexproxy/nexproxy/rmc"
)

// MaxJSONDepth bounds the nesting of the text FromJSON reads: far deeper
// than any described call, shallow enough that hostile input cannot
// exhaust the stack.
const MaxJSONDepth = 128

// ErrJSON reports text that is not what MarshalJSON writes for the
// method: malformed JSON, a value of the wrong shape, a missing or extra
// field.
var ErrJSON = errors.New("schema: value text does not fit the description")

// FromJSON rebuilds a request (request true) or response tree from the
// text MarshalJSON wrote for it (the values of a session log), following
// the method's description for settings s, so that the tree encodes again
// for a connection with those settings.
//
// MarshalJSON is written for readers, so a few things do not survive the
// trip: a Variant's integer type (a non-negative integer comes back as
// u64, a negative one as s64, a datetime as a string); the null form of
// an empty string; the header version of a structure level whose fields
// do not depend on it (FromJSON writes the highest revision among the
// fields present); and secrets a log redacted ("<redacted N bytes>"
// becomes N zero bytes in a buffer, zero in a number, and stays as it is
// in a string).
func (m *Method) FromJSON(request bool, text []byte, s rmc.Settings) (*Value, error) {
	l := m.layout(s.NEXVersion)
	fs := l.request
	kind := "request"
	if !request {
		if m.Protocol.NoResponse {
			return nil, fmt.Errorf("schema: %s.%s response from text: %w", m.Protocol.Name, l.name, ErrNoResponse)
		}
		fs, kind = l.response, "response"
	}
	root, err := parseJSON(text)
	if err != nil {
		return nil, fmt.Errorf("schema: %s.%s %s from text: %w", m.Protocol.Name, l.name, kind, err)
	}
	if root.kind != jObject {
		return nil, fmt.Errorf("schema: %s.%s %s from text: %w: want an object, have %s", m.Protocol.Name, l.name, kind, ErrJSON, root.kind)
	}
	b := jsonBuilder{reg: m.Protocol.reg, s: s, zeros: redacted.MaxBytes}
	c := &jcursor{n: root}
	items, _, err := b.fields(fs, c, l.name)
	if err == nil && c.pos < len(root.keys) {
		err = fmt.Errorf("%w: %s: unexpected key %q", ErrJSON, l.name, root.keys[c.pos])
	}
	if err != nil {
		return nil, fmt.Errorf("schema: %s.%s %s from text: %w", m.Protocol.Name, l.name, kind, err)
	}
	return &Value{Kind: KindStruct, Name: l.name, Type: kind, Items: items}, nil
}

// jKind is the kind of a parsed JSON node.
type jKind uint8

const (
	jNull jKind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

func (k jKind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// jnode is parsed JSON that keeps the order of object keys, which the
// wire order of structure fields and map entries needs.
type jnode struct {
	kind jKind
	b    bool
	str  string // string text, number text
	keys []string
	vals []*jnode // object values (beside keys), array elements
}

// parseJSON reads one JSON value, keeping key order, bounded in depth. It
// is a small scanner of its own: encoding/json's Token API allocates and
// re-scans for every token, which made rebuilding a large response cost
// milliseconds.
func parseJSON(text []byte) (*jnode, error) {
	p := jparser{in: text}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if p.space(); p.pos != len(p.in) {
		return nil, fmt.Errorf("%w: text after the value at offset %d", ErrJSON, p.pos)
	}
	return n, nil
}

type jparser struct {
	in  []byte
	pos int
}

func (p *jparser) fail(what string) error {
	return fmt.Errorf("%w: %s at offset %d", ErrJSON, what, p.pos)
}

func (p *jparser) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jparser) value(depth int) (*jnode, error) {
	p.space()
	if p.pos >= len(p.in) {
		return nil, p.fail("unexpected end")
	}
	switch c := p.in[p.pos]; {
	case c == '{' || c == '[':
		if depth >= MaxJSONDepth {
			return nil, p.fail(fmt.Sprintf("nested deeper than %d", MaxJSONDepth))
		}
		p.pos++
		if c == '[' {
			return p.array(depth)
		}
		return p.object(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jnode{kind: jString, str: s}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	for _, lit := range []struct {
		text string
		n    jnode
	}{{"true", jnode{kind: jBool, b: true}}, {"false", jnode{kind: jBool}}, {"null", jnode{kind: jNull}}} {
		if bytes.HasPrefix(p.in[p.pos:], []byte(lit.text)) {
			p.pos += len(lit.text)
			n := lit.n
			return &n, nil
		}
	}
	return nil, p.fail("unexpected character")
}

func (p *jparser) array(depth int) (*jnode, error) {
	n := &jnode{kind: jArray}
	if p.space(); p.pos < len(p.in) && p.in[p.pos] == ']' {
		p.pos++
		return n, nil
	}
	for {
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.vals = append(n.vals, e)
		if done, err := p.next(']'); err != nil || done {
			return n, err
		}
	}
}

func (p *jparser) object(depth int) (*jnode, error) {
	n := &jnode{kind: jObject}
	if p.space(); p.pos < len(p.in) && p.in[p.pos] == '}' {
		p.pos++
		return n, nil
	}
	for {
		if p.space(); p.pos >= len(p.in) || p.in[p.pos] != '"' {
			return nil, p.fail("want an object key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		if p.space(); p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return nil, p.fail("want ':'")
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		n.keys, n.vals = append(n.keys, k), append(n.vals, v)
		if done, err := p.next('}'); err != nil || done {
			return n, err
		}
	}
}

// next reads the ',' between members or the closing bracket.
func (p *jparser) next(closing byte) (done bool, err error) {
	p.space()
	if p.pos >= len(p.in) {
		return false, p.fail("unexpected end")
	}
	switch p.in[p.pos] {
	case ',':
		p.pos++
		return false, nil
	case closing:
		p.pos++
		return true, nil
	}
	return false, p.fail("want ',' or '" + string(closing) + "'")
}

// str reads a string; text without escapes is taken as it is, anything
// else is left to encoding/json, which knows every escape.
func (p *jparser) str() (string, error) {
	start := p.pos
	p.pos++
	plain := true
	for p.pos < len(p.in) {
		switch c := p.in[p.pos]; {
		case c == '"':
			p.pos++
			raw := p.in[start:p.pos]
			if plain && utf8.Valid(raw) {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", fmt.Errorf("%w: string at offset %d: %v", ErrJSON, start, err)
			}
			return s, nil
		case c == '\\':
			plain = false
			p.pos += 2
		case c < 0x20:
			return "", p.fail("control character in a string")
		default:
			p.pos++
		}
	}
	return "", p.fail("unterminated string")
}

// number reads a number's text, checking JSON's grammar.
func (p *jparser) number() (*jnode, error) {
	start := p.pos
	digits := func() int {
		n := 0
		for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
			p.pos++
			n++
		}
		return n
	}
	if p.in[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.in) && p.in[p.pos] == '0':
		p.pos++
	case digits() == 0:
		return nil, p.fail("bad number")
	}
	if p.pos < len(p.in) && p.in[p.pos] == '.' {
		p.pos++
		if digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	if p.pos < len(p.in) && (p.in[p.pos] == 'e' || p.in[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.in) && (p.in[p.pos] == '+' || p.in[p.pos] == '-') {
			p.pos++
		}
		if digits() == 0 {
			return nil, p.fail("bad number")
		}
	}
	return &jnode{kind: jNumber, str: string(p.in[start:p.pos])}, nil
}

// jcursor walks the keys of an object in order: MarshalJSON writes the
// fields of every structure level in wire order, parent levels first,
// so the fields of a plan are consumed one after the other.
type jcursor struct {
	n   *jnode
	pos int
}

// next reports whether the next unread key is name.
func (c *jcursor) next(name string) bool { return c.pos < len(c.n.keys) && c.n.keys[c.pos] == name }

// take returns the next value and moves past it.
func (c *jcursor) take() *jnode {
	v := c.n.vals[c.pos]
	c.pos++
	return v
}

type jsonBuilder struct {
	reg   *Registry
	s     rmc.Settings
	depth int
	// zeros is what redacted placeholders may still expand into: their
	// sizes come from the text, which must not make it allocate more
	// than a real call carries.
	zeros int
}

// fields builds the items of one plan from the cursor. A field whose
// conditions depend on the structure revision or on trailing bytes is
// there exactly when its key is next; rev is the highest revision such a
// field needed.
func (b *jsonBuilder) fields(fs []field, c *jcursor, where string) (items []*Value, rev uint8, err error) {
	for i := range fs {
		f := &fs[i]
		optional, need := false, 0
		nexOK := true
		for _, cd := range f.conds {
			switch cd.kind {
			case condNexGE:
				nexOK = nexOK && b.s.NEXVersion >= cd.n
			case condNexLT:
				nexOK = nexOK && b.s.NEXVersion < cd.n
			case condRevGE:
				optional, need = true, max(need, cd.n)
			case condMore:
				optional = true
			}
		}
		if !nexOK {
			continue
		}
		if optional && !c.next(f.name) {
			continue
		}
		if !c.next(f.name) {
			return nil, 0, fmt.Errorf("%w: %s: missing field %s", ErrJSON, where, f.name)
		}
		j := c.take()
		if need > 0 && !b.s.StructHeader {
			// Recorded with structure headers, encoded without: the
			// revision's fields cannot be written.
			continue
		}
		v, err := b.value(f.t, j)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", f.name, err)
		}
		v.Name = f.name
		items = append(items, v)
		rev = uint8(min(max(int(rev), need), 255))
	}
	return items, rev, nil
}

func (b *jsonBuilder) value(t *typeRef, j *jnode) (*Value, error) {
	v := &Value{Kind: t.kind, Type: t.spell}
	want := func(k jKind) error {
		if j.kind != k {
			return fmt.Errorf("%w: %s wants %s, have %s", ErrJSON, t.spell, k, j.kind)
		}
		return nil
	}
	if j.kind == jString {
		if _, ok := redacted.Size(j.str); ok {
			switch t.kind {
			case KindU8, KindU16, KindU32, KindU64, KindPID, KindS8, KindS16, KindS32, KindS64,
				KindFloat, KindDouble, KindBool, KindResult, KindDateTime:
				// A redacted secret number: zero is all that is left of it.
				return v, nil
			}
		}
	}
	switch t.kind {
	case KindU8, KindU16, KindU32, KindU64, KindPID, KindS8, KindS16, KindS32, KindS64:
		if err := want(jNumber); err != nil {
			return nil, err
		}
		if err := v.setValue(j.str); err != nil {
			return nil, err
		}
	case KindFloat, KindDouble:
		if j.kind != jNumber && j.kind != jString {
			return nil, want(jNumber)
		}
		f, err := strconv.ParseFloat(j.str, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("%w: %s %q", ErrJSON, t.spell, j.str)
		}
		if t.kind == KindFloat {
			v.Float = float64(float32(f))
			v.Uint = uint64(math.Float32bits(float32(f)))
		} else {
			v.Float, v.Uint = f, math.Float64bits(f)
		}
	case KindBool:
		if err := want(jBool); err != nil {
			return nil, err
		}
		v.Bool = j.b
		if j.b {
			v.Uint = 1
		}
	case KindResult:
		u, err := resultFromText(j)
		if err != nil {
			return nil, err
		}
		v.Uint = u
	case KindDateTime:
		u, err := dateTimeFromText(j)
		if err != nil {
			return nil, err
		}
		v.Uint = u
	case KindString, KindStationURL:
		if err := want(jString); err != nil {
			return nil, err
		}
		if err := v.setValue(j.str); err != nil {
			return nil, err
		}
	case KindBuffer, KindQBuffer, KindQUUID, KindRaw:
		if err := want(jString); err != nil {
			return nil, err
		}
		raw, err := b.bytes(j.str)
		if err != nil {
			return nil, err
		}
		if t.kind == KindQUUID && len(raw) != 16 {
			return nil, fmt.Errorf("%w: quuid of %d bytes", ErrJSON, len(raw))
		}
		if err := v.setValue(raw); err != nil {
			return nil, err
		}
	case KindVariant:
		if err := b.variant(v, j); err != nil {
			return nil, err
		}
	case KindList:
		if err := want(jArray); err != nil {
			return nil, err
		}
		if err := b.enter(); err != nil {
			return nil, err
		}
		v.Items = make([]*Value, 0, len(j.vals))
		for i, e := range j.vals {
			it, err := b.value(t.elem, e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			v.Items = append(v.Items, it)
		}
		b.depth--
	case KindMap:
		if err := want(jObject); err != nil {
			return nil, err
		}
		if err := b.enter(); err != nil {
			return nil, err
		}
		v.Items = make([]*Value, 0, 2*len(j.keys))
		for i, k := range j.keys {
			kn := &jnode{kind: jString, str: k}
			switch t.elem.kind {
			case KindU8, KindU16, KindU32, KindU64, KindPID, KindS8, KindS16, KindS32, KindS64, KindFloat, KindDouble:
				kn.kind = jNumber
			case KindBool:
				kn.kind, kn.b = jBool, k == "true"
			}
			kv, err := b.value(t.elem, kn)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", k, err)
			}
			vv, err := b.value(t.val, j.vals[i])
			if err != nil {
				return nil, fmt.Errorf("[%q]: %w", k, err)
			}
			v.Items = append(v.Items, kv, vv)
		}
		b.depth--
	case KindStruct:
		if err := want(jObject); err != nil {
			return nil, err
		}
		c := &jcursor{n: j}
		if err := b.structure(t.st, v, c); err != nil {
			return nil, err
		}
		if c.pos < len(j.keys) {
			return nil, fmt.Errorf("%w: %s: unexpected key %q", ErrJSON, t.st.Name, j.keys[c.pos])
		}
	case KindAnyData:
		if err := want(jObject); err != nil {
			return nil, err
		}
		if err := b.anyData(v, j); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: %s cannot be rebuilt from text", ErrJSON, t.spell)
	}
	return v, nil
}

func (b *jsonBuilder) enter() error {
	b.depth++
	if b.depth > MaxJSONDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrJSON, MaxJSONDepth)
	}
	return nil
}

// structure fills v with the levels of st, parents first, from the keys
// at the cursor.
func (b *jsonBuilder) structure(st *Struct, v *Value, c *jcursor) error {
	if err := b.enter(); err != nil {
		return err
	}
	defer func() { b.depth-- }()
	v.Kind, v.Type = KindStruct, st.Name
	if st.Parent != nil {
		p := &Value{}
		if err := b.structure(st.Parent, p, c); err != nil {
			return err
		}
		v.Items = append(v.Items, p)
	}
	items, rev, err := b.fields(st.fields, c, st.Name)
	if err != nil {
		return err
	}
	v.Items = append(v.Items, items...)
	if b.s.StructHeader {
		v.Version = rev
	}
	if c.next("$tail") {
		j := c.take()
		if j.kind != jString {
			return fmt.Errorf("%w: %s: $tail wants a string", ErrJSON, st.Name)
		}
		tail, err := b.bytes(j.str)
		if err != nil {
			return err
		}
		if b.s.StructHeader {
			v.Tail = tail
		}
	}
	return nil
}

// anyData rebuilds a holder: "$class" first, then the held structure's
// fields, or "$raw" with the bytes of a class the schema does not know
// (or whose layout differed from its description).
func (b *jsonBuilder) anyData(v *Value, j *jnode) error {
	c := &jcursor{n: j}
	if !c.next("$class") {
		return fmt.Errorf("%w: anydata without $class", ErrJSON)
	}
	cl := c.take()
	if cl.kind != jString || len(cl.str) > math.MaxUint16-1 {
		return fmt.Errorf("%w: anydata $class wants a string", ErrJSON)
	}
	v.Class = cl.str
	if c.next("$raw") {
		r := c.take()
		if r.kind != jString {
			return fmt.Errorf("%w: anydata $raw wants a string", ErrJSON)
		}
		raw, err := b.bytes(r.str)
		if err != nil {
			return err
		}
		v.Items = []*Value{{Kind: KindRaw, Type: typeRaw, Bytes: raw}}
	} else {
		st := b.reg.structs[v.Class]
		if st == nil {
			return fmt.Errorf("%w: anydata class %q has no description and no $raw", ErrJSON, v.Class)
		}
		h := &Value{}
		if err := b.structure(st, h, c); err != nil {
			return fmt.Errorf("%s: %w", v.Class, err)
		}
		v.Items = []*Value{h}
	}
	if c.pos < len(j.keys) {
		return fmt.Errorf("%w: anydata %s: unexpected key %q", ErrJSON, v.Class, j.keys[c.pos])
	}
	return nil
}

// variant rebuilds a Variant from the JSON type of its value.
func (b *jsonBuilder) variant(v *Value, j *jnode) error {
	switch j.kind {
	case jNull:
		return v.setVariant(nil)
	case jBool:
		return v.setVariant(j.b)
	case jString:
		return v.setVariant(j.str)
	case jNumber:
		if !strings.ContainsAny(j.str, ".eE") {
			if j.str[0] == '-' {
				n, err := strconv.ParseInt(j.str, 10, 64)
				if err != nil {
					return fmt.Errorf("%w: variant %s", ErrJSON, j.str)
				}
				return v.setVariant(n)
			}
			u, err := strconv.ParseUint(j.str, 10, 64)
			if err != nil {
				return fmt.Errorf("%w: variant %s", ErrJSON, j.str)
			}
			return v.setVariant(u)
		}
		f, err := strconv.ParseFloat(j.str, 64)
		if err != nil {
			return fmt.Errorf("%w: variant %s", ErrJSON, j.str)
		}
		v.VariantType = rmc.VariantDouble
		v.Items = []*Value{{Kind: KindDouble, Type: "double", Float: f, Uint: math.Float64bits(f)}}
		return nil
	}
	return fmt.Errorf("%w: variant cannot hold %s", ErrJSON, j.kind)
}

// resultFromText reads "0x80030064 RendezVous::InvalidUsername" (the
// number is what counts) or a plain number.
func resultFromText(j *jnode) (uint64, error) {
	text := j.str
	if j.kind == jString {
		text, _, _ = strings.Cut(text, " ")
	} else if j.kind != jNumber {
		return 0, fmt.Errorf("%w: result wants a string, have %s", ErrJSON, j.kind)
	}
	u, err := strconv.ParseUint(text, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("%w: result %q", ErrJSON, j.str)
	}
	return u, nil
}

// dateTimeFromText reads what dateTimeText writes: "never", a date
// "2022-05-21 16:12:43", or the raw number of an implausible date.
func dateTimeFromText(j *jnode) (uint64, error) {
	switch {
	case j.kind == jNumber:
		return strconv.ParseUint(j.str, 10, 64)
	case j.kind != jString:
		return 0, fmt.Errorf("%w: datetime wants a string, have %s", ErrJSON, j.kind)
	case j.str == "never":
		return 0, nil
	}
	if u, err := strconv.ParseUint(j.str, 10, 64); err == nil {
		return u, nil
	}
	date, clock, ok := strings.Cut(j.str, " ")
	ds, cs := strings.Split(date, "-"), strings.Split(clock, ":")
	if !ok || len(ds) != 3 || len(cs) != 3 {
		return 0, fmt.Errorf("%w: datetime %q", ErrJSON, j.str)
	}
	var n [6]int
	for i, p := range append(ds, cs...) {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 || x > 9999 {
			return 0, fmt.Errorf("%w: datetime %q", ErrJSON, j.str)
		}
		n[i] = x
	}
	return uint64(rmc.NewDateTime(n[0], n[1], n[2], n[3], n[4], n[5])), nil
}

// bytes decodes hex, or stands N zero bytes in for the "<redacted N
// bytes>" of a log written without secrets.
func (b *jsonBuilder) bytes(s string) ([]byte, error) {
	if n, ok := redacted.Size(s); ok {
		if n > b.zeros {
			return nil, fmt.Errorf("%w: %q (more than %d redacted bytes in one call)", ErrJSON, s, redacted.MaxBytes)
		}
		b.zeros -= n
		return make([]byte, n), nil
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: bytes: %v", ErrJSON, err)
	}
	return raw, nil
}
