package nexgen

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/nexproxy/nexproxy/rmc/schema"
)

// packageDoc is the package comment, written once per package.
func (g *generator) packageDoc(p *pkg) string {
	var b strings.Builder
	switch {
	case p.proto != nil && p.variant != "":
		fmt.Fprintf(&b, "// Package %s holds the %s game variant of NEX protocol %d (%s): the\n", p.name, p.variant, p.proto.ID, p.proto.Name)
		fmt.Fprintf(&b, "// methods it redefines, with their own layouts. Register it next to the\n")
		fmt.Fprintf(&b, "// base package %s, whose same-numbered methods the game does not use.\n", p.baseName)
	case p.proto != nil:
		fmt.Fprintf(&b, "// Package %s is the typed form of NEX protocol %d (%s): method ids,\n", p.name, p.proto.ID, p.proto.Name)
		fmt.Fprintf(&b, "// request and response types with byte-exact codecs, one server interface\n")
		fmt.Fprintf(&b, "// per method with Register to put an implementation on an rpc.Mux, and a\n")
		fmt.Fprintf(&b, "// Client.\n")
	default:
		fmt.Fprintf(&b, "// Package %s holds the NEX structures described in %s, shared by\n", p.name, p.file)
		fmt.Fprintf(&b, "// several protocols.\n")
	}
	if len(p.structs) > 0 {
		b.WriteString("//\n// Decoded byte slices alias the decoded body: keep the body unchanged while\n// the value is in use.\n")
	}
	return b.String()
}

// structsFile generates the structures of a package.
func (g *generator) structsFile(p *pkg) ([]byte, error) {
	f := g.newFile(p)
	for _, st := range p.structs {
		if err := f.structure(st); err != nil {
			return nil, err
		}
	}
	f.printf("func init() {\n")
	for _, st := range p.structs {
		f.printf("%s.Register(%q, func() %s.Struct { return new(%s) })\n", f.typed(), st.Name, f.typed(), st.Name)
	}
	f.printf("}\n")
	doc := ""
	if p.proto == nil {
		doc = g.packageDoc(p)
	}
	return f.finish(doc)
}

// revision writes the function giving a level's header version at a NEX
// version (Struct.Revision) and returns the Go expression calling it.
func (f *file) revision(st *schema.Struct) string {
	var b bytes.Buffer
	for _, fd := range st.Fields() {
		rev := 0
		var nex []schema.Cond
		for _, c := range fd.Conds {
			switch c.Kind {
			case schema.CondRevisionGE:
				rev = max(rev, c.N)
			case schema.CondNexGE, schema.CondNexLT:
				nex = append(nex, c)
			}
		}
		if rev == 0 {
			continue
		}
		if len(nex) == 0 {
			fmt.Fprintf(&b, "r = max(r, %d)\n", rev)
		} else {
			fmt.Fprintf(&b, "if %s {\nr = max(r, %d)\n}\n", condExpr(nex, "nex", "", ""), rev)
		}
	}
	if b.Len() == 0 {
		return "0"
	}
	fn := "revision" + st.Name
	f.printf("// %s is the header version a new %s level gets at a NEX version:\n// the highest revision among the fields that version has.\n", fn, st.Name)
	f.printf("func %s(nex int) uint8 {\nvar r uint8\n%s return r\n}\n\n", fn, b.String())
	return fn + "(e.NEX())"
}

