// Package lintreport is the shared vocabulary of openpca's zlint checks on
// certificates (issuance) and CRLs (crl): which lints failed, and why.
package lintreport

import (
	"fmt"
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

// Failures returns the lints of reg that ended with Error or Fatal in rs,
// in reg's name order.
func Failures(reg lint.Registry, rs *zlint.ResultSet) []Finding {
	var out []Finding
	for _, name := range reg.Names() {
		r := rs.Results[name]
		if r == nil {
			continue
		}
		switch r.Status {
		case lint.Error:
			out = append(out, Finding{Lint: name, Status: "error", Details: r.Details})
		case lint.Fatal:
			out = append(out, Finding{Lint: name, Status: "fatal", Details: r.Details})
		}
	}
	return out
}
