package objectd

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/files"
	"github.com/nexproxy/nexproxy/internal/testcert"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func start(t testing.TB, cfg Config) (*Server, *Signer, store.Objects) {
	t.Helper()
	objs, err := files.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = 4 << 20
	}
	ln, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	sg := &Signer{Key: []byte("0123456789abcdef0123"), BaseURL: scheme + "://" + ln.Addr().String()}
	srv := Serve(ln, sg, objs, cfg.MaxSize, nil)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv, sg, objs
}

// Form builds a console-shaped upload: the fields in the given order, then
// the file as the last part.
func Form(fields []Field, fileName string, data []byte) (string, *bytes.Buffer) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		_ = mw.WriteField(f.Key, f.Value)
	}
	fw, _ := mw.CreateFormFile(fileName, "blob.bin")
	_, _ = fw.Write(data)
	_ = mw.Close()
	return mw.FormDataContentType(), &body
}

func post(t testing.TB, c *http.Client, url string, fields []Field, data []byte) int {
	t.Helper()
	ct, body := Form(fields, "file", data)
	resp, err := c.Post(url, ct, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func get(t testing.TB, c *http.Client, url string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestUploadDownload(t *testing.T) {
	_, sg, objs := start(t, Config{})
	c := &http.Client{}
	defer c.CloseIdleConnections()
	data := make([]byte, 100_000)
	_, _ = rand.Read(data)
	url, fields := sg.PostForm("ds/g/1/1", int64(len(data)), time.Now().Add(15*time.Minute))
	if code := post(t, c, url, fields, data); code != http.StatusNoContent {
		t.Fatalf("upload: %d", code)
	}
	if info, err := objs.Head(t.Context(), "ds/g/1/1"); err != nil || info.Size != int64(len(data)) {
		t.Fatalf("stored: %+v, %v", info, err)
	}
	gu := sg.GetURL("ds/g/1/1", time.Now().Add(15*time.Minute))
	code, got := get(t, c, gu, nil)
	if code != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("download: %d, %d bytes, equal %v", code, len(got), bytes.Equal(got, data))
	}
	code, got = get(t, c, gu, map[string]string{"Range": "bytes=10-19"})
	if code != http.StatusPartialContent || !bytes.Equal(got, data[10:20]) {
		t.Fatalf("range: %d %x", code, got)
	}
	// The file part's name does not matter.
	ct, body := Form(fields, "anything", data)
	resp, err := c.Post(url, ct, body)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("file part with another name: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestRefused(t *testing.T) {
	_, sg, objs := start(t, Config{MaxSize: 1000})
	c := &http.Client{}
	defer c.CloseIdleConnections()
	data := bytes.Repeat([]byte("x"), 100)
	later := time.Now().Add(time.Minute)
	with := func(fields []Field, k, v string) []Field {
		out := append([]Field(nil), fields...)
		for i := range out {
			if out[i].Key == k {
				out[i].Value = v
			}
		}
		return out
	}
	url, fields := sg.PostForm("ds/g/2/1", 100, later)
	_, expired := sg.PostForm("ds/g/2/1", 100, time.Now().Add(-time.Second))
	_, big := sg.PostForm("ds/g/2/1", 5000, later)
	cases := []struct {
		name   string
		fields []Field
		data   []byte
		code   int
	}{
		{"expired", expired, data, http.StatusForbidden},
		{"tampered key", with(fields, "key", "ds/g/3/1"), data, http.StatusForbidden},
		{"tampered size", with(fields, "size", "101"), append(data, 'x'), http.StatusForbidden},
		{"tampered expiry", with(fields, "expires", "99999999999"), data, http.StatusForbidden},
		{"tampered signature", with(fields, "signature", strings.Repeat("0", 64)), data, http.StatusForbidden},
		{"short", fields, data[:99], http.StatusBadRequest},
		{"long", fields, append(data, 'y'), http.StatusBadRequest},
		{"oversized", big, bytes.Repeat([]byte("x"), 5000), http.StatusRequestEntityTooLarge},
		{"no fields", nil, data, http.StatusForbidden},
	}
	for _, tc := range cases {
		if code := post(t, c, url, tc.fields, tc.data); code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.code)
		}
	}
	if _, err := objs.Head(t.Context(), "ds/g/2/1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused upload left an object: %v", err)
	}
	// Downloads: bad signature, expired, missing.
	gu := sg.GetURL("ds/g/2/1", later)
	if code, _ := get(t, c, gu, nil); code != http.StatusNotFound {
		t.Errorf("missing object: %d", code)
	}
	if code, _ := get(t, c, strings.Replace(gu, "ds/g/2/1", "ds/g/2/2", 1), nil); code != http.StatusForbidden {
		t.Errorf("other key: %d", code)
	}
	if code, _ := get(t, c, sg.GetURL("ds/g/2/1", time.Now().Add(-time.Second)), nil); code != http.StatusForbidden {
		t.Errorf("expired url: %d", code)
	}
	// Not multipart at all.
	resp, err := c.Post(url, "text/plain", strings.NewReader("hello"))
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain body: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestConcurrentUploads runs 100 uploads at once.
func TestConcurrentUploads(t *testing.T) {
	_, sg, objs := start(t, Config{})
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	defer c.CloseIdleConnections()
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			data := bytes.Repeat([]byte{byte(i)}, 10_000+i)
			key := fmt.Sprintf("ds/g/%d/1", i)
			url, fields := sg.PostForm(key, int64(len(data)), time.Now().Add(time.Minute))
			ct, body := Form(fields, "file", data)
			resp, err := c.Post(url, ct, body)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				errs <- fmt.Errorf("upload %d: %d", i, resp.StatusCode)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := 0; i < 100; i++ {
		if info, err := objs.Head(t.Context(), fmt.Sprintf("ds/g/%d/1", i)); err != nil || info.Size != int64(10_000+i) {
			t.Errorf("object %d: %+v %v", i, info, err)
		}
	}
}

// selfSigned writes an RSA certificate and key (the Wii U and 3DS speak
// TLS 1.0 with RSA key exchange only) and returns a pool trusting it.
func selfSigned(t testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	p := testcert.NewRSA(t)
	certFile, keyFile = p.Write(t, t.TempDir(), "c.pem", "k.pem")
	return certFile, keyFile, p.Pool
}

// TestTLS10RSA uploads and downloads over TLS 1.0 with RSA key exchange,
// the only thing Wii U and 3DS speak.
func TestTLS10RSA(t *testing.T) {
	cert, key, pool := selfSigned(t)
	_, sg, _ := start(t, Config{TLSCert: cert, TLSKey: key})
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLS1.0", tls.VersionTLS10}, {"TLS1.1", tls.VersionTLS11}} {
		tc := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: v.version, MaxVersion: v.version,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}}
		tr := &http.Transport{TLSClientConfig: tc}
		c := &http.Client{Transport: tr}
		data := []byte("ghost over " + v.name)
		url, fields := sg.PostForm("ds/tls/1", int64(len(data)), time.Now().Add(time.Minute))
		ct, body := Form(fields, "file", data)
		resp, err := c.Post(url, ct, body)
		if err != nil {
			t.Fatalf("%s upload: %v", v.name, err)
		}
		resp.Body.Close()
		if resp.TLS == nil || resp.TLS.Version != v.version || resp.TLS.CipherSuite != tls.TLS_RSA_WITH_AES_128_CBC_SHA {
			t.Fatalf("%s: negotiated %+v", v.name, resp.TLS)
		}
		if code, got := get(t, c, sg.GetURL("ds/tls/1", time.Now().Add(time.Minute)), nil); code != 200 || !bytes.Equal(got, data) {
			t.Fatalf("%s download: %d %q", v.name, code, got)
		}
		tr.CloseIdleConnections()
	}
}

// BenchmarkTransfer: 1 MiB upload and download over loopback through the
// endpoint (files backend). go test ./internal/objectd -run '^$' -bench Transfer
func BenchmarkTransfer(b *testing.B) {
	_, sg, _ := start(b, Config{MaxSize: 2 << 20})
	c := &http.Client{}
	defer c.CloseIdleConnections()
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for i := 0; b.Loop(); i++ {
			url, fields := sg.PostForm("ds/bench/1", int64(len(data)), time.Now().Add(time.Minute))
			if code := post(b, c, url, fields, data); code != http.StatusNoContent {
				b.Fatal(code)
			}
		}
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		gu := sg.GetURL("ds/bench/1", time.Now().Add(time.Hour))
		for b.Loop() {
			resp, err := c.Get(gu)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != int64(len(data)) {
				b.Fatal(n)
			}
		}
	})
}
