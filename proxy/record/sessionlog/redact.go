package sessionlog

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/nexproxy/nexproxy/internal/redacted"
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
func IsSecretName(name string) bool { return isSecret(name) }

// isSecret is IsSecretName for a name as text or bytes. It is asked for
// every member of every logged value: a name of ASCII (all that schemas
// use) is normalized on the stack.
func isSecret[T string | []byte](name T) bool {
	var buf [64]byte
	n := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' || c == '-':
			continue
		case c >= utf8.RuneSelf || len(n) == len(buf):
			return isSecretNormalized([]byte(strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(string(name)))))
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		n = append(n, c)
	}
	return isSecretNormalized(n)
}

// isSecretNormalized is IsSecretName for a name in lower case without '_'
// or '-'.
func isSecretNormalized(n []byte) bool {
	if secretNames[string(n)] {
		return true
	}
	for _, s := range secretSuffixes {
		if len(n) >= len(s) && string(n[len(n)-len(s):]) == s {
			return true
		}
	}
	return false
}

// secretBodyProtocols are the protocols whose calls carry secrets:
// Authentication (10: passwords, tokens, tickets), SecureConnection (11:
// RegisterEx's NEX token), MatchMaking (21: gathering passwords),
// MatchmakeExtension (109: session keys, user and system passwords),
// Utility (110: unique id passwords) and DataStore (115: access and update
// passwords).
var secretBodyProtocols = map[uint16]bool{10: true, 11: true, 21: true, 109: true, 110: true, 115: true}

// SecretBodies reports whether the calls of a protocol carry secrets, so
// that what of them cannot be inspected is redacted whole: a body that did
// not decode (params_raw, result_raw, ...) and the "$raw" of an anydata
// whose class is undescribed.
func SecretBodies(protocol uint16) bool { return secretBodyProtocols[protocol] }

// RedactCallJSON is RedactJSON for a value of a call of protocol: in a
// protocol whose calls carry secrets (SecretBodies), the "$raw" bytes of
// an undescribed anydata class are redacted as well.
func RedactCallJSON(protocol uint16, raw json.RawMessage) json.RawMessage {
	return redactJSON(raw, SecretBodies(protocol))
}

// Redact returns a copy of v (a tree of map[string]any, []any and
// scalars, as encoding/json decodes) in which every value under a secret
// field name is replaced by its placeholder (redacted.Placeholder). Other types pass unchanged.
func Redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if IsSecretName(k) {
				out[k] = redacted.Placeholder(secretSize(e))
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
// replaced by its placeholder, keeping the order of object members (the
// wire order of the parameters). Text that is not valid JSON is replaced
// as a whole: it cannot be inspected, so it cannot be trusted.
//
// It runs for every value the session logs write, so it copies the text
// through in one pass (whitespace dropped) and decodes only secret values
// (to measure them) and member names with escapes.
func RedactJSON(raw json.RawMessage) json.RawMessage { return redactJSON(raw, false) }

// redactJSON is RedactJSON, treating "$raw" members as secret when
// anyRaw.
func redactJSON(raw json.RawMessage, anyRaw bool) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	r := redactor{in: raw, out: make([]byte, 0, len(raw)), anyRaw: anyRaw}
	r.skipSpace()
	if err := r.value(0); err != nil {
		return quote(redacted.Placeholder(len(raw)))
	}
	if r.skipSpace(); r.pos != len(r.in) {
		return quote(redacted.Placeholder(len(raw)))
	}
	return r.out
}

// maxDepth bounds recursion on hostile or absurd nesting.
const maxDepth = 512

var (
	errTooDeep = errors.New("sessionlog: JSON nested too deeply")
	errSyntax  = errors.New("sessionlog: invalid JSON")
)

// redactor is the state of one RedactJSON: the text, how far it has been
// read and what was written.
type redactor struct {
	in  []byte
	pos int
	out []byte
	// anyRaw makes "$raw" (an undescribed anydata's bytes) secret.
	anyRaw bool
}

