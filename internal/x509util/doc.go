// Package x509util creates and checks certificates and CSRs for every AWS
// Private CA key and signing algorithm, ML-DSA included. It is crypto/x509
// plus what crypto/x509 lacks: encoding ML-DSA public keys (RFC 9881) and
// signing and verifying with them (FIPS 204 pure mode, empty context).
//
// Functions take AWS names (SigningAlgorithm "SHA256WITHECDSA", "ML_DSA_65";
// KeyAlgorithm "EC_prime256v1", "ML_DSA_65") so callers need not map them
// to crypto/x509 constants.
package x509util
