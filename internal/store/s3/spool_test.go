package s3

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestSpool runs without a server: exact sizes pass, wrong ones fail, in
// memory and through a temporary file.
func TestSpool(t *testing.T) {
	for _, size := range []int64{0, 5, spoolInMemory + 3} {
		data := bytes.Repeat([]byte{'x'}, int(size))
		r, cleanup, err := spool(bytes.NewReader(data), size)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		got, _ := io.ReadAll(r)
		cleanup()
		if int64(len(got)) != size {
			t.Errorf("size %d: spooled %d", size, len(got))
		}
		if _, _, err := spool(bytes.NewReader(append(data, 'y')), size); err == nil {
			t.Errorf("size %d: long reader accepted", size)
		}
		if size > 0 {
			if _, _, err := spool(bytes.NewReader(data[1:]), size); err == nil {
				t.Errorf("size %d: short reader accepted", size)
			}
		}
	}
	if _, _, err := spool(strings.NewReader("ab"), 2); err != nil {
		t.Error(err)
	}
}