func (r *redactor) skipSpace() {
	for r.pos < len(r.in) {
		switch r.in[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// value copies the value at pos, redacting what it holds.
func (r *redactor) value(depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	if r.pos >= len(r.in) {
		return errSyntax
	}
	switch c := r.in[r.pos]; {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		_, err := r.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(r.in[r.pos:], []byte(lit)) {
			r.out = append(r.out, lit...)
			r.pos += len(lit)
			return nil
		}
	}
	return errSyntax
}

// object copies the object at pos, replacing the values of secret members.
func (r *redactor) object(depth int) error {
	r.pos++ // '{'
	r.out = append(r.out, '{')
	r.skipSpace()
	if r.pos < len(r.in) && r.in[r.pos] == '}' {
		r.pos++
		r.out = append(r.out, '}')
		return nil
	}
	for {
		if r.pos >= len(r.in) || r.in[r.pos] != '"' {
			return errSyntax
		}
		secret, err := r.str()
		if err != nil {
			return err
		}
		r.skipSpace()
		if r.pos >= len(r.in) || r.in[r.pos] != ':' {
			return errSyntax
		}
		r.pos++
		r.out = append(r.out, ':')
		r.skipSpace()
		if secret {
			err = r.secretValue()
		} else {
			err = r.value(depth + 1)
		}
		if err != nil {
			return err
		}
		r.skipSpace()
		if r.pos >= len(r.in) {
			return errSyntax
		}
		c := r.in[r.pos]
		r.pos++
		r.out = append(r.out, c)
		switch c {
		case '}':
			return nil
		case ',':
			r.skipSpace()
		default:
			return errSyntax
		}
	}
}

// array copies the array at pos.
func (r *redactor) array(depth int) error {
	r.pos++ // '['
	r.out = append(r.out, '[')
	r.skipSpace()
	if r.pos < len(r.in) && r.in[r.pos] == ']' {
		r.pos++
		r.out = append(r.out, ']')
		return nil
	}
	for {
		if err := r.value(depth + 1); err != nil {
			return err
		}
		r.skipSpace()
		if r.pos >= len(r.in) {
			return errSyntax
		}
		c := r.in[r.pos]
		r.pos++
		r.out = append(r.out, c)
		switch c {
		case ']':
			return nil
		case ',':
			r.skipSpace()
		default:
			return errSyntax
		}
	}
}

// secretValue writes the placeholder of the value at pos. Secrets are
// few, so it decodes them as encoding/json does to measure them.
func (r *redactor) secretValue() error {
	dec := json.NewDecoder(bytes.NewReader(r.in[r.pos:]))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	r.pos += int(dec.InputOffset())
	r.out = append(r.out, quote(redacted.Placeholder(secretSize(v)))...)
	return nil
}

// str copies the string at pos and reports whether, as a member name, it
// names a secret. A string that is already plain JSON text (no escapes,
// valid UTF-8) is copied as it is; another is decoded and written again.
func (r *redactor) str() (secret bool, err error) {
	start := r.pos
	r.pos++ // '"'
	plain := true
	for {
		if r.pos >= len(r.in) {
			return false, errSyntax
		}
		c := r.in[r.pos]
		switch {
		case c == '"':
			r.pos++
			text := r.in[start:r.pos]
			if plain && utf8.Valid(text) {
				r.out = append(r.out, text...)
				name := text[1 : len(text)-1]
				return isSecret(name) || r.anyRaw && string(name) == "$raw", nil
			}
			var s string
			if err := json.Unmarshal(text, &s); err != nil {
				return false, err
			}
			r.out = append(r.out, quote(s)...)
			return isSecret(s) || r.anyRaw && s == "$raw", nil
		case c < 0x20:
			return false, errSyntax
		case c == '\\':
			plain = false
			r.pos += 2 // the escape's own syntax is checked by the decoding
		default:
			r.pos++
		}
	}
}

// number copies the number at pos after checking its syntax.
func (r *redactor) number() error {
	start := r.pos
	if r.in[r.pos] == '-' {
		r.pos++
	}
	switch {
	case r.pos < len(r.in) && r.in[r.pos] == '0':
		r.pos++
	case r.digits() == 0:
		return errSyntax
	}
	if r.pos < len(r.in) && r.in[r.pos] == '.' {
		r.pos++
		if r.digits() == 0 {
			return errSyntax
		}
	}
	if r.pos < len(r.in) && (r.in[r.pos] == 'e' || r.in[r.pos] == 'E') {
		r.pos++
		if r.pos < len(r.in) && (r.in[r.pos] == '+' || r.in[r.pos] == '-') {
			r.pos++
		}
		if r.digits() == 0 {
			return errSyntax
		}
	}
	r.out = append(r.out, r.in[start:r.pos]...)
	return nil
}

func (r *redactor) digits() int {
	n := 0
	for r.pos < len(r.in) && r.in[r.pos] >= '0' && r.in[r.pos] <= '9' {
		r.pos++
		n++
	}
	return n
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

// Redacted returns r with the secret rule applied, as a Writer without
// Options.Secrets writes it: for other views of the same records (the web
// view).
func Redacted(r Record) Record { return redactRecord(r) }
