package iam

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDocumentLength is the longest policy document Parse accepts, in
// characters.
const maxDocumentLength = 81920

func parse(document string, trust bool) (*Policy, error) {
	if len(document) > maxDocumentLength {
		if n := utf8.RuneCountInString(document); n > maxDocumentLength {
			return nil, fmt.Errorf("policy document is %d characters long; at most %d are allowed", n, maxDocumentLength)
		}
	}
	if strings.TrimSpace(document) == "" {
		return nil, fmt.Errorf("policy document is empty")
	}
	root, err := decodeTree(document)
	if err != nil {
		return nil, err
	}
	if root.kind != kindObject {
		return nil, fmt.Errorf("policy document must be a JSON object, not %v", root.kind)
	}
	if root.dup != "" {
		return nil, fmt.Errorf("policy document has element %q twice", root.dup)
	}
	p := &Policy{}
	var stmts *node
	for _, m := range root.obj {
		switch m.key {
		case "Version":
			if m.val.kind != kindString {
				return nil, fmt.Errorf("Version must be a string, not %v", m.val.kind)
			}
			if m.val.text != "2012-10-17" && m.val.text != "2008-10-17" {
				return nil, fmt.Errorf(`Version must be "2012-10-17" or "2008-10-17", not %q`, m.val.text)
			}
			p.Version = m.val.text
		case "Id":
			if m.val.kind != kindString {
				return nil, fmt.Errorf("Id must be a string, not %v", m.val.kind)
			}
			p.ID = m.val.text
		case "Statement":
			stmts = m.val
		default:
			return nil, fmt.Errorf("policy document has unknown element %q", m.key)
		}
	}
	if stmts == nil {
		return nil, fmt.Errorf("policy document has no Statement element")
	}
	switch stmts.kind {
	case kindObject:
		s, err := parseStatement(stmts, "Statement", trust)
		if err != nil {
			return nil, err
		}
		p.Statements = []Statement{s}
	case kindArray:
		if len(stmts.arr) == 0 {
			return nil, fmt.Errorf("Statement must not be empty")
		}
		sids := make(map[string]int)
		for i, sn := range stmts.arr {
			where := fmt.Sprintf("Statement[%d]", i)
			if sn.kind != kindObject {
				return nil, fmt.Errorf("%s must be an object, not %v", where, sn.kind)
			}
			s, err := parseStatement(sn, where, trust)
			if err != nil {
				return nil, err
			}
			if s.Sid != "" {
				if j, ok := sids[s.Sid]; ok {
					return nil, fmt.Errorf("%s.Sid %q is already the Sid of Statement[%d]; Sids must be unique", where, s.Sid, j)
				}
				sids[s.Sid] = i
			}
			p.Statements = append(p.Statements, s)
		}
	default:
		return nil, fmt.Errorf("Statement must be an object or an array of objects, not %v", stmts.kind)
	}
	return p, nil
}

