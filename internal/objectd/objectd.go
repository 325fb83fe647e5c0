// Package objectd is nexproxy's own HTTP object endpoint for DataStore
// content: consoles upload with the HTML-form POST that PreparePostObject
// describes and download with the GET URL of PrepareGetObject, as they
// would against S3. Uploads and downloads are authorised by an HMAC
// signature over the key, the exact size and an expiry, so the endpoint
// needs no state of its own: the bytes go to a store.Objects (files by
// default), whose atomic Put means no half-written object is ever served.
//
// Upload form, in this order (the console sends the fields in the order it
// got them, then the file as the last part, whatever its name):
//
//	key        object key
//	expires    Unix seconds after which the form is refused
//	size       the exact content length the file part must have
//	signature  hex HMAC-SHA256 of "POST\n<key>\n<size>\n<expires>"
//
// Download: GET <base>/<key>?expires=<unix>&signature=<hex HMAC-SHA256 of
// "GET\n<key>\n<expires>">, with range requests.
package objectd

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Field is one form field of an upload, in the order it must be sent.
type Field struct{ Key, Value string }

// Signer makes and checks the signed upload forms and download URLs of an
// endpoint. Every instance serving the same URLs must share Key.
type Signer struct {
	// Key is the HMAC key (at least 16 bytes).
	Key []byte
	// BaseURL is the endpoint's address as consoles reach it, e.g.
	// "http://192.168.1.10:8380" (no trailing slash).
	BaseURL string
}

func (s *Signer) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(m.Sum(nil))
}

// PostForm returns the URL and form fields of an upload of exactly size
// bytes to key, valid until expires.
func (s *Signer) PostForm(key string, size int64, expires time.Time) (string, []Field) {
	exp := strconv.FormatInt(expires.Unix(), 10)
	sz := strconv.FormatInt(size, 10)
	return s.BaseURL + "/", []Field{
		{"key", key}, {"expires", exp}, {"size", sz},
		{"signature", s.mac("POST", key, sz, exp)},
	}
}

// GetURL returns a download URL of key valid until expires.
func (s *Signer) GetURL(key string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	v := url.Values{"expires": {exp}, "signature": {s.mac("GET", key, exp)}}
	return s.BaseURL + "/" + key + "?" + v.Encode()
}

// Config configures an endpoint.
type Config struct {
	// Listen is the TCP address to listen on.
	Listen string
	// TLSCert and TLSKey (PEM files) make the endpoint HTTPS, with TLS 1.0
	// and RSA key exchange enabled for Wii U and 3DS.
	TLSCert, TLSKey string
	// MaxSize bounds uploads (the prepare call refuses larger objects;
	// this bounds what a forged request can make the server read).
	MaxSize int64
}

// Server is a running endpoint.
type Server struct {
	signer  *Signer
	objects store.Objects
	log     *zap.Logger
	maxSize int64
	srv     *http.Server
	ln      net.Listener
	done    chan struct{}
	now     func() time.Time
}

// Listen opens the endpoint's listener (so that a port 0 is known before
// the base URL is built) without serving yet.
func Listen(cfg Config) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("objectd: listen on %s: %w", cfg.Listen, err)
	}
	if cfg.TLSCert == "" {
		return ln, nil
	}
	tc, err := TLSConfig(cfg.TLSCert, cfg.TLSKey)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return tls.NewListener(ln, tc), nil
}

// TLSConfig loads a certificate for the endpoint and enables what Wii U
// and 3DS speak: TLS 1.0 and 1.1 with RSA key exchange, which Go no
// longer enables by default (the suites must be listed explicitly).
func TLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("objectd: load certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS10,
		CipherSuites: LegacyCipherSuites,
	}, nil
}

// LegacyCipherSuites are the endpoint's TLS 1.0-1.2 suites: modern ECDHE
// ones first, then the RSA key exchange suites old consoles need.
var LegacyCipherSuites = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

// Serve serves the endpoint on ln (from Listen) until Close.
func Serve(ln net.Listener, signer *Signer, objects store.Objects, maxSize int64, log *zap.Logger) *Server {
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{signer: signer, objects: objects, log: log, maxSize: maxSize, ln: ln, done: make(chan struct{}), now: time.Now}
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		// Bounds how long a trickling client holds a connection; an upload
		// form lives 15 minutes by default anyway.
		ReadTimeout:    20 * time.Minute,
		WriteTimeout:   20 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       zap.NewStdLog(log),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("objectd: serve", zap.Error(err))
		}
	}()
	return s
}

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the endpoint, letting requests in flight finish for a few
// seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	<-s.done
	if err != nil {
		return fmt.Errorf("objectd: close: %w", err)
	}
	return nil
}

