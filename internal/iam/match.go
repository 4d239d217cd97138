package iam

import (
	"strings"
)

// glob reports whether s matches pattern, in which * matches any run of
// characters (including none) and ? matches exactly one. It compares
// runes exactly; callers fold case first where IAM ignores it.
func glob(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			// Let the last * swallow one more character and retry.
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// arnMatch matches an ARN against a pattern as IAM does for resources and
// the Arn condition operators: when both have the six colon-separated
// parts of an ARN, each part is matched on its own, so a wildcard in the
// region cannot reach into the account; the resource part, the last, may
// itself contain colons. Otherwise the whole strings are globbed, which
// covers "*" and shortened patterns such as "arn:aws:acm-pca:*".
// Matching is case-sensitive.
func arnMatch(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return glob(pattern, arn)
	}
	for i := range pp {
		if !glob(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// actionMatches matches actions case-insensitively.
func actionMatches(patterns []string, action string) bool {
	action = strings.ToLower(action)
	for _, p := range patterns {
		if glob(strings.ToLower(p), action) {
			return true
		}
	}
	return false
}

func resourceMatches(patterns []string, resource string) bool {
	for _, p := range patterns {
		if arnMatch(p, resource) {
			return true
		}
	}
	return false
}

// awsPrincipalARN normalises an AWS principal as written: a bare account
// id stands for that account's root.
func awsPrincipalARN(v string) string {
	if isAccountID(v) {
		return "arn:aws:iam::" + v + ":root"
	}
	return v
}

// accountRoot returns the partition and account of an account-root ARN,
// arn:<partition>:iam::<account>:root.
func accountRoot(arn string) (string, string, bool) {
	f := strings.SplitN(arn, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "iam" || f[3] != "" || f[5] != "root" || f[4] == "" {
		return "", "", false
	}
	return f[1], f[4], true
}

// principalMatches reports whether a Principal-style map names the
// caller. "*" names anyone; an account's root names every principal of
// that account; any other value names only itself.
func principalMatches(m map[string][]string, c *caller) bool {
	for typ, vals := range m {
		if typ == "*" {
			return true
		}
		for _, v := range vals {
			switch typ {
			case "AWS":
				if v == "*" {
					return true
				}
				if c.Federated {
					continue
				}
				arn := awsPrincipalARN(v)
				if arn == c.principal && c.principal != "" || arn == c.principalARN && c.principalARN != "" {
					return true
				}
				if part, acct, ok := accountRoot(arn); ok && !c.direct && acct == c.account &&
					(c.partition == "" || c.partition == part) {
					return true
				}
			case "Service":
				if !c.Federated && c.principal != "" && strings.EqualFold(v, c.principal) {
					return true
				}
			case "Federated":
				if c.principal != "" && v == c.principal {
					return true
				}
			default:
				if !c.Federated && c.principal != "" && v == c.principal {
					return true
				}
			}
		}
	}
	return false
}
