package schema

import (
	"fmt"
	"strconv"
)

// A path addresses a node below a Value: field names joined by dots, list
// indexes in brackets, e.g. "gathering.max_participants", "results[3].score",
// "param.attribs[0]". Paths look through AnyDataHolders, Variants and parent
// structure levels. On a map, ".key" selects the entry with that string key
// and "[n]" the entry with that integer key (the first one when keys repeat).

type step struct {
	name  string
	index int
	isIdx bool
}

// parsePath splits a path into steps; it allocates only the step slice.
func parsePath(path string) ([]step, error) {
	if path == "" {
		return nil, nil
	}
	steps := make([]step, 0, 4)
	i := 0
	expectName := true
	for i < len(path) {
		c := path[i]
		switch {
		case c == '[':
			j := i + 1
			for j < len(path) && path[j] != ']' {
				j++
			}
			if j >= len(path) || j == i+1 {
				return nil, fmt.Errorf("%w: %q: unterminated or empty index", ErrBadPath, path)
			}
			n, err := strconv.Atoi(path[i+1 : j])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: %q: index %q", ErrBadPath, path, path[i+1:j])
			}
			steps = append(steps, step{index: n, isIdx: true})
			i = j + 1
			expectName = false
		case c == '.':
			if expectName {
				return nil, fmt.Errorf("%w: %q: empty name", ErrBadPath, path)
			}
			i++
			expectName = true
			if i == len(path) {
				return nil, fmt.Errorf("%w: %q: trailing dot", ErrBadPath, path)
			}
		default:
			if !expectName {
				return nil, fmt.Errorf("%w: %q: missing dot before %q", ErrBadPath, path, path[i:])
			}
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				if path[j] == ']' {
					return nil, fmt.Errorf("%w: %q: stray ]", ErrBadPath, path)
				}
				j++
			}
			steps = append(steps, step{name: path[i:j]})
			i = j
			expectName = false
		}
	}
	return steps, nil
}

// Get returns the node at path ("" is v itself).
func (v *Value) Get(path string) (*Value, error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	cur := v
	for _, s := range steps {
		next, err := cur.child(s)
		if err != nil {
			return nil, fmt.Errorf("schema: get %q: %w", path, err)
		}
		cur = next
	}
	return cur, nil
}

func (v *Value) child(s step) (*Value, error) {
	h := v.held()
	if h == nil {
		return nil, ErrNotFound
	}
	if s.isIdx {
		switch h.Kind {
		case KindList:
			if s.index >= len(h.Items) {
				return nil, fmt.Errorf("%w: [%d] of %d elements", ErrIndex, s.index, len(h.Items))
			}
			return h.Items[s.index], nil
		case KindMap:
			for i := 0; i+1 < len(h.Items); i += 2 {
				if k := h.Items[i]; isIntKind(k.Kind) && keyInt(k) == int64(s.index) {
					return h.Items[i+1], nil
				}
			}
			return nil, fmt.Errorf("%w: map key %d", ErrNotFound, s.index)
		default:
			return nil, fmt.Errorf("%w: [%d] on %s", ErrType, s.index, h.Kind)
		}
	}
	switch h.Kind {
	case KindStruct:
		if f := h.Field(s.name); f != nil {
			return f, nil
		}
		return nil, fmt.Errorf("%w: %q in %s", ErrNotFound, s.name, h.Type)
	case KindMap:
		for i := 0; i+1 < len(h.Items); i += 2 {
			if k := h.Items[i]; (k.Kind == KindString || k.Kind == KindStationURL) && k.Str == s.name {
				return h.Items[i+1], nil
			}
		}
		return nil, fmt.Errorf("%w: map key %q", ErrNotFound, s.name)
	default:
		return nil, fmt.Errorf("%w: field %q on %s", ErrType, s.name, h.Kind)
	}
}

func isIntKind(k Kind) bool {
	switch k {
	case KindU8, KindU16, KindU32, KindU64, KindS8, KindS16, KindS32, KindS64, KindPID:
		return true
	}
	return false
}

func keyInt(k *Value) int64 {
	switch k.Kind {
	case KindS8, KindS16, KindS32, KindS64:
		return k.Int
	}
	return int64(k.Uint)
}

// Walk calls fn for v and every node below it, depth first, parents before
// children, with the path that Get accepts for that node. AnyDataHolders,
// Variants and parent structure levels are visited as one node with the
// fields of what they hold below them. Map values are visited (keys are part
// of their paths). Walk stops at the first error fn returns and returns it.
func (v *Value) Walk(fn func(path string, v *Value) error) error {
	return v.walk("", fn)
}

func (v *Value) walk(path string, fn func(string, *Value) error) error {
	if err := fn(path, v); err != nil {
		return err
	}
	return v.walkChildren(path, fn)
}

func (v *Value) walkChildren(path string, fn func(string, *Value) error) error {
	h := v.held()
	if h == nil || h == v && (v.Kind == KindAnyData || v.Kind == KindVariant) {
		return nil
	}
	switch h.Kind {
	case KindStruct:
		for i, it := range h.Items {
			if i == 0 && it.Name == "" && it.Kind == KindStruct {
				if err := it.walkChildren(path, fn); err != nil {
					return err
				}
				continue
			}
			if err := it.walk(joinName(path, it.Name), fn); err != nil {
				return err
			}
		}
	case KindList:
		for i, it := range h.Items {
			if err := it.walk(path+"["+strconv.Itoa(i)+"]", fn); err != nil {
				return err
			}
		}
	case KindMap:
		for i := 0; i+1 < len(h.Items); i += 2 {
			k := h.Items[i]
			var p string
			switch {
			case k.Kind == KindString || k.Kind == KindStationURL:
				p = joinName(path, k.Str)
			case isIntKind(k.Kind):
				p = path + "[" + strconv.FormatInt(keyInt(k), 10) + "]"
			default:
				p = path + "[?]"
			}
			if err := h.Items[i+1].walk(p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

func joinName(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
