package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// enumConstName names an enum constant the way aws-sdk-go-v2 does, so code
// reads the same on both sides: KeyAlgorithm "EC_prime256v1" becomes
// KeyAlgorithmEcPrime256v1. Words split on anything not a letter or digit;
// an all-caps word is title-cased, a mixed-case word keeps its case.
func enumConstName(typeName, value string) string {
	var b strings.Builder
	b.WriteString(typeName)
	words := strings.FieldsFunc(value, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		first, size := utf8.DecodeRuneInString(w)
		rest := w[size:]
		if strings.ToUpper(w) == w {
			rest = strings.ToLower(rest)
		}
		b.WriteRune(unicode.ToUpper(first))
		b.WriteString(rest)
	}
	return b.String()
}

// exported upper-cases the first letter of a model name.
func exported(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}

// lowerCamel is the member name AWS uses in validation paths:
// "CertificateAuthorityArn" becomes "certificateAuthorityArn".
func lowerCamel(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[size:]
}
