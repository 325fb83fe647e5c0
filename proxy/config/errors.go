package config

import "strings"

// FieldError is one problem with one configuration key. Key is the full
// path as written in config.toml, lower-cased the way viper reads it, with
// array positions: "games[1].prudp.fragment_size".
type FieldError struct {
	Key string
	Msg string
}

// Error returns "key: message", the line `nexproxy check` prints.
func (e *FieldError) Error() string {
	if e.Key == "" {
		return e.Msg
	}
	return e.Key + ": " + e.Msg
}

// Errors is every problem Load found, in file order (cross-game checks
// last). Load reports all of them at once so that one `nexproxy check`
// run shows everything to fix; use errors.As to get at the list.
type Errors []*FieldError

// Error joins the problems one per line.
func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, fe := range e {
		lines[i] = fe.Error()
	}
	return strings.Join(lines, "\n")
}

// errList collects FieldErrors while the configuration is walked.
type errList struct{ errs, warnings Errors }

// warn records something unusual that still works (an access key of an
// odd shape): Load succeeds, and `nexproxy check` and serve show it.
func (l *errList) warn(key, format string, a ...any) {
	l.warnings = append(l.warnings, &FieldError{Key: key, Msg: sprintf(format, a...)})
}

func (l *errList) add(key, format string, a ...any) {
	msg := format
	if len(a) > 0 {
		msg = sprintf(format, a...)
	}
	l.errs = append(l.errs, &FieldError{Key: key, Msg: msg})
}
