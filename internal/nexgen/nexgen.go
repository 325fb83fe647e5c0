// Package nexgen generates typed Go protocol packages from the .nexdl
// protocol descriptions that rmc/schema reads.
//
// Every description file becomes one package: a file describing a
// protocol becomes the package named after it (lower case), a file
// describing a game variant of a protocol becomes a sub-package named after
// the variant ("matchmakeextension/mk8"), and a file with structures only
// is named after the file ("common"). A structure lives in the package of
// the file that defines it; other packages import it. The generated code
// is written against rmc/typed (codecs, AnyData, Map) and rmc/rpc (server
// registration and client calls).
package nexgen

import (
	"bytes"
	"fmt"
	"go/format"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/nexproxy/nexproxy/rmc/schema"
)

// Config says where the generated packages live.
type Config struct {
	// ImportPrefix is the import path of the output directory
	// ("github.com/nexproxy/nexproxy/rmc/protocols").
	ImportPrefix string
	// Source names the description directory in the generated headers
	// ("rmc/schema/protocols").
	Source string
}

// pkg is one generated package.
type pkg struct {
	dir      string // relative to the output directory
	name     string // Go package name
	file     string // description file
	structs  []*schema.Struct
	proto    *schema.Protocol // nil for a structures-only file
	variant  string
	baseName string // base protocol's package dir, for variants
}

type generator struct {
	cfg      Config
	reg      *schema.Registry
	pkgs     []*pkg
	byFile   map[string]*pkg
	structOf map[*schema.Struct]*pkg
}

// Generate returns the generated files keyed by path relative to the
// output directory ("ranking/protocol.go"), plus an "all" package that
// links every generated package.
func Generate(reg *schema.Registry, cfg Config) (map[string][]byte, error) {
	g := &generator{cfg: cfg, reg: reg, byFile: map[string]*pkg{}, structOf: map[*schema.Struct]*pkg{}}
	if err := g.plan(); err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, p := range g.pkgs {
		if len(p.structs) > 0 {
			b, err := g.structsFile(p)
			if err != nil {
				return nil, err
			}
			out[path.Join(p.dir, "structs.go")] = b
		}
		if p.proto != nil {
			b, err := g.protocolFile(p)
			if err != nil {
				return nil, err
			}
			out[path.Join(p.dir, "protocol.go")] = b
		}
	}
	b, err := g.allFile()
	if err != nil {
		return nil, err
	}
	out["all/all.go"] = b
	return out, nil
}

// plan assigns every description file a package.
func (g *generator) plan() error {
	get := func(file string) *pkg {
		if p := g.byFile[file]; p != nil {
			return p
		}
		p := &pkg{file: file}
		g.byFile[file] = p
		g.pkgs = append(g.pkgs, p)
		return p
	}
	for _, pr := range g.reg.Protocols() {
		p := get(pr.File())
		if p.proto != nil {
			return fmt.Errorf("nexgen: %s describes protocols %s and %s; one protocol per file", pr.File(), p.proto.Name, pr.Name)
		}
		p.proto = pr
		p.dir = strings.ToLower(pr.Name)
		p.name = p.dir
	}
	for _, v := range g.reg.Variants() {
		for _, pr := range g.reg.VariantProtocols(v) {
			p := get(pr.File())
			if p.proto != nil {
				return fmt.Errorf("nexgen: %s describes protocols %s and %s; one protocol per file", pr.File(), p.proto.Name, pr.Name)
			}
			p.proto, p.variant = pr, v
			p.baseName = strings.ToLower(pr.Name)
			p.name = goIdentLower(v)
			p.dir = p.baseName + "/" + p.name
		}
	}
	for _, st := range g.reg.Structs() {
		p := get(st.File())
		if p.dir == "" {
			p.name = goIdentLower(strings.TrimSuffix(st.File(), ".nexdl"))
			p.dir = p.name
		}
		p.structs = append(p.structs, st)
		g.structOf[st] = p
	}
	sort.Slice(g.pkgs, func(i, j int) bool { return g.pkgs[i].dir < g.pkgs[j].dir })
	seen := map[string]string{}
	for _, p := range g.pkgs {
		if p.dir == "" || p.name == "" {
			return fmt.Errorf("nexgen: %s: no package name", p.file)
		}
		if f, dup := seen[p.dir]; dup {
			return fmt.Errorf("nexgen: %s and %s both map to package %s", f, p.file, p.dir)
		}
		seen[p.dir] = p.file
	}
	return nil
}

func goIdentLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
			if r != '_' {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// initialisms are spelled in capitals in Go names (Go's naming style).
var initialisms = map[string]string{
	"id": "ID", "ids": "IDs", "pid": "PID", "pids": "PIDs", "gid": "GID", "gids": "GIDs",
	"url": "URL", "urls": "URLs", "cid": "CID", "nex": "NEX", "ngs": "NGS", "rtt": "RTT",
	"sql": "SQL", "ca": "CA", "nat": "NAT", "ip": "IP",
}

// goName turns a description name (snake_case or CamelCase, possibly with
// underscores such as AutoMatchmake_Postpone) into an exported Go name.
func goName(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		if up, ok := initialisms[part]; ok {
			b.WriteString(up)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// file accumulates one generated Go file.
type file struct {
	g       *generator
	p       *pkg
	imports map[string]string // import path -> name used
	body    bytes.Buffer
}

func (g *generator) newFile(p *pkg) *file {
	return &file{g: g, p: p, imports: map[string]string{}}
}

func (f *file) printf(format string, args ...any) { fmt.Fprintf(&f.body, format, args...) }

func (f *file) use(importPath, name string) string {
	f.imports[importPath] = name
	return name
}

func (f *file) typed() string { return f.use("github.com/nexproxy/nexproxy/rmc/typed", "typed") }
func (f *file) rmc() string   { return f.use("github.com/nexproxy/nexproxy/rmc", "rmc") }

// structRef returns the Go type of a structure as seen from f's package.
func (f *file) structRef(st *schema.Struct) string {
	p := f.g.structOf[st]
	if p == f.p {
		return st.Name
	}
	return f.use(f.g.cfg.ImportPrefix+"/"+p.dir, p.name) + "." + st.Name
}

// finish assembles and formats the file.
func (f *file) finish(doc string) ([]byte, error) {
	var b bytes.Buffer
	src := f.g.cfg.Source
	if src == "" {
		src = "the protocol descriptions"
	}
	fmt.Fprintf(&b, "// Code generated by nexgen from %s. DO NOT EDIT.\n\n", path.Join(src, f.p.file))
	if doc != "" {
		b.WriteString(doc)
	}
	fmt.Fprintf(&b, "package %s\n\n", f.p.name)
	if len(f.imports) > 0 {
		paths := make([]string, 0, len(f.imports))
		for p := range f.imports {
			paths = append(paths, p)
		}
		sort.Slice(paths, func(i, j int) bool {
			si, sj := !strings.Contains(paths[i], "."), !strings.Contains(paths[j], ".")
			if si != sj {
				return si
			}
			return paths[i] < paths[j]
		})
		b.WriteString("import (\n")
		for i, p := range paths {
			if i > 0 && strings.Contains(p, ".") && !strings.Contains(paths[i-1], ".") {
				b.WriteString("\n")
			}
			if name := f.imports[p]; name != path.Base(p) {
				b.WriteString("\t" + name + " ")
			} else {
				b.WriteString("\t")
			}
			fmt.Fprintf(&b, "%q\n", p)
		}
		b.WriteString(")\n\n")
	}
	b.Write(f.body.Bytes())
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("nexgen: format %s: %w\n%s", f.p.dir, err, b.Bytes())
	}
	return out, nil
}

// goType returns the Go type of a description type.
func (f *file) goType(t *schema.TypeInfo) string {
	switch t.Kind {
	case schema.KindU8:
		return "uint8"
	case schema.KindU16:
		return "uint16"
	case schema.KindU32:
		return "uint32"
	case schema.KindU64, schema.KindPID:
		return "uint64"
	case schema.KindS8:
		return "int8"
	case schema.KindS16:
		return "int16"
	case schema.KindS32:
		return "int32"
	case schema.KindS64:
		return "int64"
	case schema.KindFloat:
		return "float32"
	case schema.KindDouble:
		return "float64"
	case schema.KindBool:
		return "bool"
	case schema.KindResult:
		return f.rmc() + ".Result"
	case schema.KindDateTime:
		return f.rmc() + ".DateTime"
	case schema.KindString:
		return "string"
	case schema.KindBuffer, schema.KindQBuffer:
		return "[]byte"
	case schema.KindStationURL:
		return f.rmc() + ".StationURL"
	case schema.KindVariant:
		return f.rmc() + ".Variant"
	case schema.KindQUUID:
		return "[16]byte"
	case schema.KindList:
		return "[]" + f.goType(t.Elem)
	case schema.KindMap:
		return f.typed() + ".Map[" + f.goType(t.Elem) + ", " + f.goType(t.Value) + "]"
	case schema.KindStruct:
		return f.structRef(t.Struct)
	case schema.KindAnyData:
		return f.typed() + ".AnyData"
	}
	panic("nexgen: unsupported kind " + t.Kind.String())
}

// zero is the zero value literal of a list element type.
func (f *file) zero(t *schema.TypeInfo) string {
	switch t.Kind {
	case schema.KindList, schema.KindMap:
		return "nil"
	}
	return f.goType(t) + "{}"
}

// plain reports whether a list of t can be allocated at its full length up
// front: small fixed-size elements that take at least one byte each.
func plain(t *schema.TypeInfo) bool {
	switch t.Kind {
	case schema.KindList, schema.KindMap, schema.KindStruct, schema.KindAnyData, schema.KindStationURL, schema.KindVariant:
		return false
	}
	return true
}

var readers = map[schema.Kind]string{
	schema.KindU8: "r.U8()", schema.KindU16: "r.U16()", schema.KindU32: "r.U32()", schema.KindU64: "r.U64()",
	schema.KindS8: "r.S8()", schema.KindS16: "r.S16()", schema.KindS32: "r.S32()", schema.KindS64: "r.S64()",
	schema.KindFloat: "r.Float()", schema.KindDouble: "r.Double()", schema.KindPID: "r.PID()",
	schema.KindResult: "r.Result()", schema.KindDateTime: "r.DateTime()", schema.KindBuffer: "r.Buffer()",
	schema.KindQBuffer: "r.QBuffer()", schema.KindQUUID: "r.QUUID()",
	schema.KindString: "d.String()", schema.KindBool: "d.Bool()", schema.KindStationURL: "d.StationURL()",
	schema.KindVariant: "d.Variant()",
}

var writers = map[schema.Kind]string{
	schema.KindU8: "w.U8", schema.KindU16: "w.U16", schema.KindU32: "w.U32", schema.KindU64: "w.U64",
	schema.KindS8: "w.S8", schema.KindS16: "w.S16", schema.KindS32: "w.S32", schema.KindS64: "w.S64",
	schema.KindFloat: "w.Float", schema.KindDouble: "w.Double", schema.KindPID: "w.PID",
	schema.KindResult: "w.Result", schema.KindDateTime: "w.DateTime", schema.KindBuffer: "w.Buffer",
	schema.KindQBuffer: "w.QBuffer", schema.KindQUUID: "w.QUUID",
	schema.KindString: "e.String", schema.KindBool: "e.Bool", schema.KindStationURL: "e.StationURL",
	schema.KindVariant: "e.Variant",
}

// decodeInto writes code reading a value of type t into the lvalue lv.
func (f *file) decodeInto(b *bytes.Buffer, t *schema.TypeInfo, lv string, depth int) {
	if rd, ok := readers[t.Kind]; ok {
		fmt.Fprintf(b, "%s = %s\n", lv, rd)
		return
	}
	n, i := "n"+strconv.Itoa(depth), "i"+strconv.Itoa(depth)
	switch t.Kind {
	case schema.KindAnyData:
		fmt.Fprintf(b, "d.AnyData(&%s)\n", lv)
	case schema.KindStruct:
		fmt.Fprintf(b, "%s.DecodeFrom(d)\n", lv)
	case schema.KindList:
		fmt.Fprintf(b, "if %s := r.ListLen(); %s > 0 {\n", n, n)
		if plain(t.Elem) {
			// ListLen bounds the count by the bytes left, and each element
			// takes at least one byte: the allocation is bounded by the input.
			fmt.Fprintf(b, "%s = make(%s, %s)\n", lv, f.goType(t), n)
			fmt.Fprintf(b, "for %s := range %s {\n", i, lv)
			f.decodeInto(b, t.Elem, lv+"["+i+"]", depth+1)
		} else {
			fmt.Fprintf(b, "%s = make(%s, 0, min(%s, 64))\n", lv, f.goType(t), n)
			fmt.Fprintf(b, "for %s := 0; %s < %s && r.Err() == nil; %s++ {\n", i, i, n, i)
			fmt.Fprintf(b, "%s = append(%s, %s)\n", lv, lv, f.zero(t.Elem))
			f.decodeInto(b, t.Elem, lv+"[len("+lv+")-1]", depth+1)
		}
		b.WriteString("}\n}\n")
	case schema.KindMap:
		fmt.Fprintf(b, "if %s := r.ListLen(); %s > 0 {\n", n, n)
		fmt.Fprintf(b, "%s = make(%s, 0, min(%s, 64))\n", lv, f.goType(t), n)
		fmt.Fprintf(b, "for %s := 0; %s < %s && r.Err() == nil; %s++ {\n", i, i, n, i)
		fmt.Fprintf(b, "%s = append(%s, %s.Pair[%s, %s]{})\n", lv, lv, f.typed(), f.goType(t.Elem), f.goType(t.Value))
		last := lv + "[len(" + lv + ")-1]"
		f.decodeInto(b, t.Elem, last+".Key", depth+1)
		f.decodeInto(b, t.Value, last+".Value", depth+1)
		b.WriteString("}\n}\n")
	default:
		panic("nexgen: cannot decode " + t.Spelling)
	}
}

// encodeFrom writes code writing the value rv of type t.
func (f *file) encodeFrom(b *bytes.Buffer, t *schema.TypeInfo, rv string, depth int) {
	if wr, ok := writers[t.Kind]; ok {
		fmt.Fprintf(b, "%s(%s)\n", wr, rv)
		return
	}
	i := "i" + strconv.Itoa(depth)
	switch t.Kind {
	case schema.KindAnyData:
		fmt.Fprintf(b, "e.AnyData(&%s)\n", rv)
	case schema.KindStruct:
		fmt.Fprintf(b, "%s.EncodeTo(e)\n", rv)
	case schema.KindList:
		fmt.Fprintf(b, "w.ListLen(len(%s))\nfor %s := range %s {\n", rv, i, rv)
		f.encodeFrom(b, t.Elem, rv+"["+i+"]", depth+1)
		b.WriteString("}\n")
	case schema.KindMap:
		fmt.Fprintf(b, "w.ListLen(len(%s))\nfor %s := range %s {\n", rv, i, rv)
		f.encodeFrom(b, t.Elem, rv+"["+i+"].Key", depth+1)
		f.encodeFrom(b, t.Value, rv+"["+i+"].Value", depth+1)
		b.WriteString("}\n")
	default:
		panic("nexgen: cannot encode " + t.Spelling)
	}
}

func hasMore(cs []schema.Cond) bool {
	for _, c := range cs {
		if c.Kind == schema.CondMore {
			return true
		}
	}
	return false
}

// condExpr spells a conjunction of conditions as Go; more is the Go
// expression of the "more" condition.
func condExpr(cs []schema.Cond, nex, rev, more string) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		switch c.Kind {
		case schema.CondNexGE:
			parts = append(parts, fmt.Sprintf("%s >= %d", nex, c.N))
		case schema.CondNexLT:
			parts = append(parts, fmt.Sprintf("%s < %d", nex, c.N))
		case schema.CondRevisionGE:
			parts = append(parts, fmt.Sprintf("%s >= %d", rev, c.N))
		case schema.CondMore:
			parts = append(parts, more)
		}
	}
	return strings.Join(parts, " && ")
}

