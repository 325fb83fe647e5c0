package nexgen

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// generatedHeader matches Go's standard marker of generated files.
var generatedHeader = regexp.MustCompile(`(?m)^// Code generated .* DO NOT EDIT\.$`)

// IsGenerated reports whether Go source carries the generated-file marker.
func IsGenerated(src []byte) bool { return generatedHeader.Match(src) }

// Write writes files under dir, skipping unchanged ones, and removes
// generated .go files under dir that files no longer holds (a renamed
// structure's package, say). Hand-written files are never touched.
func Write(dir string, files map[string][]byte) error {
	for rel, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("nexgen: write %s: %w", p, err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return fmt.Errorf("nexgen: write %s: %w", p, err)
		}
	}
	stale, err := Stale(dir, files)
	if err != nil {
		return err
	}
	for _, rel := range stale {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(rel))); err != nil {
			return fmt.Errorf("nexgen: remove stale %s: %w", rel, err)
		}
	}
	return nil
}

// Stale lists the generated .go files under dir (relative, slash-separated)
// that files does not hold.
func Stale(dir string, files map[string][]byte) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(p) != ".go" {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if _, ok := files[rel]; ok {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if IsGenerated(b) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("nexgen: scan %s: %w", dir, err)
	}
	return out, nil
}
