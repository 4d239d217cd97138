// Package crl builds and checks X.509 v2 certificate revocation lists
// (RFC 5280 section 5) as AWS Private CA publishes them: base CRLs only,
// signed with the CA's signing algorithm (ML-DSA included), carrying an
// authority key identifier (keyid only), a CRL number and, for partitioned
// CRLs, a critical issuing distribution point; each entry has a serial
// number, a revocation date and, unless the reason is unspecified, a
// reasonCode entry extension.
//
// Create is crypto/x509.CreateRevocationList made to stream: it takes the
// revoked certificates as a repeatable iterator (a database query) and
// never holds them all in memory. DER puts every length before its
// contents, so Create reads the entries twice: a first pass validates them
// and sums their encoded sizes, a second encodes them straight to the
// output. For RSA and ECDSA the TBSCertList is hashed as it is written, and
// Create's memory stays constant (a 64 KiB buffer) whatever the number of
// entries. ML-DSA signs the whole message, not a digest, and neither
// crypto.Signer nor circl offers a streaming (external mu) interface, so for
// ML-DSA Create holds the encoded TBSCertList in one buffer of its exact
// size (about 49 bytes per entry) until it is signed.
//
// Check parses a CRL, verifies its signature and number, and runs the zlint
// CRL lints that apply to a private CA.
package crl
