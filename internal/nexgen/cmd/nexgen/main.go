// Command nexgen generates the typed protocol packages under rmc/protocols
// from the .nexdl descriptions; rmc/protocols/generate.go runs it through
// go generate:
//
//	go run ./internal/nexgen/cmd/nexgen -in rmc/schema/protocols -out rmc/protocols
//
// It writes every generated file and removes generated files (those with
// the "Code generated ... DO NOT EDIT." header) that are no longer produced.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/nexproxy/nexproxy/internal/nexgen"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

func main() {
	in := flag.String("in", "rmc/schema/protocols", "directory of .nexdl descriptions")
	out := flag.String("out", "rmc/protocols", "output directory")
	prefix := flag.String("import", "github.com/nexproxy/nexproxy/rmc/protocols", "import path of the output directory")
	source := flag.String("source", "rmc/schema/protocols", "description directory named in generated headers")
	flag.Parse()
	if err := run(*in, *out, *prefix, *source); err != nil {
		fmt.Fprintln(os.Stderr, "nexgen:", err)
		os.Exit(1)
	}
}

func run(in, out, prefix, source string) error {
	reg, err := schema.LoadFS(os.DirFS(in), ".")
	if err != nil {
		return err
	}
	files, err := nexgen.Generate(reg, nexgen.Config{ImportPrefix: prefix, Source: source})
	if err != nil {
		return err
	}
	return nexgen.Write(out, files)
}
