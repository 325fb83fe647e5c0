// Command wsgen writes the Wireshark dissector generated from the .nexdl
// descriptions; tools/wireshark/generate.go runs it through go generate:
//
//	go run ./internal/wsgen/cmd/wsgen -in rmc/schema/protocols -out tools/wireshark/nexproxy.lua
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/nexproxy/nexproxy/internal/wsgen"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

func main() {
	in := flag.String("in", "rmc/schema/protocols", "directory of .nexdl descriptions")
	out := flag.String("out", "tools/wireshark/nexproxy.lua", "output file")
	source := flag.String("source", "rmc/schema/protocols", "description directory named in the generated header")
	flag.Parse()
	if err := run(*in, *out, *source); err != nil {
		fmt.Fprintln(os.Stderr, "wsgen:", err)
		os.Exit(1)
	}
}

func run(in, out, source string) error {
	reg, err := schema.LoadFS(os.DirFS(in), ".")
	if err != nil {
		return err
	}
	b, err := wsgen.Generate(reg, wsgen.Config{Source: source})
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}
