package stsquery

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// charClass is a model pattern that is one character class, repeated.
type charClass struct {
	pattern string // as the model writes it, quoted in errors
	allows  func(rune) bool
}

func word(c rune) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// The patterns of the STS model's input shapes (arnType, roleSessionNameType,
// sessionPolicyDocumentType, externalIdType).
var (
	arnChars = &charClass{`[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`, func(c rune) bool {
		return c == '\t' || c == '\n' || c == '\r' || c >= 0x20 && c <= 0x7e || c == 0x85 || c >= 0xa0 && c <= 0xd7ff || c >= 0xe000 && c <= 0xfffd || c >= 0x10000 && c <= 0x10ffff
	}}
	sessionNameChars = &charClass{`[\w+=,.@-]*`, func(c rune) bool { return word(c) || strings.ContainsRune("+=,.@-", c) }}
	policyChars      = &charClass{`[\u0009\u000A\u000D\u0020-\u00FF]+`, func(c rune) bool {
		return c == '\t' || c == '\n' || c == '\r' || c >= 0x20 && c <= 0xff
	}}
	externalIDChars = &charClass{`[\w+=,.@:\/-]*`, func(c rune) bool { return word(c) || strings.ContainsRune("+=,.@:/-", c) }}
)

// validator checks form fields against the model's constraints and
// gathers the failures as AWS words them.
type validator struct {
	form     url.Values
	failures []string
}

func (v *validator) fail(value, member, constraint string) {
	v.failures = append(v.failures, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", value, member, constraint))
}

// str returns the field name, checked: required, min and max length (max
// 0: none) and the character class (nil: any).
func (v *validator) str(name, member string, required bool, minLen, maxLen int, chars *charClass) string {
	if !v.form.Has(name) {
		if required {
			v.fail("null", member, "not be null")
		}
		return ""
	}
	s := v.form.Get(name)
	shown := "'" + s + "'"
	if name == "WebIdentityToken" || name == "Policy" {
		shown = "'***'" // not echoed: a credential, or long
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < minLen:
		v.fail(shown, member, fmt.Sprintf("have length greater than or equal to %d", minLen))
	case maxLen > 0 && n > maxLen:
		v.fail(shown, member, fmt.Sprintf("have length less than or equal to %d", maxLen))
	case chars != nil && strings.IndexFunc(s, func(c rune) bool { return !chars.allows(c) }) >= 0:
		v.fail(shown, member, "satisfy regular expression pattern: "+chars.pattern)
	}
	return s
}

// int32 returns the integer field name (0 when absent), within min and max.
func (v *validator) int32(name, member string, minVal, maxVal int64) int32 {
	if !v.form.Has(name) {
		return 0
	}
	s := v.form.Get(name)
	n, err := strconv.ParseInt(s, 10, 32)
	switch {
	case err != nil:
		v.fail("'"+s+"'", member, "be an integer")
		return 0
	case n < minVal:
		v.fail("'"+s+"'", member, fmt.Sprintf("have value greater than or equal to %d", minVal))
	case n > maxVal:
		v.fail("'"+s+"'", member, fmt.Sprintf("have value less than or equal to %d", maxVal))
	}
	return int32(n)
}

// unsupported refuses members openpca does not implement (managed session
// policies, session tags, MFA, source identity), rather than ignore what
// would change the session's permissions.
func (v *validator) unsupported(names ...string) {
	for _, name := range names {
		for k := range v.form {
			if k == name || strings.HasPrefix(k, name+".") {
				v.failures = append(v.failures, fmt.Sprintf("%s is not supported by openpca", name))
				break
			}
		}
	}
}

func (v *validator) err() error {
	switch len(v.failures) {
	case 0:
		return nil
	case 1:
		return &queryError{Code: "ValidationError", Status: http.StatusBadRequest, Message: "1 validation error detected: " + v.failures[0]}
	}
	return &queryError{Code: "ValidationError", Status: http.StatusBadRequest,
		Message: fmt.Sprintf("%d validation errors detected: %s", len(v.failures), strings.Join(v.failures, "; "))}
}