func (f *file) structure(st *schema.Struct) error {
	name := st.Name
	fields := st.Fields()
	if st.Parent != nil {
		f.printf("// %s is the NEX structure %s, derived from %s (embedded: its\n// fields are promoted). Each level has its own header on the wire.\n", name, name, st.Parent.Name)
	} else {
		f.printf("// %s is the NEX structure %s.\n", name, name)
	}
	f.printf("type %s struct {\n", name)
	taken := map[string]string{}
	if st.Parent != nil {
		ref := f.structRef(st.Parent)
		f.printf("%s\n\n", ref)
		taken[st.Parent.Name] = "parent " + st.Parent.Name
	}
	if err := f.fieldDecls(fields, name, taken); err != nil {
		return err
	}
	f.printf("\n// wire keeps this level's header version, tail and unusual encodings.\nwire %s.Wire\n}\n\n", f.typed())

	f.printf("// ClassName returns %q, the structure's AnyDataHolder class name.\n", name)
	f.printf("func (*%s) ClassName() string { return %q }\n\n", name, name)

	var defs bytes.Buffer
	if st.Parent != nil {
		fmt.Fprintf(&defs, "s.%s.SetDefaults()\n", st.Parent.Name)
	}
	if err := f.defaults(&defs, fields, "s", name); err != nil {
		return err
	}
	f.printf("// New%s returns a %s with the description's defaults.\n", name, name)
	f.printf("func New%s() *%s {\ns := new(%s)\ns.SetDefaults()\nreturn s\n}\n\n", name, name, name)
	f.printf("// SetDefaults sets the description's defaults on every level and marks\n// optional trailing fields present.\n")
	if defs.Len() == 0 {
		f.printf("func (*%s) SetDefaults() {}\n\n", name)
	} else {
		f.printf("func (s *%s) SetDefaults() {\n%s}\n\n", name, defs.String())
	}

	var dec bytes.Buffer
	f.fieldsDecode(&dec, fields, "s")
	f.printf("// DecodeFrom reads every level of the structure, root level first.\n")
	f.printf("func (s *%s) DecodeFrom(d *%s.Decoder) {\n*s = %s{}\n", name, f.typed(), name)
	if st.Parent != nil {
		f.printf("s.%s.DecodeFrom(d)\nif d.Reader().Err() != nil {\nreturn\n}\n", st.Parent.Name)
	}
	f.printf("%s", withLocals([]byte("l := d.Begin()\n"+dec.String()), "r", "r := d.Reader()"))
	f.printf("s.wire = d.End(l)\n}\n\n")

	rev := f.revision(st)
	var enc bytes.Buffer
	f.fieldsEncode(&enc, fields, "s")
	f.printf("// EncodeTo writes every level of the structure, root level first.\n")
	f.printf("func (s *%s) EncodeTo(e *%s.Encoder) {\n", name, f.typed())
	if st.Parent != nil {
		f.printf("s.%s.EncodeTo(e)\n", st.Parent.Name)
	}
	f.printf("%s", withLocals([]byte(fmt.Sprintf("l := e.Begin(&s.wire, %s)\n", rev)+enc.String()), "w", "w := e.Writer()"))
	f.printf("e.End(l)\n}\n\n")
	f.codecMethods(name, "s", name)
	return nil
}

// codecMethods writes Decode, Encode and AppendTo of a type with
// DecodeFrom and EncodeTo.
func (f *file) codecMethods(typ, recv, what string) {
	rmc := f.rmc()
	f.printf("// Wire returns the wire details %s keeps from decoding (header version,\n// tail); Reset it to encode as a value built in Go.\n", typ)
	f.printf("func (%s *%s) Wire() *%s.Wire { return &%s.wire }\n\n", recv, typ, f.typed(), recv)
	f.printf("// Decode decodes a whole body holding one %s; bytes after it are an error.\n", typ)
	f.printf("func (%s *%s) Decode(body []byte, set %s.Settings) error {\nd := %s.NewDecoder(body, set)\n%s.DecodeFrom(d)\nreturn d.Close(%q)\n}\n\n", recv, typ, rmc, f.typed(), recv, what)
	f.printf("// Encode returns the encoding of %s.\n", typ)
	f.printf("func (%s *%s) Encode(set %s.Settings) ([]byte, error) { return %s.AppendTo(nil, set) }\n\n", recv, typ, rmc, recv)
	f.printf("// AppendTo appends the encoding of %s to dst.\n", typ)
	f.printf("func (%s *%s) AppendTo(dst []byte, set %s.Settings) ([]byte, error) {\ne := %s.NewEncoder(set)\n%s.EncodeTo(e)\nreturn e.Close(dst, %q)\n}\n\n", recv, typ, rmc, f.typed(), recv, what)
}

// layoutDoc says when a layout applies.
func layoutDoc(m *schema.Method, i int) string {
	ls := m.Layouts()
	if len(ls) == 1 {
		return ""
	}
	if len(ls[i].Conds) > 0 {
		return " when " + condText(ls[i].Conds)
	}
	return " otherwise"
}