func parseStatement(n *node, where string, trust bool) (Statement, error) {
	var s Statement
	if n.dup != "" {
		return s, fmt.Errorf("%s has element %q twice", where, n.dup)
	}
	var haveEffect bool
	for _, m := range n.obj {
		at := where + "." + m.key
		var err error
		switch m.key {
		case "Sid":
			if m.val.kind != kindString {
				return s, fmt.Errorf("%s must be a string, not %v", at, m.val.kind)
			}
			s.Sid = m.val.text
		case "Effect":
			if m.val.kind != kindString || (m.val.text != "Allow" && m.val.text != "Deny") {
				return s, fmt.Errorf(`%s must be "Allow" or "Deny"`, at)
			}
			s.Effect, haveEffect = m.val.text, true
		case "Action":
			s.Action, err = parseActions(m.val, at)
		case "NotAction":
			s.NotAction, err = parseActions(m.val, at)
		case "Resource":
			s.Resource, err = parseResources(m.val, at)
		case "NotResource":
			s.NotResource, err = parseResources(m.val, at)
		case "Principal":
			s.Principal, err = parsePrincipal(m.val, at)
		case "NotPrincipal":
			s.NotPrincipal, err = parsePrincipal(m.val, at)
		case "Condition":
			s.Condition, err = parseCondition(m.val, at)
		default:
			return s, fmt.Errorf("%s has unknown element %q", where, m.key)
		}
		if err != nil {
			return s, err
		}
	}
	if trust {
		if s.Principal == nil && s.NotPrincipal == nil {
			return s, fmt.Errorf("%s has neither a Principal nor a NotPrincipal element; a trust policy must name who may assume the role", where)
		}
		if s.Resource == nil && s.NotResource == nil {
			// A trust policy is the role's own: the role is its resource.
			s.Resource = []string{"*"}
		}
	}
	switch {
	case !haveEffect:
		return s, fmt.Errorf(`%s has no Effect element; it must be "Allow" or "Deny"`, where)
	case s.Action == nil && s.NotAction == nil:
		return s, fmt.Errorf("%s has neither an Action nor a NotAction element", where)
	case s.Action != nil && s.NotAction != nil:
		return s, fmt.Errorf("%s has both an Action and a NotAction element; it may have only one", where)
	case s.Resource == nil && s.NotResource == nil:
		return s, fmt.Errorf("%s has neither a Resource nor a NotResource element", where)
	case s.Resource != nil && s.NotResource != nil:
		return s, fmt.Errorf("%s has both a Resource and a NotResource element; it may have only one", where)
	case s.Principal != nil && s.NotPrincipal != nil:
		return s, fmt.Errorf("%s has both a Principal and a NotPrincipal element; it may have only one", where)
	}
	return s, nil
}

// stringList reads a string or a non-empty array of strings.
func stringList(n *node, at string) ([]string, error) {
	switch n.kind {
	case kindString:
		return []string{n.text}, nil
	case kindArray:
		if len(n.arr) == 0 {
			return nil, fmt.Errorf("%s must not be an empty array", at)
		}
		out := make([]string, len(n.arr))
		for i, e := range n.arr {
			if e.kind != kindString {
				return nil, fmt.Errorf("%s[%d] must be a string, not %v", at, i, e.kind)
			}
			out[i] = e.text
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be a string or an array of strings, not %v", at, n.kind)
}

// elementAt names the i-th value of a string-or-array element in errors.
func elementAt(n *node, at string, i int) string {
	if n.kind == kindArray {
		return fmt.Sprintf("%s[%d]", at, i)
	}
	return at
}

func parseActions(n *node, at string) ([]string, error) {
	acts, err := stringList(n, at)
	if err != nil {
		return nil, err
	}
	for i, a := range acts {
		if !validAction(a) {
			return nil, fmt.Errorf("%s %q is not \"*\" or of the form service:action", elementAt(n, at, i), a)
		}
	}
	return acts, nil
}

// validAction reports whether a is "*" or service:action, the service
// prefix of lowercase letters, digits and hyphens and the action name of
// letters, digits and the wildcards * and ?.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return false
	}
	for _, c := range svc {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '*' || c == '?') {
			return false
		}
	}
	return true
}

func parseResources(n *node, at string) ([]string, error) {
	res, err := stringList(n, at)
	if err != nil {
		return nil, err
	}
	for i, r := range res {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return nil, fmt.Errorf("%s %q must be \"*\" or an ARN", elementAt(n, at, i), r)
		}
	}
	return res, nil
}

// principalTypes are the keys a Principal object may have.
var principalTypes = map[string]bool{"AWS": true, "Service": true, "Federated": true, "CanonicalUser": true}

