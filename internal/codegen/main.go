// Command codegen generates the Go API layer of an AWS JSON service from its
// trimmed botocore model: shapes, enums, decoders and encoders for the
// awsproto value tree, validators, error types and the operation table.
//
// Usage:
//
//	codegen -model service-2.json -namespace com.amazonaws.acmpca -out DIR
//
// It writes DIR/zz_generated_*.go (removing stale ones) in the package named
// by -package.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	modelPath := flag.String("model", "", "trimmed botocore model (service-2.json)")
	namespace := flag.String("namespace", "", "Smithy namespace of the service's shapes, e.g. com.amazonaws.acmpca")
	out := flag.String("out", ".", "output directory")
	pkg := flag.String("package", "api", "Go package name of the output")
	flag.Parse()
	if *modelPath == "" || *namespace == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*modelPath, *namespace, *out, *pkg); err != nil {
		fmt.Fprintln(os.Stderr, "codegen:", err)
		os.Exit(1)
	}
}

func run(modelPath, namespace, out, pkg string) error {
	m, err := loadModel(modelPath)
	if err != nil {
		return err
	}
	g, err := newGenerator(m, namespace, pkg, filepath.ToSlash(modelPath))
	if err != nil {
		return err
	}
	files, err := g.files()
	if err != nil {
		return err
	}
	stale, err := filepath.Glob(filepath.Join(out, "zz_generated_*.go"))
	if err != nil {
		return err
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(out, name), src, 0o644); err != nil {
			return err
		}
	}
	return nil
}
