// Package pca is openpca's domain core: certificate authorities, their
// lifecycle state machine, tags and revocation configuration, resource
// policies and permissions, following AWS Private CA's documented behaviour.
// Every operation is authorized here, with package iam, before it looks at
// its input or changes anything (authz.go).
//
// It knows nothing of HTTP, wire protocols or SQL. It declares the Store it
// needs (store.go) and reports failures as *Error values whose Kind the
// protocol layer maps to AWS error codes in exactly one place.
package pca
