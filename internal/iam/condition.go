package iam

import (
	"errors"
	"strings"
)

// setQualifier is a condition operator's ForAnyValue: or ForAllValues:
// prefix.
type setQualifier int

const (
	single setQualifier = iota
	forAnyValue
	forAllValues
)

// operator is a parsed condition operator such as
// "ForAllValues:StringNotEqualsIfExists".
type operator struct {
	set      setQualifier
	ifExists bool
	null     bool
	negated  bool
	// match reports whether one request value matches one policy value,
	// before negation.
	match func(req, pol string) bool
	// check vets a policy value when the policy is parsed.
	check func(pol string) error
}

type baseOperator struct {
	match   func(req, pol string) bool
	negated bool
	check   func(string) error
}

func anyValue(string) error { return nil }

var errNotBool = errors.New("must be true or false")
var errNotNumber = errors.New("must be a number")

func boolValue(v string) error {
	if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
		return errNotBool
	}
	return nil
}

func numberValue(v string) error {
	if _, ok := parseNumber(v); !ok {
		return errNotNumber
	}
	return nil
}

func stringEquals(req, pol string) bool { return req == pol }
func stringLike(req, pol string) bool   { return glob(pol, req) }
func arnLike(req, pol string) bool      { return arnMatch(pol, req) }

func numeric(cmp func(r, p float64) bool) func(req, pol string) bool {
	return func(req, pol string) bool {
		r, ok1 := parseNumber(req)
		p, ok2 := parseNumber(pol)
		return ok1 && ok2 && cmp(r, p)
	}
}

var numEq = numeric(func(r, p float64) bool { return r == p })

// baseOperators are the supported operators without qualifier or IfExists.
// ArnEquals matches exactly as ArnLike does, as IAM documents.
var baseOperators = map[string]baseOperator{
	"StringEquals":              {stringEquals, false, anyValue},
	"StringNotEquals":           {stringEquals, true, anyValue},
	"StringEqualsIgnoreCase":    {strings.EqualFold, false, anyValue},
	"StringNotEqualsIgnoreCase": {strings.EqualFold, true, anyValue},
	"StringLike":                {stringLike, false, anyValue},
	"StringNotLike":             {stringLike, true, anyValue},
	"ArnEquals":                 {arnLike, false, anyValue},
	"ArnLike":                   {arnLike, false, anyValue},
	"ArnNotEquals":              {arnLike, true, anyValue},
	"ArnNotLike":                {arnLike, true, anyValue},
	"Bool":                      {strings.EqualFold, false, boolValue},
	"NumericEquals":             {numEq, false, numberValue},
	"NumericNotEquals":          {numEq, true, numberValue},
	"NumericLessThan":           {numeric(func(r, p float64) bool { return r < p }), false, numberValue},
	"NumericLessThanEquals":     {numeric(func(r, p float64) bool { return r <= p }), false, numberValue},
	"NumericGreaterThan":        {numeric(func(r, p float64) bool { return r > p }), false, numberValue},
	"NumericGreaterThanEquals":  {numeric(func(r, p float64) bool { return r >= p }), false, numberValue},
}

// parseOperator parses an operator as written in a Condition block. Null
// takes neither a set qualifier nor IfExists.
func parseOperator(s string) (operator, bool) {
	var op operator
	name := s
	if rest, ok := strings.CutPrefix(name, "ForAnyValue:"); ok {
		op.set, name = forAnyValue, rest
	} else if rest, ok := strings.CutPrefix(name, "ForAllValues:"); ok {
		op.set, name = forAllValues, rest
	}
	if name == "Null" {
		op.null, op.check = true, boolValue
		return op, op.set == single
	}
	if rest, ok := strings.CutSuffix(name, "IfExists"); ok {
		op.ifExists, name = true, rest
	}
	b, ok := baseOperators[name]
	if !ok {
		return operator{}, false
	}
	op.match, op.negated, op.check = b.match, b.negated, b.check
	return op, true
}

// eval decides one condition given the request's values for its key
// (none when the key is absent) and the policy's values.
//
// The policy's values are OR'd. A missing key makes a plain operator false
// and a negated one true; IfExists makes it true; ForAllValues is true and
// ForAnyValue false. A multi-valued key without a set qualifier matches a
// plain operator if any of its values does.
func (op operator) eval(req, pol []string) bool {
	if op.null {
		for _, p := range pol {
			if strings.EqualFold(p, "true") == (len(req) == 0) {
				return true
			}
		}
		return false
	}
	if len(req) == 0 {
		switch {
		case op.ifExists:
			return true
		case op.set == forAllValues:
			return true
		case op.set == forAnyValue:
			return false
		}
		return op.negated
	}
	matchesOne := func(r string) bool {
		for _, p := range pol {
			if op.match(r, p) {
				return true
			}
		}
		return false
	}
	switch op.set {
	case forAllValues:
		for _, r := range req {
			if matchesOne(r) == op.negated {
				return false
			}
		}
		return true
	case forAnyValue:
		for _, r := range req {
			if matchesOne(r) != op.negated {
				return true
			}
		}
		return false
	}
	for _, r := range req {
		if matchesOne(r) {
			return !op.negated
		}
	}
	return op.negated
}

// conditionsHold reports whether every condition of a statement holds: the
// conditions are AND'd. An operator that does not parse (possible only in
// a Policy built by hand, not one from Parse) fails closed: it holds for a
// Deny statement and not for an Allow.
func conditionsHold(conds []Condition, ctx map[string][]string, deny bool) bool {
	for _, c := range conds {
		op, ok := parseOperator(c.Operator)
		if !ok {
			if deny {
				continue
			}
			return false
		}
		if !op.eval(ctx[strings.ToLower(c.Key)], c.Values) {
			return false
		}
	}
	return true
}
