package main

import (
	"strings"
)

// genValidate writes the validators: a Validate method per structure and a
// helper per constrained shape, reporting violations as AWS words them.
func (g *generator) genValidate(p *printer) {
	body := &printer{}
	if len(g.patterns) > 0 {
		body.line("")
		body.line("// Model patterns, translated from Java to anchored RE2 expressions.")
		body.line("var (")
		for _, sn := range sortedKeys(g.patterns) {
			body.line("pattern%s = regexp.MustCompile(%s)", g.goName[sn], rawQuote(g.patterns[sn]))
		}
		body.line(")")
	}
	for _, sn := range sortedKeys(g.m.Shapes) {
		s := g.m.Shapes[sn]
		switch {
		case s.Exception:
		case s.Type == "structure":
			g.genValidateStruct(body, s)
		case g.needsValidation(s, nil):
			g.genValidateValue(body, s)
		}
	}
	writeImports(p, body)
}

// needsValidation reports whether shape s or anything inside it has a
// constraint. seen breaks cycles in recursive shapes.
func (g *generator) needsValidation(s *shape, seen map[string]bool) bool {
	if seen[s.name] {
		return false
	}
	switch s.Type {
	case "string":
		return isEnum(s) || positive(s.Min) || s.Max != nil || s.Pattern != ""
	case "integer", "long":
		return s.Min != nil || s.Max != nil
	case "blob":
		return positive(s.Min) || s.Max != nil
	case "list":
		return positive(s.Min) || s.Max != nil || g.needsValidation(g.m.Shapes[s.Member.Shape], seen)
	case "structure":
		if len(s.Required) > 0 {
			return true
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[s.name] = true
		defer delete(seen, s.name)
		for _, r := range s.Members {
			if g.needsValidation(g.m.Shapes[r.Shape], seen) {
				return true
			}
		}
	}
	return false
}

func positive(n *int64) bool { return n != nil && *n > 0 }

// validateCall checks Go value expr of shape s at path.
func (g *generator) validateCall(s *shape, expr, path string) string {
	if s.Type == "structure" {
		return expr + ".validate(e, " + path + ")"
	}
	return "validate" + g.goName[s.name] + "(e, " + path + ", " + expr + ")"
}

func (g *generator) genValidateStruct(p *printer, s *shape) {
	t := g.goName[s.name]
	p.line("")
	p.line("// Validate checks the model's constraints on x and everything in it.")
	p.line("// It returns nil or a *awsproto.ValidationError listing every violation.")
	p.line("func (x *%s) Validate() error {", t)
	p.line("var e awsproto.ValidationError")
	p.line("x.validate(&e, \"\")")
	p.line("return e.Err()")
	p.line("}")
	p.line("")
	if !g.needsValidation(s, nil) {
		p.line("func (x *%s) validate(*awsproto.ValidationError, string) {}", t)
		return
	}
	p.line("func (x *%s) validate(e *awsproto.ValidationError, path string) {", t)
	required := requiredSet(s)
	for _, mn := range sortedKeys(s.Members) {
		ms := g.m.Shapes[s.Members[mn].Shape]
		field := "x." + exported(mn)
		value := field
		if ms.Type != "structure" && g.fieldType(ms)[0] == '*' {
			value = "*" + field
		}
		path := "awsproto.Join(path, " + quote(lowerCamel(mn)) + ")"
		check := g.needsValidation(ms, nil)
		switch {
		case required[mn] && check:
			p.line("if %s {", g.unset(ms, field))
			p.line("e.Add(%s, awsproto.NullValue, awsproto.NotNull)", path)
			p.line("} else {")
			p.line("%s", g.validateCall(ms, value, path))
			p.line("}")
		case required[mn]:
			p.line("if %s {", g.unset(ms, field))
			p.line("e.Add(%s, awsproto.NullValue, awsproto.NotNull)", path)
			p.line("}")
		case check:
			p.line("if %s {", g.set(ms, field))
			p.line("%s", g.validateCall(ms, value, path))
			p.line("}")
		}
	}
	p.line("}")
}

// genValidateValue writes validateX for a constrained non-structure shape.
func (g *generator) genValidateValue(p *printer, s *shape) {
	t := g.goName[s.name]
	p.line("")
	p.line("func validate%s(e *awsproto.ValidationError, path string, v %s) {", t, g.goType(s))
	switch s.Type {
	case "string":
		if isEnum(s) {
			quoted := make([]string, len(s.Enum))
			for i, v := range s.Enum {
				quoted[i] = quote(v)
			}
			p.line("if !v.Valid() {")
			p.line("e.Add(path, awsproto.FormatString(string(v)), awsproto.EnumSet(%s))", strings.Join(quoted, ", "))
			p.line("}")
			break
		}
		if positive(s.Min) || s.Max != nil {
			p.line("n := awsproto.StringLength(v)")
		}
		g.bounds(p, s, "n", "awsproto.FormatString(v)", "Length")
		if s.Pattern != "" {
			p.line("if !pattern%s.MatchString(v) {", t)
			p.line("e.Add(path, awsproto.FormatString(v), awsproto.Pattern(%s))", rawQuote(s.Pattern))
			p.line("}")
		}
	case "integer", "long":
		g.boundsAll(p, s, "v", "awsproto.FormatInt(int64(v))", "Value")
	case "blob":
		g.bounds(p, s, "len(v)", "awsproto.FormatBlob(v)", "Length")
	case "list":
		g.bounds(p, s, "len(v)", "awsproto.FormatList(len(v))", "Length")
		if es := g.m.Shapes[s.Member.Shape]; g.needsValidation(es, nil) {
			p.line("for i := range v {")
			p.line("%s", g.validateCall(es, "v[i]", "awsproto.Elem(path, i)"))
			p.line("}")
		}
	}
	p.line("}")
}

// bounds writes length checks; a minimum of 0 cannot fail and is skipped.
func (g *generator) bounds(p *printer, s *shape, n, value, kind string) {
	if positive(s.Min) {
		p.line("if %s < %d {", n, *s.Min)
		p.line("e.Add(path, %s, awsproto.Min%s(%d))", value, kind, *s.Min)
		p.line("}")
	}
	g.upper(p, s, n, value, kind)
}

// boundsAll writes value checks, where a minimum of 0 still excludes negatives.
func (g *generator) boundsAll(p *printer, s *shape, n, value, kind string) {
	if s.Min != nil {
		p.line("if %s < %d {", n, *s.Min)
		p.line("e.Add(path, %s, awsproto.Min%s(%d))", value, kind, *s.Min)
		p.line("}")
	}
	g.upper(p, s, n, value, kind)
}

func (g *generator) upper(p *printer, s *shape, n, value, kind string) {
	if s.Max != nil {
		p.line("if %s > %d {", n, *s.Max)
		p.line("e.Add(path, %s, awsproto.Max%s(%d))", value, kind, *s.Max)
		p.line("}")
	}
}
