package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// TestGoldenValid loads each testdata/valid/*.toml and compares the whole
// typed Config, one "path = value" line per field, with the .golden file
// beside it (go test -run Golden -update rewrites them after a deliberate
// change; review the diff).
func TestGoldenValid(t *testing.T) {
	eachTOML(t, "testdata/valid", func(t *testing.T, file, text string) {
		cfg, err := LoadTOML(text)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		compareGolden(t, strings.TrimSuffix(file, ".toml")+".golden", dump(cfg))
	})
}

// TestGoldenInvalid loads each testdata/invalid/*.toml and compares the
// complete error list, one per line, with the .errors file beside it.
func TestGoldenInvalid(t *testing.T) {
	eachTOML(t, "testdata/invalid", func(t *testing.T, file, text string) {
		cfg, err := LoadTOML(text)
		if err == nil {
			t.Fatalf("Load accepted the file: %+v", cfg)
		}
		if cfg != nil {
			t.Errorf("Load returned a Config along with errors")
		}
		var es Errors
		if !errors.As(err, &es) {
			t.Fatalf("error is %T, not Errors: %v", err, err)
		}
		for _, fe := range es {
			if fe.Key == "" {
				t.Errorf("error without key: %v", fe)
			}
		}
		compareGolden(t, strings.TrimSuffix(file, ".toml")+".errors", err.Error()+"\n")
	})
}

// eachTOML runs check as a subtest on every .toml file of dir, failing
// when there is none (a moved folder must not pass silently).
func eachTOML(t *testing.T, dir string, check func(t *testing.T, file, text string)) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	if len(files) == 0 {
		t.Fatalf("no %s/*.toml", dir)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			check(t, file, string(text))
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// dump renders v as sorted-by-declaration "path = value" lines; durations
// print as "1s" so that the golden files read like the TOML.
func dump(v any) string {
	var b strings.Builder
	dumpValue(&b, "", reflect.ValueOf(v))
	return b.String()
}

func dumpValue(b *strings.Builder, path string, v reflect.Value) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			fmt.Fprintf(b, "%s = nil\n", path)
			return
		}
		v = v.Elem()
	}
	if v.Type() == reflect.TypeOf(time.Duration(0)) {
		fmt.Fprintf(b, "%s = %s\n", path, time.Duration(v.Int()))
		return
	}
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			dumpValue(b, join(v.Type().Field(i).Name), v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			fmt.Fprintf(b, "%s = []\n", path)
		}
		for i := 0; i < v.Len(); i++ {
			dumpValue(b, fmt.Sprintf("%s[%d]", path, i), v.Index(i))
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			dumpValue(b, fmt.Sprintf("%s[%s]", path, k.String()), v.MapIndex(k).Elem())
		}
	case reflect.String:
		fmt.Fprintf(b, "%s = %q\n", path, v.String())
	default:
		if s, ok := v.Interface().(fmt.Stringer); ok {
			fmt.Fprintf(b, "%s = %s\n", path, s.String())
			return
		}
		fmt.Fprintf(b, "%s = %v\n", path, v.Interface())
	}
}
