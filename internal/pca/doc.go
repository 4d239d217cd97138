// Package pca is openpca's domain core: certificate authorities, their
// lifecycle state machine, tags and revocation configuration, following AWS
// Private CA's documented behaviour.
//
// It knows nothing of HTTP, wire protocols or SQL. It declares the Store it
// needs (store.go) and reports failures as *Error values whose Kind the
// protocol layer maps to AWS error codes in exactly one place.
package pca