func condText(cs []schema.Cond) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

func sameConds(a, b []schema.Cond) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hasName is the presence flag of an optional trailing ("more") field.
func hasName(f schema.FieldInfo) string { return "Has" + goName(f.Name) }

// fieldsDecode writes the decoding of a field list into recv's fields.
func (f *file) fieldsDecode(b *bytes.Buffer, fs []schema.FieldInfo, recv string) {
	for i := 0; i < len(fs); {
		fd := fs[i]
		if len(fd.Conds) == 0 {
			f.decodeInto(b, fd.Type, recv+"."+goName(fd.Name), 0)
			i++
			continue
		}
		if hasMore(fd.Conds) {
			// "more" is evaluated field by field: a field may use up the
			// last bytes, so its successor is then absent.
			fmt.Fprintf(b, "if %s {\n%s.%s = true\n", condExpr(fd.Conds, "d.NEX()", "l.Rev", "r.Remaining() > 0"), recv, hasName(fd))
			f.decodeInto(b, fd.Type, recv+"."+goName(fd.Name), 0)
			b.WriteString("}\n")
			i++
			continue
		}
		fmt.Fprintf(b, "if %s {\n", condExpr(fd.Conds, "d.NEX()", "l.Rev", ""))
		j := i
		for ; j < len(fs) && sameConds(fs[j].Conds, fd.Conds); j++ {
			f.decodeInto(b, fs[j].Type, recv+"."+goName(fs[j].Name), 0)
		}
		b.WriteString("}\n")
		i = j
	}
}

