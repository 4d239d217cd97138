package awsproto

import (
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidationError lists the constraint violations of a request, rendered as
// AWS renders them:
//
//	1 validation error detected: Value 'FOO' at 'certificateAuthorityConfiguration.keyAlgorithm'
//	failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, ...]
type ValidationError struct {
	Violations []Violation
}

// Violation is one failed constraint.
type Violation struct {
	Path       string // lowerCamelCase members joined by '.', list elements as "tags.1.member"
	Value      string // already formatted: "null", or a quoted value from a Format helper
	Constraint string // e.g. "Member must not be null"; see the constraint helpers
}

// Add records a violation.
func (e *ValidationError) Add(path, value, constraint string) {
	e.Violations = append(e.Violations, Violation{Path: path, Value: value, Constraint: constraint})
}

// Err returns e, or nil when nothing was recorded. Use it to return a
// ValidationError as an error without the typed-nil trap.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Violations) == 0 {
		return nil
	}
	return e
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(e.Violations)))
	if len(e.Violations) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("Value ")
		b.WriteString(v.Value)
		b.WriteString(" at '")
		b.WriteString(v.Path)
		b.WriteString("' failed to satisfy constraint: ")
		b.WriteString(v.Constraint)
	}
	return b.String()
}

func (e *ValidationError) ErrorCode() string { return CodeValidation }
func (e *ValidationError) HTTPStatus() int   { return http.StatusBadRequest }

// Constraint texts, worded as AWS words them.

// NotNull is the constraint a missing required member fails.
const NotNull = "Member must not be null"

// MaxLength is the constraint on the length of a string, blob or list.
func MaxLength(n int64) string {
	return "Member must have length less than or equal to " + strconv.FormatInt(n, 10)
}

// MinLength is the constraint on the length of a string, blob or list.
func MinLength(n int64) string {
	return "Member must have length greater than or equal to " + strconv.FormatInt(n, 10)
}

// MaxValue is the constraint on the value of a number.
func MaxValue(n int64) string {
	return "Member must have value less than or equal to " + strconv.FormatInt(n, 10)
}

// MinValue is the constraint on the value of a number.
func MinValue(n int64) string {
	return "Member must have value greater than or equal to " + strconv.FormatInt(n, 10)
}

// Pattern takes the pattern as the model writes it, not its Go translation.
func Pattern(pattern string) string {
	return "Member must satisfy regular expression pattern: " + pattern
}

// EnumSet lists the allowed values in model order.
func EnumSet(values ...string) string {
	return "Member must satisfy enum value set: [" + strings.Join(values, ", ") + "]"
}

// Value formatting for Violation.Value.

// NullValue is the value of a missing member.
const NullValue = "null"

// maxEcho bounds how much of a string value a message repeats.
const maxEcho = 256

// FormatString quotes s, truncating long values.
func FormatString(s string) string {
	return "'" + truncate(s) + "'"
}

// FormatInt quotes a number.
func FormatInt(n int64) string {
	return "'" + strconv.FormatInt(n, 10) + "'"
}

// FormatBlob shows only the length: blobs may hold secrets or megabytes.
func FormatBlob(b []byte) string {
	return "'(" + strconv.Itoa(len(b)) + " bytes)'"
}

// FormatList shows only the length of a list.
func FormatList(n int) string {
	if n == 0 {
		return "'[]'"
	}
	return "'[(" + strconv.Itoa(n) + " elements)]'"
}

// StringLength counts UTF-16 code units, as AWS's Java validators do, so a
// character outside the Basic Multilingual Plane counts twice.
func StringLength(s string) int64 {
	n := int64(0)
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func truncate(s string) string {
	if utf8.RuneCountInString(s) <= maxEcho {
		return s
	}
	i, n := 0, 0
	for i = range s {
		if n == maxEcho {
			break
		}
		n++
	}
	return s[:i] + "..."
}
