package migrate

import (
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql":   {Data: []byte("B")},
		"m/0001_a.sql":   {Data: []byte("A")},
		"m/README.md":    {Data: []byte("ignored")},
		"bad/x.sql":      {Data: []byte("")},
		"gap/0001_a.sql": {Data: []byte("")},
		"gap/0003_c.sql": {Data: []byte("")},
	}
	ms, err := Load(fsys, "m")
	if err != nil || len(ms) != 2 || ms[0].Name != "a" || ms[1].SQL != "B" {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	for _, dir := range []string{"bad", "gap", "missing"} {
		if _, err := Load(fsys, dir); err == nil {
			t.Errorf("Load(%s) accepted", dir)
		}
	}
	if p, err := Pending(ms, 1); err != nil || len(p) != 1 || p[0].Version != 2 {
		t.Errorf("Pending(1) = %+v, %v", p, err)
	}
	if _, err := Pending(ms, 3); err == nil {
		t.Error("Pending accepted a newer database")
	}
}