// message writes a request or response type.
func (f *file) message(typ, what, doc string, fs []schema.FieldInfo) error {
	f.printf("%s", doc)
	f.printf("type %s struct {\n", typ)
	if err := f.fieldDecls(fs, typ, map[string]string{}); err != nil {
		return err
	}
	f.printf("\n// wire keeps unusual encodings of the decoded body.\nwire %s.Wire\n}\n\n", f.typed())
	var defs bytes.Buffer
	if err := f.defaults(&defs, fs, "m", typ); err != nil {
		return err
	}
	f.printf("// SetDefaults sets the description's defaults and marks optional trailing\n// values present.\n")
	if defs.Len() == 0 {
		f.printf("func (*%s) SetDefaults() {}\n\n", typ)
	} else {
		f.printf("func (m *%s) SetDefaults() {\n%s}\n\n", typ, defs.String())
	}
	var dec bytes.Buffer
	f.fieldsDecode(&dec, fs, "m")
	f.printf("// DecodeFrom reads the values in order.\n")
	f.printf("func (m *%s) DecodeFrom(d *%s.Decoder) {\n*m = %s{}\n", typ, f.typed(), typ)
	f.printf("%s", withLocals([]byte("l := d.Enter()\n"+dec.String()), "r", "r := d.Reader()"))
	f.printf("m.wire = d.Leave(l)\n}\n\n")
	var enc bytes.Buffer
	f.fieldsEncode(&enc, fs, "m")
	f.printf("// EncodeTo writes the values in order.\n")
	f.printf("func (m *%s) EncodeTo(e *%s.Encoder) {\n", typ, f.typed())
	f.printf("%s", withLocals([]byte("l := e.Enter(&m.wire)\n"+enc.String()), "w", "w := e.Writer()"))
	f.printf("e.Leave(l)\n}\n\n")
	f.codecMethods(typ, "m", what)
	return nil
}

// protocolFile generates constants, messages, servers and the client.
func (g *generator) protocolFile(p *pkg) ([]byte, error) {
	f := g.newFile(p)
	pr := p.proto
	f.printf("// ProtocolID is the RMC protocol id of %s.\nconst ProtocolID uint16 = %d\n\n", pr.Name, pr.ID)
	f.printf("// Name is the protocol's name in logs and hooks.\nconst Name = %q\n\n", pr.Name)
	if p.variant != "" {
		f.printf("// Variant is the name schema.Registry.WithVariants selects these layouts by.\nconst Variant = %q\n\n", p.variant)
	}
	f.printf("// Method ids. Methods whose layout changed with the NEX version have one\n// name per layout, sharing the id.\nconst (\n")
	for _, m := range pr.Methods() {
		for i, l := range m.Layouts() {
			f.printf("// Method%s is the id of %s%s.\nMethod%s uint32 = %d\n", goName(l.Name), l.Name, layoutDoc(m, i), goName(l.Name), m.ID)
		}
	}
	f.printf(")\n\n")

	full := pr.Name
	for _, m := range pr.Methods() {
		for i, l := range m.Layouts() {
			gn := goName(l.Name)
			what := full + "." + l.Name
			doc := fmt.Sprintf("// %sRequest holds the parameters of %s (method %d%s).\n", gn, what, m.ID, layoutDoc(m, i))
			if err := f.message(gn+"Request", what+" request", doc, l.Request); err != nil {
				return nil, err
			}
			if !pr.NoResponse {
				doc := fmt.Sprintf("// %sResponse holds the return values of %s (method %d%s).\n", gn, what, m.ID, layoutDoc(m, i))
				if err := f.message(gn+"Response", what+" response", doc, l.Response); err != nil {
					return nil, err
				}
			}
		}
	}
	f.constructors(p)
	f.servers(p)
	f.client(p)
	return f.finish(g.packageDoc(p))
}

// constructors writes NewRequest and NewResponse, which pick a method's
// layout by NEX version as the schema does: the first layout whose
// conditions hold, else the last.
func (f *file) constructors(p *pkg) {
	pr := p.proto
	typed := f.typed()
	for _, dir := range []string{"Request", "Response"} {
		f.printf("// New%s returns an empty %s of a method in the layout the NEX\n// version selects; nil for a method this package does not describe", dir, strings.ToLower(dir))
		if dir == "Response" && pr.NoResponse {
			f.printf(" (always nil:\n// %s is one-way).\nfunc NewResponse(method uint32, nex int) %s.Message { return nil }\n\n", pr.Name, typed)
			continue
		}
		f.printf(".\nfunc New%s(method uint32, nex int) %s.Message {\n", dir, typed)
		used := false
		f.printf("switch method {\n")
		for _, m := range pr.Methods() {
			ls := m.Layouts()
			f.printf("case %d:\n", m.ID)
			done := false
			for i := 0; i < len(ls)-1; i++ {
				if len(ls[i].Conds) == 0 {
					f.printf("return new(%s%s)\n", goName(ls[i].Name), dir)
					done = true
					break
				}
				used = true
				f.printf("if %s {\nreturn new(%s%s)\n}\n", condExpr(ls[i].Conds, "nex", "", ""), goName(ls[i].Name), dir)
			}
			if !done {
				f.printf("return new(%s%s)\n", goName(ls[len(ls)-1].Name), dir)
			}
		}
		f.printf("}\n")
		if !used {
			f.printf("_ = nex\n")
		}
		f.printf("return nil\n}\n\n")
	}
}