// Handler is the endpoint's HTTP handler, for tests and embedding.
func (s *Server) Handler() http.Handler { return s }

// NewHandler returns the endpoint's handler without a listener.
func NewHandler(signer *Signer, objects store.Objects, maxSize int64, log *zap.Logger) http.Handler {
	if log == nil {
		log = zap.NewNop()
	}
	return &Server{signer: signer, objects: objects, log: log, maxSize: maxSize, now: time.Now}
}

// ServeHTTP routes uploads (POST /) and downloads (GET, HEAD /<key>).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodPost:
		s.upload(w, r)
	case http.MethodGet, http.MethodHead:
		s.download(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// Limits on what precedes the file in an upload.
const (
	maxFieldBytes = 4 << 10
	maxFields     = 32
	// formOverhead is how many bytes beyond the file a form may take
	// (boundaries, part headers, fields).
	formOverhead = 256 << 10
)

var errBadForm = errors.New("bad form")

func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string, err error) {
	s.log.Info("objectd: refused", zap.String("method", r.Method), zap.String("remote", r.RemoteAddr),
		zap.Int("status", code), zap.String("reason", msg), zap.Error(err))
	http.Error(w, msg, code)
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > s.maxSize+formOverhead {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "too large", nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.maxSize+formOverhead)
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		s.fail(w, r, http.StatusBadRequest, "expected multipart/form-data", err)
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	fields := map[string]string{}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, "no file part", err)
			return
		}
		name := part.FormName()
		if _, known := signedFields[name]; !known || part.FileName() != "" {
			// The first part that is not a signed field is the file.
			s.store(w, r, fields, part)
			part.Close()
			return
		}
		if n >= maxFields {
			s.fail(w, r, http.StatusBadRequest, "too many fields", errBadForm)
			return
		}
		v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
		part.Close()
		if err != nil || len(v) > maxFieldBytes {
			s.fail(w, r, http.StatusBadRequest, "bad field", err)
			return
		}
		fields[name] = string(v)
	}
}

var signedFields = map[string]struct{}{"key": {}, "expires": {}, "size": {}, "signature": {}}

func (s *Server) store(w http.ResponseWriter, r *http.Request, f map[string]string, file io.Reader) {
	key, exp, sz, sig := f["key"], f["expires"], f["size"], f["signature"]
	if !hmac.Equal([]byte(sig), []byte(s.signer.mac("POST", key, sz, exp))) {
		s.fail(w, r, http.StatusForbidden, "bad signature", nil)
		return
	}
	expires, err1 := strconv.ParseInt(exp, 10, 64)
	size, err2 := strconv.ParseInt(sz, 10, 64)
	if err1 != nil || err2 != nil || size < 0 {
		s.fail(w, r, http.StatusBadRequest, "bad expiry or size", errors.Join(err1, err2))
		return
	}
	if s.now().Unix() > expires {
		s.fail(w, r, http.StatusForbidden, "expired", nil)
		return
	}
	if size > s.maxSize {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "too large", nil)
		return
	}
	// Put stores exactly size bytes or nothing: a short or long file part
	// leaves no object behind.
	cr := &countReader{r: file}
	if err := s.objects.Put(r.Context(), key, cr, size); err != nil {
		var mbe *http.MaxBytesError
		code := http.StatusInternalServerError
		switch {
		case errors.As(err, &mbe):
			code = http.StatusRequestEntityTooLarge
		case cr.n != size || errors.Is(err, store.ErrInvalid) || r.Context().Err() != nil:
			// The file part was shorter or longer than signed.
			code = http.StatusBadRequest
		}
		s.fail(w, r, code, "upload not stored", err)
		return
	}
	s.log.Debug("objectd: stored", zap.String("key", key), zap.Int64("size", size), zap.String("remote", r.RemoteAddr))
	w.WriteHeader(http.StatusNoContent)
}

// countReader counts what the store read of the file part.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.URL.Path, "/")
	exp := r.URL.Query().Get("expires")
	if !hmac.Equal([]byte(r.URL.Query().Get("signature")), []byte(s.signer.mac("GET", key, exp))) {
		s.fail(w, r, http.StatusForbidden, "bad signature", nil)
		return
	}
	expires, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || s.now().Unix() > expires {
		s.fail(w, r, http.StatusForbidden, "expired", err)
		return
	}
	rc, info, err := s.objects.Get(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		s.fail(w, r, http.StatusNotFound, "not found", err)
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "read failed", err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", info.ModTime, rc)
}
