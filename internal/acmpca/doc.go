// Package acmpca adapts the generated AWS Private CA API (package api) to the
// domain core (package pca): each operation converts its input shape, calls
// the domain and converts the result. Domain errors become AWS exceptions in
// errors.go and nowhere else.
package acmpca
