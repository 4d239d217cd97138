// Package lintreport is the shared vocabulary of openpca's zlint checks on
// certificates (issuance) and CRLs (crl): which lints failed, and why.
package lintreport

import (
	"fmt"
	"slices"
	"strings"

	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

// Finding is one lint that ended with status Error or Fatal.
type Finding struct {
	// Lint is the zlint lint name, an openpca check's name, or the parser
	// ("crypto/x509", "zcrypto") that rejected the input.
	Lint string
	// Status is "error" or "fatal".
	Status string
	// Details is the lint's explanation, possibly empty.
	Details string
}

// Error lists every failed lint of one certificate or CRL.
type Error struct {
	// What is checked, for the message: "certificate" or "CRL".
	What     string
	Findings []Finding
}

func (e *Error) Error() string {
	parts := make([]string, 0, len(e.Findings))
	for _, f := range e.Findings {
		s := f.Lint + " (" + f.Status
		if f.Details != "" {
			s += ": " + f.Details
		}
		parts = append(parts, s+")")
	}
	return fmt.Sprintf("%s failed %d lint(s): %s", e.What, len(e.Findings), strings.Join(parts, "; "))
}

// Registry filters zlint's global registry with opts and applies config
// (zlint's TOML lint configuration, possibly empty). Its Names are sorted
// once: zlint sorts every lint name it knows on each call, which costs more
// than many of the lints it runs.
func Registry(opts lint.FilterOptions, config string) (lint.Registry, error) {
	reg, err := lint.GlobalRegistry().Filter(opts)
	if err != nil {
		return nil, err
	}
	cfg, err := lint.NewConfigFromString(config)
	if err != nil {
		return nil, err
	}
	reg.SetConfiguration(cfg)
	return namedRegistry{reg, reg.Names()}, nil
}

type namedRegistry struct {
	lint.Registry
	names []string
}

func (r namedRegistry) Names() []string { return r.names }

// Failures returns the lints that ended with Error or Fatal in rs, in name
// order.
func Failures(rs *zlint.ResultSet) []Finding {
	var out []Finding
	for name, r := range rs.Results {
		switch r.Status {
		case lint.Error:
			out = append(out, Finding{Lint: name, Status: "error", Details: r.Details})
		case lint.Fatal:
			out = append(out, Finding{Lint: name, Status: "fatal", Details: r.Details})
		}
	}
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.Lint, b.Lint) })
	return out
}
