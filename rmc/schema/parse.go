package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// The description language (.nexdl), one file per protocol:
//
//	# comment (also //)
//	struct Name [: Parent] { fields }
//	protocol ID Name [noresponse] { methods }
//	protocol ID Name variant V { methods }
//	method ID Name [nex-condition] ( fields ) [-> ( fields )]
//
// fields are "type name [= default]" separated by commas, semicolons or
// newlines; a condition block "cond { fields }" makes fields conditional,
// blocks nest. Conditions: "nex >= N", "nex < N", "nex in [N, M)",
// "revision >= R" and "more" (present only when bytes remain in the
// enclosing structure content, holder or message body; for trailing fields
// that some titles omit). Types: u8..u64, s8..s64, float, double, bool, pid,
// result, datetime, string, buffer, qbuffer, stationurl, variant, quuid,
// list<T>, map<K,V>, anydata<Base> (anydata alone means anydata<Data>) and
// structure names. Several "method" lines with the same id are NEX-version
// variants; the first whose condition holds is used, so the unconditional
// one goes last.
//
// A "variant" protocol block describes a game's redefinition of some
// methods of a base protocol described elsewhere (Mario Kart 8 reuses
// MatchmakeExtension 36-41 for its own calls): it lists only the methods it
// replaces or adds, and takes effect through Registry.WithVariants.

type token struct {
	text string
	line int
	str  bool // quoted string literal
}

type parser struct {
	file string
	toks []token
	pos  int
	reg  *Registry
}

func lex(file, src string) ([]token, error) {
	var toks []token
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#' || c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' && src[j] != '\n' {
				j++
			}
			if j >= len(src) || src[j] != '"' {
				return nil, fmt.Errorf("%s:%d: unterminated string", file, line)
			}
			toks = append(toks, token{text: src[i+1 : j], line: line, str: true})
			i = j + 1
		case isIdent(c) || c >= '0' && c <= '9' || c == '-' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i + 1
			for j < len(src) && (isIdent(src[j]) || src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			toks = append(toks, token{text: src[i:j], line: line})
			i = j
		case c == '-' && i+1 < len(src) && src[i+1] == '>', c == '>' && i+1 < len(src) && src[i+1] == '=':
			toks = append(toks, token{text: src[i : i+2], line: line})
			i += 2
		case strings.IndexByte("{}()<>[],;:=", c) >= 0:
			toks = append(toks, token{text: src[i : i+1], line: line})
			i++
		default:
			return nil, fmt.Errorf("%s:%d: unexpected character %q", file, line, c)
		}
	}
	return toks, nil
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (p *parser) errf(format string, args ...any) error {
	line := 0
	if p.pos < len(p.toks) {
		line = p.toks[p.pos].line
	} else if len(p.toks) > 0 {
		line = p.toks[len(p.toks)-1].line
	}
	return fmt.Errorf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...))
}

func (p *parser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].text
	}
	return ""
}

func (p *parser) next() (token, error) {
	if p.pos >= len(p.toks) {
		return token{}, p.errf("unexpected end of file")
	}
	t := p.toks[p.pos]
	p.pos++
	return t, nil
}

func (p *parser) expect(s string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t.text != s || t.str {
		p.pos--
		return p.errf("want %q, got %q", s, t.text)
	}
	return nil
}

func (p *parser) ident() (string, error) {
	t, err := p.next()
	if err != nil {
		return "", err
	}
	if t.str || !isIdent(t.text[0]) {
		p.pos--
		return "", p.errf("want a name, got %q", t.text)
	}
	return t.text, nil
}

func (p *parser) number() (int, error) {
	t, err := p.next()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(t.text, 0, 64)
	if err != nil || t.str {
		p.pos--
		return 0, p.errf("want a number, got %q", t.text)
	}
	return int(n), nil
}

func (p *parser) parseFile() error {
	for p.pos < len(p.toks) {
		switch kw, _ := p.ident(); kw {
		case "struct":
			if err := p.parseStruct(); err != nil {
				return err
			}
		case "protocol":
			if err := p.parseProtocol(); err != nil {
				return err
			}
		default:
			return p.errf("want struct or protocol, got %q", kw)
		}
	}
	return nil
}

