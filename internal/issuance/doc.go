// Package issuance builds X.509 certificate templates the way AWS Private CA
// does, and lints the certificates that result.
//
// It is pure X.509: it knows nothing about HTTP, storage or key custody. The
// domain layer resolves the CA, parses and checks the CSR (CheckPublicKey
// judges its key), computes the subject key identifier from the real public
// key, then calls:
//
//   - LookupTemplate to turn a TemplateArn into a *Template;
//   - ComputeValidity and NewSerial for the validity window and serial number;
//   - Build to obtain the *x509.Certificate template to sign;
//   - Lint on the signed DER before handing it out.
//
// The value types (Name, GeneralName, Extensions, Passthrough, ...) mirror the
// AWS ApiPassthrough and CsrExtensions shapes field by field, so the domain can
// alias them.
//
// Precedence follows the AWS "template order of operations": for every
// extension, the template definition wins over API passthrough, which wins over
// CSR passthrough. Subject and subject alternative names always come from the
// CSR and are replaced by API values on APIPassthrough and APICSRPassthrough
// templates. Every extension of the result is carried in
// x509.Certificate.ExtraExtensions with its exact encoding and criticality.
//
// Names and keys are checked before anything is signed: a CA must not put
// its signature on a DNS name with a line break or a subject with a NUL, even
// though Lint would refuse some of them afterwards.
//
// Errors meant for API callers have their own types: *ArgError
// (InvalidArgsException), *MalformedError (MalformedCSRException),
// *PathLenError and *ValidityError (ValidationException) and *LintError. Any
// other error is a programming error in the caller.
package issuance
