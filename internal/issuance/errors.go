package issuance

import (
	"fmt"
	"strings"
)

// ArgError reports a request the API must reject as invalid arguments
// (InvalidArgsException): an unknown template ARN, a GeneralName with more than
// one choice, custom subject attributes mixed with standard ones, an empty
// subject without a subject alternative name, and similar.
//
// Msg is meant for the API caller and carries no package prefix.
type ArgError struct {
	Msg string
}

func (e *ArgError) Error() string { return "issuance: " + e.Msg }

// PathLenError reports that a CA template cannot be used because the issuing
// CA's path length constraint forbids another CA certificate below it. The
// domain reports it as a ValidationException.
type PathLenError struct {
	Msg string
}

func (e *PathLenError) Error() string { return "issuance: " + e.Msg }

// ValidityError reports a validity period that cannot be honoured: an unknown
// type, a non-positive value, an unparseable END_DATE, a date outside the
// range X.509 can encode, or a NotBefore that is not before NotAfter. The
// domain reports it as a ValidationException.
type ValidityError struct {
	Msg string
}

func (e *ValidityError) Error() string { return "issuance: " + e.Msg }

// LintFinding is one failed check reported by Lint.
type LintFinding struct {
	// Lint is the zlint lint name (for example "e_ext_duplicate_extension"),
	// one of the ML-DSA checks Lint adds ("e_mldsa_..."), or the name of
	// the parser ("crypto/x509", "zcrypto") that rejected the certificate.
	Lint string
	// Status is "error" or "fatal".
	Status string
	// Details is the lint's explanation, possibly empty.
	Details string
}

// LintError lists every lint that finished with status Error or Fatal.
type LintError struct {
	Findings []LintFinding
}

func (e *LintError) Error() string {
	parts := make([]string, 0, len(e.Findings))
	for _, f := range e.Findings {
		s := f.Lint + " (" + f.Status
		if f.Details != "" {
			s += ": " + f.Details
		}
		parts = append(parts, s+")")
	}
	return fmt.Sprintf("issuance: certificate failed %d lint(s): %s", len(e.Findings), strings.Join(parts, "; "))
}

func argErrorf(format string, args ...any) error {
	return &ArgError{Msg: fmt.Sprintf(format, args...)}
}

func validityErrorf(format string, args ...any) error {
	return &ValidityError{Msg: fmt.Sprintf(format, args...)}
}
