package objectd

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store/files"
)

// FuzzUpload feeds arbitrary bodies to the upload handler, signed and
// unsigned: it must answer, never panic, and store nothing unsigned.
func FuzzUpload(f *testing.F) {
	sg := &Signer{Key: []byte("fuzz-key-0123456789"), BaseURL: "http://x"}
	_, fields := sg.PostForm("ds/f/1", 5, time.Now().Add(time.Hour))
	ct, body := Form(fields, "file", []byte("hello"))
	f.Add(ct, body.Bytes())
	ct2, body2 := Form(fields[:2], "file", []byte("hello"))
	f.Add(ct2, body2.Bytes())
	f.Add("multipart/form-data; boundary=x", []byte("--x\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--x--\r\n"))
	f.Add("text/plain", []byte("hello"))
	f.Add("multipart/form-data; boundary=", []byte{})
	objs, err := files.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	h := NewHandler(sg, objs, 1<<16, nil)
	f.Fuzz(func(t *testing.T, contentType string, data []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(data))
		req.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code == 0 {
			t.Fatal("no answer")
		}
	})
}
