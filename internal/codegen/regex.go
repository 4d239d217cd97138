package main

import (
	"fmt"
	"regexp"
	"strings"
)

// translatePattern turns a model pattern (a Java regular expression, matched
// against the whole value) into an anchored Go RE2 expression. Constructs
// whose meaning differs between the two are rewritten or refused; anything
// RE2 cannot parse is refused when the result is compiled.
func translatePattern(java string) (string, error) {
	var b strings.Builder
	inClass := false
	rs := []rune(java)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\':
			if i+1 >= len(rs) {
				return "", fmt.Errorf("pattern %q: trailing backslash", java)
			}
			i++
			e := rs[i]
			switch {
			case e == 'u':
				if i+4 >= len(rs) {
					return "", fmt.Errorf("pattern %q: short \\u escape", java)
				}
				hex := string(rs[i+1 : i+5])
				if !isHex(hex) {
					return "", fmt.Errorf("pattern %q: bad \\u escape %q", java, hex)
				}
				b.WriteString(`\x{` + hex + `}`)
				i += 4
			case e >= '0' && e <= '9':
				// Java: \0 octal, \1-\9 back-references; RE2 reads both as octal.
				return "", fmt.Errorf("pattern %q: \\%c has no RE2 equivalent", java, e)
			case e == 'v' || e == 'h' || e == 'R' || e == 'X' || e == 'Z' || e == 'G':
				// \v is a vertical-whitespace class in Java but a single character in RE2.
				return "", fmt.Errorf("pattern %q: \\%c has no RE2 equivalent", java, e)
			case e == 's' || e == 'S':
				// Java's \s includes \x0B; RE2's does not.
				set := `\t\n\x{0B}\f\r `
				switch {
				case e == 's' && inClass:
					b.WriteString(set)
				case e == 's':
					b.WriteString("[" + set + "]")
				case inClass:
					return "", fmt.Errorf("pattern %q: \\S inside a class has no RE2 equivalent", java)
				default:
					b.WriteString("[^" + set + "]")
				}
			default:
				b.WriteRune('\\')
				b.WriteRune(e)
			}
		case inClass:
			if c == '[' || (c == '&' && i+1 < len(rs) && rs[i+1] == '&') {
				// Java nests classes and intersects with &&; RE2 reads both literally.
				return "", fmt.Errorf("pattern %q: nested class or class intersection has no RE2 equivalent", java)
			}
			if c == ']' {
				inClass = false
			}
			b.WriteRune(c)
		case c == '[':
			inClass = true
			b.WriteRune(c)
			// A leading ']' (after an optional '^') is literal in both dialects.
			if i+1 < len(rs) && rs[i+1] == '^' {
				b.WriteRune('^')
				i++
			}
			if i+1 < len(rs) && rs[i+1] == ']' {
				b.WriteString(`\]`)
				i++
			}
		case c == '(' && i+1 < len(rs) && rs[i+1] == '?':
			// Only non-capturing groups: Java's flags, lookaround and atomic
			// groups either do not exist in RE2 or mean something else there.
			if i+2 >= len(rs) || rs[i+2] != ':' {
				return "", fmt.Errorf("pattern %q: only (?: groups are supported", java)
			}
			b.WriteString("(?:")
			i += 2
		case c == '.':
			// Java's dot excludes every line terminator, RE2's only \n.
			b.WriteString(`[^\n\r\x{85}\x{2028}\x{2029}]`)
		default:
			b.WriteRune(c)
		}
	}
	if inClass {
		return "", fmt.Errorf("pattern %q: unterminated character class", java)
	}
	re := "^(?:" + b.String() + ")$"
	if _, err := regexp.Compile(re); err != nil {
		return "", fmt.Errorf("pattern %q: translated to %q, which Go cannot compile: %w", java, re, err)
	}
	return re, nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return len(s) == 4
}
