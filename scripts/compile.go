package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// libDir is the folder under Config.Dir that holds require-able modules.
const libDir = "lib"

// maxScriptSize rejects files that cannot be hand-written scripts.
const maxScriptSize = 4 << 20

// moduleName is what require accepts: no paths, so require cannot leave
// Dir/lib.
var moduleName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)

// script is one compiled file.
type script struct {
	name  string // path relative to Dir, also the Lua chunk name
	proto *lua.FunctionProto
}

// scriptSet is a compiled Dir: what one generation runs.
type scriptSet struct {
	scripts []script                      // Dir/*.lua in name order
	libs    map[string]*lua.FunctionProto // module name → Dir/lib/<name>.lua
}

// ErrNoDir reports a scripts folder that does not exist.
var ErrNoDir = errors.New("scripts: folder not found")

// compileDir parses and compiles every script and module, collecting every
// error (each as "file:line: message") rather than stopping at the first.
func compileDir(dir string) (*scriptSet, []error) {
	set := &scriptSet{libs: map[string]*lua.FunctionProto{}}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, []error{fmt.Errorf("%w: %s", ErrNoDir, dir)}
	}
	var errs []error
	top, err := filepath.Glob(filepath.Join(dir, "*.lua"))
	if err != nil {
		return nil, []error{fmt.Errorf("scripts: list %s: %w", dir, err)}
	}
	sort.Strings(top)
	for _, p := range top {
		s, err := compileFile(dir, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set.scripts = append(set.scripts, s)
	}
	libs, _ := filepath.Glob(filepath.Join(dir, libDir, "*.lua"))
	sort.Strings(libs)
	for _, p := range libs {
		mod := strings.TrimSuffix(filepath.Base(p), ".lua")
		if !moduleName.MatchString(mod) {
			errs = append(errs, fmt.Errorf("%s: module name %q: use letters, digits, _ and -", filepath.Join(libDir, filepath.Base(p)), mod))
			continue
		}
		s, err := compileFile(dir, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		set.libs[mod] = s.proto
	}
	return set, errs
}

func compileFile(dir, path string) (script, error) {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		rel = filepath.Base(path)
	}
	rel = filepath.ToSlash(rel)
	src, err := os.ReadFile(path)
	if err != nil {
		return script{}, fmt.Errorf("%s: %w", rel, err)
	}
	if len(src) > maxScriptSize {
		return script{}, fmt.Errorf("%s: %d bytes, limit %d", rel, len(src), maxScriptSize)
	}
	proto, err := compileSource(rel, src)
	if err != nil {
		return script{}, err
	}
	return script{name: rel, proto: proto}, nil
}

// compileSource compiles Lua text; errors read "name:line: message".
func compileSource(name string, src []byte) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		var pe *parse.Error
		if errors.As(err, &pe) {
			line := fmt.Sprint(pe.Pos.Line)
			if pe.Pos.Line == parse.EOF {
				line = "EOF"
			}
			msg := pe.Message
			if pe.Token != "" {
				msg += " near '" + pe.Token + "'"
			}
			return nil, fmt.Errorf("%s:%s: %s", name, line, msg)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return proto, nil
}
