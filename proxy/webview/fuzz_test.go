package webview

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

// FuzzReadLog: an uploaded session log (any bytes) and a filter (any
// query) never make the web view panic; what it keeps stays within its
// limits, encodes for the page and is redacted.
func FuzzReadLog(f *testing.F) {
	header := `{"type":"header","format":"nexproxy-session-log","version":1,"session":"c1"}` + "\n"
	f.Add([]byte(header+`{"type":"open","conn":"c1","leg":"console","remote":"192.0.2.1:1"}`+"\n"+
		`{"type":"login","pid":5,"mode":"local"}`+"\n"+
		`{"type":"call","protocol":"Authentication","protocol_id":10,"method_id":1,"params":{"password":"x","a":[1,{"ticket":"00"}]},"duration":"1ms"}`+"\n"+
		`{"type":"call","error":"0x80010001","status":"timeout","result_raw":"abcd"}`+"\n"), "pid=5&result=error")
	f.Add([]byte(header+`{"type":"close","leg":"upstream"}`+"\n"+`{"type":"script","text":"hi"}`+"\n"), "protocol=10&method=x")
	f.Add([]byte(header+`{"type":"call","params":{"k":`), "game=G")
	f.Fuzz(func(t *testing.T, data []byte, query string) {
		lim := Limits{Calls: 4, Bytes: 4096, Value: 512}
		s, _ := readLog(bytes.NewReader(data), "fuzz.jsonl", lim, false)
		q, err := url.ParseQuery(query)
		if err != nil {
			q = url.Values{}
		}
		flt, err := ParseFilter(q)
		if err != nil {
			flt = Filter{}
		}
		if s == nil {
			return
		}
		if len(s.calls) > lim.Calls || len(s.calls) > 1 && s.bytes > lim.Bytes {
			t.Fatalf("%d calls, %d bytes kept past the limits", len(s.calls), s.bytes)
		}
		flt.Session(&s.Session)
		for _, c := range s.calls {
			flt.Call(c)
			if _, err := json.Marshal(c); err != nil {
				t.Fatalf("call does not encode: %v", err)
			}
			for _, v := range []json.RawMessage{c.Params, c.Result, c.SentParams, c.ReceivedResult} {
				if len(v) > 0 && !redacted(v) {
					t.Fatalf("kept unredacted: %s", v)
				}
			}
		}
	})
}

// redacted reports whether every secret field of a value tree holds a
// placeholder.
func redacted(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if sessionlog.IsSecretName(k) {
					if s, ok := e.(string); !ok || !strings.HasPrefix(s, "<redacted ") {
						return false
					}
				} else if !walk(e) {
					return false
				}
			}
		case []any:
			for _, e := range x {
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	return walk(v)
}
