package issuance

import (
	"fmt"

	"github.com/openpca/openpca/internal/lintreport"
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

// MalformedError reports certificate content a CA must not certify and AWS
// Private CA refuses as a malformed request: anything wrong with a name or
// public key that came from the CSR, and, whatever their source, subject
// alternative names that are empty, only whitespace or hold a control
// character (AWS's certificate request validation refuses those from API
// passthrough too). IssueCertificate reports it as MalformedCSRException;
// CreateCertificateAuthority, which has no such exception, as
// InvalidArgsException.
//
// Msg is meant for the API caller and carries no package prefix.
type MalformedError struct {
	Msg string
}

func (e *MalformedError) Error() string { return "issuance: " + e.Msg }

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

// LintFinding and LintError report failed lints (see package lintreport).
type (
	LintFinding = lintreport.Finding
	LintError   = lintreport.Error
)

func argErrorf(format string, args ...any) error {
	return &ArgError{Msg: fmt.Sprintf(format, args...)}
}

func malformedf(format string, args ...any) error {
	return &MalformedError{Msg: fmt.Sprintf(format, args...)}
}

// asMalformed reports an *ArgError about content that came from a CSR as the
// *MalformedError AWS returns for it; other errors pass unchanged.
func asMalformed(err error) error {
	if ae, ok := err.(*ArgError); ok {
		return &MalformedError{Msg: ae.Msg}
	}
	return err
}

// asArg is the converse, for content that came from the API where AWS
// documents no MalformedCSRException.
func asArg(err error) error {
	if me, ok := err.(*MalformedError); ok {
		return &ArgError{Msg: me.Msg}
	}
	return err
}

func validityErrorf(format string, args ...any) error {
	return &ValidityError{Msg: fmt.Sprintf(format, args...)}
}