func (f *file) servers(p *pkg) {
	pr := p.proto
	ctx := f.use("context", "context")
	rpc := f.use("github.com/nexproxy/nexproxy/rmc/rpc", "rpc")
	var all []string
	for _, m := range pr.Methods() {
		for i, l := range m.Layouts() {
			gn := goName(l.Name)
			all = append(all, gn+"Server")
			f.printf("// %sServer serves %s.%s (method %d%s).\n", gn, pr.Name, l.Name, m.ID, layoutDoc(m, i))
			f.printf("type %sServer interface {\n", gn)
			if pr.NoResponse {
				f.printf("// %s handles the one-way call; nothing is answered.\n", gn)
				f.printf("%s(ctx %s.Context, c *%s.Call, req *%sRequest) error\n}\n\n", gn, ctx, rpc, gn)
			} else {
				f.printf("// %s answers the call; an error becomes the reply through rpc.Answer\n// (an *rpc.ResultError, from rpc.Fail, answers its result).\n", gn)
				f.printf("%s(ctx %s.Context, c *%s.Call, req *%sRequest) (*%sResponse, error)\n}\n\n", gn, ctx, rpc, gn, gn)
			}
		}
	}
	f.printf("// Server is every method of %s", pr.Name)
	if p.variant != "" {
		f.printf(" that the %s variant redefines", p.variant)
	}
	f.printf(", for services that serve them all:\n// assert it (var _ Server = (*myService)(nil)) to have the compiler check\n// completeness. Register takes any subset.\ntype Server interface {\n")
	for _, s := range all {
		f.printf("%s\n", s)
	}
	f.printf("}\n\n")

	f.printf("// Register registers on m, on behalf of service, every method of %s that\n", pr.Name)
	f.printf("// impl implements (any of the *Server interfaces); the others fall through\n// to the next link of the chain. A method whose layout depends on the NEX\n")
	f.printf("// version is dispatched by the session's version; a version whose layout impl\n// does not implement is passed on. It fails when impl implements no method\n// or another service already serves one.\n")
	f.printf("func Register(m *%s.Mux, service string, impl any) error {\nserved := 0\n", rpc)
	fmtp := f.use("fmt", "fmt")
	for _, m := range pr.Methods() {
		f.printf("if fn := serve%d(impl); fn != nil {\nif err := m.Handle(service, ProtocolID, %d, fn); err != nil {\nreturn %s.Errorf(\"%s: register %%s: %%w\", service, err)\n}\nserved++\n}\n", m.ID, m.ID, fmtp, p.name)
	}
	f.printf("if served == 0 {\nreturn %s.Errorf(\"%s: register %%s: %%T implements no method of %s\", service, impl)\n}\nreturn nil\n}\n\n", fmtp, p.name, pr.Name)

	typed := f.typed()
	for _, m := range pr.Methods() {
		ls := m.Layouts()
		f.printf("// serve%d returns the MethodFunc of method %d for impl, nil when impl\n// serves none of its layouts.\n", m.ID, m.ID)
		f.printf("func serve%d(impl any) %s.MethodFunc {\n", m.ID, rpc)
		var oks []string
		for i, l := range ls {
			f.printf("s%d, ok%d := impl.(%sServer)\n", i, i, goName(l.Name))
			oks = append(oks, fmt.Sprintf("!ok%d", i))
		}
		f.printf("if %s {\nreturn nil\n}\n", strings.Join(oks, " && "))
		f.printf("return func(ctx %s.Context, c *%s.Call) (*%s.Reply, error) {\n", ctx, rpc, rpc)
		serve := func(i int) {
			l := ls[i]
			fn := "Serve"
			if pr.NoResponse {
				fn = "ServeOneWay"
			}
			if len(ls) > 1 {
				f.printf("if !ok%d {\nreturn nil, %s.ErrPass\n}\n", i, rpc)
			}
			f.printf("return %s.%s(ctx, c, %q, s%d.%s)\n", typed, fn, pr.Name+"."+l.Name, i, goName(l.Name))
		}
		if len(ls) > 1 {
			f.printf("nex := %s.NEXOf(c)\n", typed)
		}
		done := false
		for i := 0; i < len(ls)-1 && !done; i++ {
			if len(ls[i].Conds) == 0 {
				serve(i)
				done = true
				break
			}
			f.printf("if %s {\n", condExpr(ls[i].Conds, "nex", "", ""))
			serve(i)
			f.printf("}\n")
		}
		if !done {
			serve(len(ls) - 1)
		}
		f.printf("}\n}\n\n")
	}
}