// parsePrincipal keeps principals as written; a bare account id is
// normalised to its root ARN only when matching (see awsPrincipalARN).
func parsePrincipal(n *node, at string) (map[string][]string, error) {
	switch n.kind {
	case kindString:
		if n.text != "*" {
			return nil, fmt.Errorf(`%s must be "*" or an object such as {"AWS": "111122223333"}`, at)
		}
		return map[string][]string{"*": {"*"}}, nil
	case kindObject:
	default:
		return nil, fmt.Errorf(`%s must be "*" or an object such as {"AWS": "111122223333"}, not %v`, at, n.kind)
	}
	if n.dup != "" {
		return nil, fmt.Errorf("%s has principal type %q twice", at, n.dup)
	}
	if len(n.obj) == 0 {
		return nil, fmt.Errorf("%s must name at least one principal", at)
	}
	out := make(map[string][]string, len(n.obj))
	for _, m := range n.obj {
		if !principalTypes[m.key] {
			return nil, fmt.Errorf(`%s has unknown principal type %q; it must be "AWS", "Service", "Federated" or "CanonicalUser"`, at, m.key)
		}
		tat := at + "." + m.key
		vals, err := stringList(m.val, tat)
		if err != nil {
			return nil, err
		}
		for i, v := range vals {
			if v == "" {
				return nil, fmt.Errorf("%s must not be empty", elementAt(m.val, tat, i))
			}
			if v != "*" && strings.ContainsAny(v, "*?") {
				return nil, fmt.Errorf("%s %q may not contain wildcards; only \"*\" alone is allowed", elementAt(m.val, tat, i), v)
			}
			if m.key == "AWS" && v != "*" && !isAccountID(v) && !strings.HasPrefix(v, "arn:") {
				return nil, fmt.Errorf("%s %q must be \"*\", a 12-digit account id or an ARN", elementAt(m.val, tat, i), v)
			}
		}
		out[m.key] = vals
	}
	return out, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func parseCondition(n *node, at string) ([]Condition, error) {
	if n.kind != kindObject {
		return nil, fmt.Errorf(`%s must be an object such as {"StringEquals": {"aws:PrincipalAccount": "111122223333"}}, not %v`, at, n.kind)
	}
	if n.dup != "" {
		return nil, fmt.Errorf("%s has operator %q twice; put its keys in one block", at, n.dup)
	}
	var out []Condition
	for _, om := range n.obj {
		op, ok := parseOperator(om.key)
		if !ok {
			return nil, fmt.Errorf("%s has unknown or unsupported operator %q", at, om.key)
		}
		oat := at + "." + om.key
		if om.val.kind != kindObject {
			return nil, fmt.Errorf("%s must be an object of condition keys and values, not %v", oat, om.val.kind)
		}
		if om.val.dup != "" {
			return nil, fmt.Errorf("%s has key %q twice", oat, om.val.dup)
		}
		if len(om.val.obj) == 0 {
			return nil, fmt.Errorf("%s must have at least one condition key", oat)
		}
		for _, km := range om.val.obj {
			kat := fmt.Sprintf("%s[%q]", oat, km.key)
			if km.key == "" {
				return nil, fmt.Errorf("%s has an empty condition key", oat)
			}
			vals, err := conditionValues(km.val, kat)
			if err != nil {
				return nil, err
			}
			for i, v := range vals {
				if err := op.check(v); err != nil {
					return nil, fmt.Errorf("%s value %q %v", elementAt(km.val, kat, i), v, err)
				}
			}
			out = append(out, Condition{Operator: om.key, Key: km.key, Values: vals})
		}
	}
	return out, nil
}

// conditionValues reads a condition value: a string, boolean or number, or
// a non-empty array of them. Booleans and numbers become their JSON text.
func conditionValues(n *node, at string) ([]string, error) {
	scalar := func(e *node) bool { return e.kind == kindString || e.kind == kindBool || e.kind == kindNumber }
	if scalar(n) {
		return []string{n.text}, nil
	}
	if n.kind != kindArray {
		return nil, fmt.Errorf("%s must be a string, number, boolean or an array of them, not %v", at, n.kind)
	}
	if len(n.arr) == 0 {
		return nil, fmt.Errorf("%s must not be an empty array", at)
	}
	out := make([]string, len(n.arr))
	for i, e := range n.arr {
		if !scalar(e) {
			return nil, fmt.Errorf("%s[%d] must be a string, number or boolean, not %v", at, i, e.kind)
		}
		out[i] = e.text
	}
	return out, nil
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return f, err == nil
}
