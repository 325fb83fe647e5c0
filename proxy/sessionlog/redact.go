package sessionlog

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// secretNames are the normalized field names (lower case, no '_' or '-')
// whose values are secret wherever they appear.
var secretNames = map[string]bool{
	"password":     true,
	"key":          true,
	"sessionkey":   true,
	"ticket":       true,
	"token":        true,
	"sourcekey":    true,
	"pbufresponse": true,
	"bufresponse":  true,
	"secret":       true,
}

// secretSuffixes catch the compound names schemas use
// ("access_password", "service_token", "idToken", "secure_key").
var secretSuffixes = []string{"password", "token", "ticket", "secret", "sessionkey", "sourcekey", "securekey"}

// IsSecretName reports whether a field of that name holds a secret:
// passwords, keys, tickets and tokens, in any of the spellings NEX schemas
// and nexproxy use (snake_case, camelCase, Hungarian "pbuf" prefixes).
func IsSecretName(name string) bool {
	n := strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(name))
	if secretNames[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// Placeholder returns the text that replaces a secret of n bytes.
func Placeholder(n int) string { return fmt.Sprintf("<redacted %d bytes>", n) }

// Redact returns a copy of v (a tree of map[string]any, []any and
// scalars, as encoding/json decodes) in which every value under a secret
// field name is replaced by its Placeholder. Other types pass unchanged.
func Redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if IsSecretName(k) {
				out[k] = Placeholder(secretSize(e))
			} else {
				out[k] = Redact(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Redact(e)
		}
		return out
	}
	return v
}

// secretSize is the size a placeholder reports: the byte length of a
// buffer (logged as hex), of a string, or of any other value's JSON text.
func secretSize(v any) int {
	switch x := v.(type) {
	case string:
		return stringSize(x)
	case []byte:
		return len(x)
	case nil:
		return 0
	}
	b, _ := json.Marshal(v)
	return len(b)
}

// stringSize counts the bytes a logged string stands for: hex text (how
// buffers are logged) counts its decoded bytes.
func stringSize(s string) int {
	if len(s) >= 2 && len(s)%2 == 0 {
		if _, err := hex.DecodeString(s); err == nil {
			return len(s) / 2
		}
	}
	return len(s)
}

// RedactJSON returns raw with every value under a secret field name
// replaced by its Placeholder, keeping the order of object members (the
// wire order of the parameters). Text that is not valid JSON is replaced
// as a whole: it cannot be inspected, so it cannot be trusted.
func RedactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out bytes.Buffer
	if err := redactValue(dec, &out, 0); err != nil {
		return quote(Placeholder(len(raw)))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return quote(Placeholder(len(raw)))
	}
	return out.Bytes()
}

// maxDepth bounds recursion on hostile or absurd nesting.
const maxDepth = 512

var errTooDeep = errors.New("sessionlog: JSON nested too deeply")

func redactValue(dec *json.Decoder, out *bytes.Buffer, depth int) error {
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
					out.Write(quote(Placeholder(secretSize(v))))
					continue
				}
				if err := redactValue(dec, out, depth+1); err != nil {
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
				if err := redactValue(dec, out, depth+1); err != nil {
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

// quote encodes s as a JSON string without HTML escaping, so that
// placeholders read "<redacted 16 bytes>" rather than "\u003credacted...".
func quote(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
