// Package ocsp is openpca's OCSP responder (RFC 6960, with the RFC 5019
// lightweight profile): HTTP GET and POST, answered from pre-signed,
// cached responses.
//
// Signing. Responses are signed directly by the CA key, with the CA's
// SigningAlgorithm (ML-DSA included), and name the responder byKey (the
// SHA-1 of the CA's public key bits). There is no delegated OCSP-signing
// certificate and the response carries no certificates: AWS Private CA
// does the same, signing OCSP responses with the CA key it signs CRLs with.
// A client verifies the response with the issuer certificate it already
// holds.
//
// Statuses. A CertID is matched to a CA by issuerNameHash and issuerKeyHash
// (SHA-1, SHA-256, SHA-384 or SHA-512); a request no CA matches is answered
// unauthorized. A serial the CA issued is good or revoked (revocation time,
// and reason unless it is unspecified); a serial it never issued is
// unknown, never good. A request naming several certificates is answered
// in one response, but only if every CertID belongs to the same CA:
// otherwise it is answered unauthorized, because RFC 6960 requires a
// SingleResponse for every certificate asked about and one CA's key cannot
// vouch for another CA's certificates.
//
// Cache. Nonce-less single-certificate responses are cached in memory,
// keyed by (CA, serial, CertID hash algorithm): the CertID is inside the
// signed data, so a SHA-256 CertID needs its own signature. An entry is
// reused until thisUpdate + Validity/2 and then re-signed; Run re-signs
// entries that were asked for shortly before that point, so busy entries
// are never re-signed on the request path. Concurrent misses for one entry
// wait for a single signature. The cache is an LRU bounded by the bytes of
// DER it holds (Config.CacheBytes), split in shards so lookups from many
// connections do not contend on one lock. Revoked drops a certificate's
// entries at once, including a signature still in flight, so a revocation
// is visible to the next request rather than after up to Validity/2.
//
// Nonces. A request carrying a nonce (id-pkix-ocsp-nonce, RFC 8954 as
// relaxed by RFC 9654: 1 to 128 octets) gets the nonce echoed, which means
// a signature made for that request alone: the nonce is inside the signed
// ResponseData, so neither this cache nor an HTTP cache can reuse the
// response, and its status is read from the Backend rather than the cache.
// Such responses are sent with Cache-Control: no-store. Each costs a
// signature, which is why RFC 5019 responders may ignore nonces; AWS's
// responder typically does, this one honours them for clients (such as
// openssl ocsp -nonce) that check.
//
// HTTP. Every request that reaches the decoder gets an OCSP response with
// HTTP status 200, including malformedRequest for bodies or GET paths that
// are not an OCSP request (too large, not base64, not DER), so that an OCSP
// client always receives something it can parse; only methods other than
// GET, HEAD and POST get a plain HTTP error (405). Successful nonce-less
// responses carry RFC 5019 caching headers (max-age up to nextUpdate,
// Expires, Last-Modified and ETag) and If-None-Match is honoured; error
// responses are not cacheable.
package ocsp