func (f *file) client(p *pkg) {
	pr := p.proto
	ctx := f.use("context", "context")
	rpc := f.use("github.com/nexproxy/nexproxy/rmc/rpc", "rpc")
	rmc := f.rmc()
	typed := f.typed()
	f.printf("// Client calls %s methods through an rpc.Caller (a console's RMC peer,\n// or a simulated console in tests and benchmarks).\n", pr.Name)
	f.printf("type Client struct {\ncaller %s.Caller\nsettings %s.Settings\n}\n\n", rpc, rmc)
	f.printf("// NewClient returns a client that encodes and decodes with s.\n")
	f.printf("func NewClient(c %s.Caller, s %s.Settings) *Client { return &Client{caller: c, settings: s} }\n\n", rpc, rmc)
	for _, m := range pr.Methods() {
		for i, l := range m.Layouts() {
			gn := goName(l.Name)
			what := pr.Name + "." + l.Name
			if pr.NoResponse {
				f.printf("// %s sends %s (method %d%s) one-way; the caller must\n// also have rpc.Sender's Notify.\n", gn, what, m.ID, layoutDoc(m, i))
				f.printf("func (c *Client) %s(ctx %s.Context, req *%sRequest) error {\n", gn, ctx, gn)
				f.printf("return %s.Notify(ctx, c.caller, c.settings, ProtocolID, Method%s, %q, req)\n}\n\n", typed, gn, what)
				continue
			}
			f.printf("// %s calls %s (method %d%s); an error response is an\n// *rpc.ResultError carrying its result.\n", gn, what, m.ID, layoutDoc(m, i))
			f.printf("func (c *Client) %s(ctx %s.Context, req *%sRequest) (*%sResponse, error) {\n", gn, ctx, gn, gn)
			f.printf("return %s.Call[%sResponse](ctx, c.caller, c.settings, ProtocolID, Method%s, %q, req)\n}\n\n", typed, gn, gn, what)
		}
	}
}

// allFile generates the package that links every generated package and
// dispatches to their constructors by protocol id.
func (g *generator) allFile() ([]byte, error) {
	f := g.newFile(&pkg{name: "all", dir: "all", file: "*.nexdl"})
	typed := f.typed()
	alias := func(p *pkg) string { return strings.ReplaceAll(p.dir, "/", "") }
	for _, p := range g.pkgs {
		if p.proto == nil {
			f.use(g.cfg.ImportPrefix+"/"+p.dir, "_")
		} else {
			f.use(g.cfg.ImportPrefix+"/"+p.dir, alias(p))
		}
	}
	f.printf("// Message returns an empty request (request true) or response value of a\n")
	f.printf("// method, in the layout the NEX version selects, with the named game\n")
	f.printf("// variants' methods replacing the base ones (later variants win); nil when\n")
	f.printf("// the method is not described or has no response.\n")
	f.printf("func Message(protocol uint16, method uint32, nex int, request bool, variants ...string) %s.Message {\n", typed)
	f.printf("for i := len(variants) - 1; i >= 0; i-- {\n")
	f.printf("if m := variant(variants[i], protocol, method, nex, request); m != nil {\nreturn m\n}\n}\n")
	f.printf("switch protocol {\n")
	for _, p := range g.pkgs {
		if p.proto == nil || p.variant != "" {
			continue
		}
		f.printf("case %d:\nif request {\nreturn %s.NewRequest(method, nex)\n}\nreturn %s.NewResponse(method, nex)\n", p.proto.ID, alias(p), alias(p))
	}
	f.printf("}\nreturn nil\n}\n\n")
	f.printf("// variant returns a message of a game variant's redefined method, nil when\n// the variant does not redefine it.\n")
	f.printf("func variant(name string, protocol uint16, method uint32, nex int, request bool) %s.Message {\n", typed)
	f.printf("var m %s.Message\nswitch {\n", typed)
	for _, p := range g.pkgs {
		if p.variant == "" {
			continue
		}
		f.printf("case name == %q && protocol == %d && request:\nm = %s.NewRequest(method, nex)\n", p.variant, p.proto.ID, alias(p))
		f.printf("case name == %q && protocol == %d:\nm = %s.NewResponse(method, nex)\n", p.variant, p.proto.ID, alias(p))
	}
	f.printf("}\nreturn m\n}\n")
	doc := "// Package all links every generated protocol package, so that every\n// described class decodes inside AnyData holders (a class resolves only\n// when the package defining it is linked into the program), and finds the\n// typed message of any described method.\n"
	return f.finish(doc)
}
