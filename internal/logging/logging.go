// Package logging builds the zap logger every nexproxy command uses: a
// console encoder when standard error is a terminal, JSON otherwise.
package logging

import (
	"fmt"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a logger at the named level ("debug", "info", "warn",
// "error") writing to standard error. format is "auto" (console on a
// terminal, JSON otherwise), "console" or "json".
func New(level, format string) (*zap.Logger, error) {
	return NewTo(level, format, os.Stderr)
}

// NewTo is New writing to out; "auto" decides by out.
func NewTo(level, format string, out *os.File) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("logging: level %q: %w", level, err)
	}
	if format == "" || format == "auto" {
		format = "json"
		if isTerminal(out) {
			format = "console"
		}
	}
	var enc zapcore.Encoder
	switch format {
	case "console":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
		enc = zapcore.NewConsoleEncoder(cfg)
	case "json":
		cfg := zap.NewProductionEncoderConfig()
		cfg.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(cfg)
	default:
		return nil, fmt.Errorf("logging: format %q: want auto, console or json", format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(out), lvl)
	return zap.New(core), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
