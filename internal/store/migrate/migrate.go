// Package migrate reads a SQL backend's versioned migrations: files named
// NNNN_description.sql in an embedded folder, applied in version order, each
// once, and recorded in the backend's schema_migrations table. A new domain
// adds the next number; an applied file is never edited.
package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads every *.sql file of dir in fsys, ordered by version. Versions
// must start at 1 and have no gaps or duplicates, so a missing file is
// caught at startup rather than leaving a half-built schema.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", dir, err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || rest == "" {
			return nil, fmt.Errorf("migrate: %s: want NNNN_description.sql", name)
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", name, err)
		}
		ms = append(ms, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrate: %s: versions must run 1, 2, 3... without gaps; found %d at position %d", dir, m.Version, i+1)
		}
	}
	return ms, nil
}

// Pending returns the migrations after version applied, or an error when
// the database is newer than this binary knows (a downgrade).
func Pending(all []Migration, applied int) ([]Migration, error) {
	if applied > len(all) {
		return nil, fmt.Errorf("migrate: database schema is at version %d, this nexproxy knows only up to %d (downgrade?)", applied, len(all))
	}
	return all[applied:], nil
}