// fieldsEncode writes the encoding of recv's fields.
func (f *file) fieldsEncode(b *bytes.Buffer, fs []schema.FieldInfo, recv string) {
	for i := 0; i < len(fs); {
		fd := fs[i]
		if len(fd.Conds) == 0 {
			f.encodeFrom(b, fd.Type, recv+"."+goName(fd.Name), 0)
			i++
			continue
		}
		j := i + 1
		for ; j < len(fs) && sameConds(fs[j].Conds, fd.Conds) && !hasMore(fd.Conds); j++ {
		}
		fmt.Fprintf(b, "if %s {\n", condExpr(fd.Conds, "e.NEX()", "l.Rev", recv+"."+hasName(fd)))
		for k := i; k < j; k++ {
			f.encodeFrom(b, fs[k].Type, recv+"."+goName(fs[k].Name), 0)
		}
		b.WriteString("}\n")
		i = j
	}
}

// withLocals prefixes a generated body with the reader or writer local it
// uses.
func withLocals(body []byte, local, decl string) string {
	s := string(body)
	if strings.Contains(s, local+".") {
		s = decl + "\n" + s
	}
	// Conditions read the NEX version once.
	for _, get := range []string{"d.NEX()", "e.NEX()"} {
		if strings.Contains(s, get) {
			s = "nex := " + get + "\n" + strings.ReplaceAll(s, get, "nex")
		}
	}
	return s
}