func (p *parser) parseStruct() error {
	name, err := p.ident()
	if err != nil {
		return err
	}
	if _, dup := p.reg.structs[name]; dup {
		return p.errf("structure %s defined twice", name)
	}
	st := &Struct{Name: name, file: p.file}
	if p.peek() == ":" {
		p.pos++
		if st.parentName, err = p.ident(); err != nil {
			return err
		}
	}
	if err := p.expect("{"); err != nil {
		return err
	}
	if st.fields, err = p.parseFields("}", nil); err != nil {
		return err
	}
	p.reg.structs[name] = st
	p.reg.structOrder = append(p.reg.structOrder, st)
	return nil
}

// parseFields reads fields up to the closing token, flattening condition
// blocks into each field's condition list.
func (p *parser) parseFields(closing string, outer []cond) ([]field, error) {
	var out []field
	for {
		switch p.peek() {
		case closing:
			p.pos++
			return out, nil
		case ",", ";":
			p.pos++
			continue
		case "":
			return nil, p.errf("missing %q", closing)
		case "nex", "revision", "more":
			c, err := p.parseConds()
			if err != nil {
				return nil, err
			}
			if err := p.expect("{"); err != nil {
				return nil, err
			}
			inner := append(append([]cond(nil), outer...), c...)
			fs, err := p.parseFields("}", inner)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
			continue
		}
		t, err := p.parseType()
		if err != nil {
			return nil, err
		}
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		f := field{name: name, t: t, conds: append([]cond(nil), outer...)}
		if p.peek() == "=" {
			p.pos++
			if f.def, err = p.parseLiteral(); err != nil {
				return nil, err
			}
		}
		out = append(out, f)
	}
}

