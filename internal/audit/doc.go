// Package audit writes AWS Private CA audit reports (the objects that
// CreateCertificateAuthorityAuditReport puts in S3) in the JSON and CSV
// formats AWS documents.
//
// A report lists every certificate a CA issued. JSON is one top-level array
// of objects, without whitespace, whose keys come in AWS's order
// (awsAccountId, requestedByServicePrincipal, certificateArn, serial,
// subject, notBefore, notAfter, issuedAt, revokedAt, revocationReason,
// templateArn); keys that do not apply are left out. CSV has a header with
// the same eleven columns, empty fields for values that do not apply, the
// subject always quoted, other fields quoted only when RFC 4180 requires it,
// and lines ending in \n.
// Timestamps are UTC as yyyy-MM-ddTHH:mm:ss+0000 and serials lowercase,
// colon-separated hex.
//
// Subjects are written as RFC 2253 strings the way AWS's Java stack
// (X500Principal.getName(RFC2253)) writes them: RDNs last to first, only
// the RFC 2253 keywords (CN, L, ST, O, OU, C, STREET, DC, UID) by name and
// every other attribute as OID=#hex of its DER value. String values are
// decoded as UTF-8 and escaped with a backslash before , = + < > # ; " and
// \, at a leading or trailing space or carriage return, and as \00 for NUL.
// Escaping = and # everywhere goes beyond RFC 2253's minimum (which allows
// it) because Java does; the report's other traits (keywords, #hex, the
// timestamp pattern) point to AWS writing it with Java.
//
// A Writer streams: it holds one encoded record and a 64 KiB output buffer
// whatever the number of records, and Write does not allocate once warm.
package audit