// reserved are the method names every generated type has.
var reserved = map[string]bool{
	"ClassName": true, "DecodeFrom": true, "EncodeTo": true, "Decode": true, "Encode": true,
	"AppendTo": true, "SetDefaults": true, "Wire": true,
}

// fieldDecls writes the Go fields of a field list, checking names. A
// field described twice under different conditions with one type (a NEX 4
// structure repeating its NEX 3 fields) is one Go field.
func (f *file) fieldDecls(fs []schema.FieldInfo, owner string, taken map[string]string) error {
	conds := map[string][]string{}
	for _, fd := range fs {
		c := "always"
		if len(fd.Conds) > 0 {
			c = condText(fd.Conds)
		}
		conds[fd.Name] = append(conds[fd.Name], c)
	}
	spelled := map[string]string{}
	for _, fd := range fs {
		name := goName(fd.Name)
		if sp, again := spelled[fd.Name]; again {
			if sp != fd.Type.Spelling {
				return fmt.Errorf("nexgen: %s: field %s described as %s and %s", owner, fd.Name, sp, fd.Type.Spelling)
			}
			continue
		}
		spelled[fd.Name] = fd.Type.Spelling
		names := []string{name}
		if hasMore(fd.Conds) {
			names = append(names, hasName(fd))
		}
		for _, n := range names {
			if reserved[n] {
				return fmt.Errorf("nexgen: %s: field %s would be named %s, a method name", owner, fd.Name, n)
			}
			if prev, dup := taken[n]; dup {
				return fmt.Errorf("nexgen: %s: fields %s and %s are both named %s in Go", owner, prev, fd.Name, n)
			}
			taken[n] = fd.Name
		}
		doc := fmt.Sprintf("// %s is %s (%s", name, fd.Name, fd.Type.Spelling)
		if cs := conds[fd.Name]; len(cs) > 1 || cs[0] != "always" {
			doc += "; " + strings.Join(cs, " or ")
		}
		doc += ")."
		if fd.Default != nil {
			doc += " Default " + literalDoc(fd.Default) + "."
		}
		f.printf("%s\n%s %s\n", doc, name, f.goType(fd.Type))
		if hasMore(fd.Conds) {
			f.printf("// %s says whether %s is on the wire: the sender may end the\n// enclosing scope before it.\n%s bool\n", hasName(fd), name, hasName(fd))
		}
	}
	return nil
}