func (p *parser) parseConds() ([]cond, error) {
	kw, _ := p.ident()
	switch kw {
	case "more":
		return []cond{{kind: condMore}}, nil
	case "revision":
		if err := p.expect(">="); err != nil {
			return nil, err
		}
		n, err := p.number()
		if err != nil {
			return nil, err
		}
		if n < 0 || n > 255 {
			return nil, p.errf("revision %d out of range", n)
		}
		return []cond{{kind: condRevGE, n: n}}, nil
	case "nex":
		op, err := p.next()
		if err != nil {
			return nil, err
		}
		switch op.text {
		case ">=", "<":
			n, err := p.number()
			if err != nil {
				return nil, err
			}
			if op.text == "<" {
				return []cond{{kind: condNexLT, n: n}}, nil
			}
			return []cond{{kind: condNexGE, n: n}}, nil
		case "in":
			if err := p.expect("["); err != nil {
				return nil, err
			}
			lo, err := p.number()
			if err != nil {
				return nil, err
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
			hi, err := p.number()
			if err != nil {
				return nil, err
			}
			if err := p.expect(")"); err != nil {
				return nil, err
			}
			return []cond{{kind: condNexGE, n: lo}, {kind: condNexLT, n: hi}}, nil
		}
		return nil, p.errf("want >=, < or in after nex, got %q", op.text)
	}
	return nil, p.errf("want a condition, got %q", kw)
}

var primitives = map[string]Kind{
	"u8": KindU8, "u16": KindU16, "u32": KindU32, "u64": KindU64,
	"s8": KindS8, "s16": KindS16, "s32": KindS32, "s64": KindS64,
	"float": KindFloat, "double": KindDouble, "bool": KindBool, "pid": KindPID,
	"result": KindResult, "datetime": KindDateTime, "string": KindString,
	"buffer": KindBuffer, "qbuffer": KindQBuffer, "stationurl": KindStationURL,
	"variant": KindVariant, "quuid": KindQUUID,
}

func (p *parser) parseType() (*typeRef, error) {
	name, err := p.ident()
	if err != nil {
		return nil, err
	}
	if k, ok := primitives[name]; ok {
		return &typeRef{kind: k, spell: name}, nil
	}
	switch name {
	case "list":
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		e, err := p.parseType()
		if err != nil {
			return nil, err
		}
		if err := p.expect(">"); err != nil {
			return nil, err
		}
		return &typeRef{kind: KindList, spell: "list<" + e.spell + ">", elem: e}, nil
	case "map":
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		k, err := p.parseType()
		if err != nil {
			return nil, err
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
		v, err := p.parseType()
		if err != nil {
			return nil, err
		}
		if err := p.expect(">"); err != nil {
			return nil, err
		}
		return &typeRef{kind: KindMap, spell: "map<" + k.spell + "," + v.spell + ">", elem: k, val: v}, nil
	case "anydata":
		base := "Data"
		if p.peek() == "<" {
			p.pos++
			if base, err = p.ident(); err != nil {
				return nil, err
			}
			if err := p.expect(">"); err != nil {
				return nil, err
			}
		}
		return &typeRef{kind: KindAnyData, spell: "anydata<" + base + ">", base: base}, nil
	}
	t := &typeRef{kind: KindStruct, spell: name}
	p.reg.pending = append(p.reg.pending, t)
	return t, nil
}

func (p *parser) parseLiteral() (*literal, error) {
	t, err := p.next()
	if err != nil {
		return nil, err
	}
	switch {
	case t.str:
		return &literal{str: t.text, isStr: true}, nil
	case t.text == "true" || t.text == "false":
		return &literal{b: t.text == "true", isB: true}, nil
	case t.text == "[":
		l := &literal{isLst: true}
		for p.peek() != "]" {
			if p.peek() == "," {
				p.pos++
				continue
			}
			e, err := p.parseLiteral()
			if err != nil {
				return nil, err
			}
			l.list = append(l.list, e)
		}
		p.pos++
		return l, nil
	}
	if n, err := strconv.ParseInt(t.text, 0, 64); err == nil {
		return &literal{num: float64(n), isNum: true, str: t.text}, nil
	}
	if f, err := strconv.ParseFloat(t.text, 64); err == nil {
		return &literal{num: f, isNum: true, str: t.text}, nil
	}
	p.pos--
	return nil, p.errf("bad default %q", t.text)
}

func (p *parser) parseProtocol() error {
	id, err := p.number()
	if err != nil {
		return err
	}
	if id < 0 || id > 0xFFFF {
		return p.errf("protocol id %d out of range", id)
	}
	name, err := p.ident()
	if err != nil {
		return err
	}
	proto := &Protocol{ID: uint16(id), Name: name, methods: map[uint32]*Method{}, reg: p.reg, file: p.file}
	switch p.peek() {
	case "noresponse":
		p.pos++
		proto.NoResponse = true
	case "variant":
		p.pos++
		if proto.variant, err = p.ident(); err != nil {
			return err
		}
		for _, v := range p.reg.variantProtos {
			if v.ID == proto.ID && v.variant == proto.variant {
				return p.errf("protocol %d variant %s defined twice", id, proto.variant)
			}
		}
	}
	if _, dup := p.reg.protocols[uint16(id)]; dup && proto.variant == "" {
		return p.errf("protocol %d defined twice", id)
	}
	if err := p.expect("{"); err != nil {
		return err
	}
	for p.peek() != "}" {
		if err := p.expect("method"); err != nil {
			return err
		}
		if err := p.parseMethod(proto); err != nil {
			return err
		}
	}
	p.pos++
	if proto.variant != "" {
		p.reg.variantProtos = append(p.reg.variantProtos, proto)
		return nil
	}
	p.reg.protocols[proto.ID] = proto
	p.reg.protoOrder = append(p.reg.protoOrder, proto)
	return nil
}

func (p *parser) parseMethod(proto *Protocol) error {
	id, err := p.number()
	if err != nil {
		return err
	}
	if id < 0 || int64(id) > 0x7FFF {
		return p.errf("method id %d out of range", id)
	}
	v := &variant{}
	if v.name, err = p.ident(); err != nil {
		return err
	}
	if p.peek() == "nex" {
		if v.conds, err = p.parseConds(); err != nil {
			return err
		}
	}
	if err := p.expect("("); err != nil {
		return err
	}
	if v.request, err = p.parseFields(")", nil); err != nil {
		return err
	}
	if p.peek() == "->" {
		p.pos++
		if err := p.expect("("); err != nil {
			return err
		}
		if v.response, err = p.parseFields(")", nil); err != nil {
			return err
		}
	}
	for _, fs := range [][]field{v.request, v.response} {
		for _, f := range fs {
			for _, c := range f.conds {
				if c.kind == condRevGE {
					return p.errf("method %s: revision conditions only apply inside structures", v.name)
				}
			}
		}
	}
	m := proto.methods[uint32(id)]
	if m == nil {
		m = &Method{Protocol: proto, ID: uint32(id)}
		proto.methods[uint32(id)] = m
		proto.order = append(proto.order, m)
	}
	m.variants = append(m.variants, v)
	if len(v.conds) == 0 || m.Name == "" {
		m.Name = v.name
	}
	return nil
}
