package sessionlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/nexproxy/nexproxy/internal/redacted"
)

// referenceRedactJSON is RedactJSON as first written, on encoding/json's
// token stream: slow, but plainly right. The fuzz target holds the
// one-pass RedactJSON to it.
func referenceRedactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := referenceRedactValue(dec, &out, 0); err != nil {
		return quote(redacted.Placeholder(len(raw)))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return quote(redacted.Placeholder(len(raw)))
	}
	return out.Bytes()
}

func referenceRedactValue(dec *json.Decoder, out *bytes.Buffer, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			for first := true; dec.More(); first = false {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, ok := kt.(string)
				if !ok {
					return fmt.Errorf("sessionlog: object key %v", kt)
				}
				if !first {
					out.WriteByte(',')
				}
				out.Write(quote(k))
				out.WriteByte(':')
				if IsSecretName(k) {
					var v any
					if err := dec.Decode(&v); err != nil {
						return err
					}
					out.Write(quote(redacted.Placeholder(secretSize(v))))
					continue
				}
				if err := referenceRedactValue(dec, out, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // '}'
				return err
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for first := true; dec.More(); first = false {
				if !first {
					out.WriteByte(',')
				}
				if err := referenceRedactValue(dec, out, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			out.WriteByte(']')
		default:
			return fmt.Errorf("sessionlog: unexpected %v", t)
		}
	case string:
		out.Write(quote(t))
	case json.Number:
		out.WriteString(t.String())
	case bool:
		if t {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case nil:
		out.WriteString("null")
	}
	return nil
}

// sameJSON reports whether a and b are the same sequence of JSON tokens
// (escapes and whitespace aside, member order kept), or are the same text
// when either is not JSON.
func sameJSON(a, b []byte) bool {
	ta, erra := tokens(a)
	tb, errb := tokens(b)
	if erra != nil || errb != nil {
		return bytes.Equal(a, b)
	}
	return fmt.Sprintf("%#v", ta) == fmt.Sprintf("%#v", tb)
}

func tokens(b []byte) ([]json.Token, error) {
	if !json.Valid(b) {
		return nil, errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out []json.Token
	for {
		t, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
}

// TestRedactJSONMatchesReference: the one-pass RedactJSON writes what the
// token-stream one does, on the fuzz corpus and the sample's values.
func TestRedactJSONMatchesReference(t *testing.T) {
	for _, in := range redactSeeds {
		if got, want := RedactJSON(json.RawMessage(in)), referenceRedactJSON(json.RawMessage(in)); !sameJSON(got, want) {
			t.Errorf("RedactJSON(%s)\n got %s\nwant %s", in, got, want)
		}
	}
}

// redactSeeds are inputs on which the two redactors could part ways.
var redactSeeds = []string{
	`{"password":"x","a":[1,{"ticket":"00"}]}`,
	`[]`, `"s"`, `{}`, ` { "a" : [ 1 , 2 ] , "Key" : { "x" : [ ] } } `,
	`{"pass\u0077ord":"secret"}`, `{"\u00e9t\u00e9":"a\nb\u2028\"\\"}`, "{\"p\":\"\xff\xfe\"}",
	`{"a":-0.5e+10,"b":0,"c":-1E-2}`, `[01]`, `01`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `[-]`, `[1.]`, `[1e]`,
	`{"token":[1,{"a":"\u0000"}]}`, `{"ticket":tru}`, `{"ticket":"unterminated}`, `"\x01"`, `"\q"`,
	`{"a":"b"}x`, `[true,false,null]`, `[nul]`, "\t[1]\r\n",
	`{"session_key":"00112233445566778899aabbccddeeff","sourceKey":"abc","pbufResponse":""}`,
}