func literalDoc(l *schema.Literal) string {
	switch {
	case l.IsString:
		return strconv.Quote(l.Text)
	case l.IsList:
		parts := make([]string, len(l.List))
		for i, e := range l.List {
			parts[i] = literalDoc(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return l.Text
}

// literal spells a default as a Go expression of type t.
func (f *file) literal(t *schema.TypeInfo, l *schema.Literal) (string, error) {
	switch {
	case l.IsList:
		if t.Kind != schema.KindList {
			return "", fmt.Errorf("list default for %s", t.Spelling)
		}
		parts := make([]string, len(l.List))
		for i, e := range l.List {
			s, err := f.literal(t.Elem, e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return f.goType(t) + "{" + strings.Join(parts, ", ") + "}", nil
	case l.IsString:
		switch t.Kind {
		case schema.KindString:
			return strconv.Quote(l.Text), nil
		case schema.KindBuffer, schema.KindQBuffer:
			return "[]byte(" + strconv.Quote(l.Text) + ")", nil
		case schema.KindStationURL:
			return f.typed() + ".URL(" + strconv.Quote(l.Text) + ")", nil
		}
	case l.IsBool:
		if t.Kind == schema.KindBool {
			return l.Text, nil
		}
	case l.IsNumber:
		switch t.Kind {
		case schema.KindString, schema.KindBuffer, schema.KindQBuffer, schema.KindStationURL, schema.KindVariant,
			schema.KindList, schema.KindMap, schema.KindStruct, schema.KindAnyData, schema.KindBool, schema.KindQUUID:
		default:
			return l.Text, nil
		}
	}
	return "", fmt.Errorf("default %s does not fit %s", literalDoc(l), t.Spelling)
}

func isZeroLiteral(l *schema.Literal) bool {
	return l.IsNumber && l.Number == 0 || l.IsBool && !l.Bool
}

// defaults writes SetDefaults statements for a field list.
func (f *file) defaults(b *bytes.Buffer, fs []schema.FieldInfo, recv, owner string) error {
	done := map[string]bool{}
	for _, fd := range fs {
		if done[fd.Name] {
			continue // a field described again under other conditions
		}
		done[fd.Name] = true
		name := recv + "." + goName(fd.Name)
		if hasMore(fd.Conds) {
			fmt.Fprintf(b, "%s.%s = true\n", recv, hasName(fd))
		}
		switch {
		case fd.Default != nil:
			if isZeroLiteral(fd.Default) {
				continue
			}
			lit, err := f.literal(fd.Type, fd.Default)
			if err != nil {
				return fmt.Errorf("nexgen: %s.%s: %w", owner, fd.Name, err)
			}
			fmt.Fprintf(b, "%s = %s\n", name, lit)
		case fd.Type.Kind == schema.KindStruct:
			fmt.Fprintf(b, "%s.SetDefaults()\n", name)
		case fd.Type.Kind == schema.KindAnyData:
			fmt.Fprintf(b, "%s = %s.AnyData{Class: %q, Value: %s.NewDefault(%q)}\n", name, f.typed(), fd.Type.Base, f.typed(), fd.Type.Base)
		}
	}
	return nil
}
