package main

import (
	"fmt"
	"strconv"
	"strings"
)

func (g *generator) genShapes(p *printer) {
	body := &printer{}
	for _, s := range g.shapesOf("string") {
		if isEnum(s) {
			g.genEnum(body, s)
		}
	}
	for _, s := range g.shapesOf("structure") {
		g.genStruct(body, s)
	}
	writeImports(p, body)
}

func (g *generator) genEnum(p *printer, s *shape) {
	t := g.goName[s.name]
	p.line("")
	p.line("// %s is the model's enum %s.", t, s.name)
	p.line("type %s string", t)
	p.line("")
	p.line("const (")
	for _, v := range s.Enum {
		p.line("%s %s = %s", enumConstName(t, v), t, quote(v))
	}
	p.line(")")
	p.line("")
	p.line("// Values returns the values of %s in model order.", t)
	p.line("func (%s) Values() []%s {", t, t)
	p.line("return []%s{", t)
	for _, v := range s.Enum {
		p.line("%s,", enumConstName(t, v))
	}
	p.line("}")
	p.line("}")
	p.line("")
	p.line("// Valid reports whether v is one of the values of %s.", t)
	p.line("func (v %s) Valid() bool {", t)
	p.line("switch v {")
	names := make([]string, len(s.Enum))
	for i, v := range s.Enum {
		names[i] = enumConstName(t, v)
	}
	p.line("case %s:", strings.Join(names, ", "))
	p.line("return true")
	p.line("}")
	p.line("return false")
	p.line("}")
}

func (g *generator) genStruct(p *printer, s *shape) {
	t := g.goName[s.name]
	p.line("")
	if op, ok := g.inputOf[s.name]; ok {
		p.line("// %s is the input of %s (model shape %s).", t, op, s.name)
	} else if op, ok := g.outputOf[s.name]; ok {
		p.line("// %s is the output of %s (model shape %s).", t, op, s.name)
	} else {
		p.line("// %s is the model's structure %s.", t, s.name)
	}
	p.line("type %s struct {", t)
	required := requiredSet(s)
	for _, mn := range sortedKeys(s.Members) {
		ms := g.m.Shapes[s.Members[mn].Shape]
		comment := ""
		if required[mn] {
			comment = " // required"
		}
		p.line("%s %s%s", exported(mn), g.fieldType(ms), comment)
	}
	p.line("}")
}

func requiredSet(s *shape) map[string]bool {
	out := map[string]bool{}
	for _, r := range s.Required {
		out[r] = true
	}
	return out
}

// writeImports writes the imports body uses, standard library first, then body.
func writeImports(p *printer, body *printer) {
	src := body.buf.String()
	var std, mod []string
	for _, imp := range []struct{ use, path string }{
		{"context.Context", `"context"`},
		{"regexp.MustCompile", `"regexp"`},
		{"time.Time", `"time"`},
	} {
		if strings.Contains(src, imp.use) {
			std = append(std, imp.path)
		}
	}
	if strings.Contains(src, "awsproto.") {
		mod = append(mod, `"github.com/openpca/openpca/internal/awsproto"`)
	}
	if len(std)+len(mod) > 0 {
		p.line("")
		p.line("import (")
		p.line("%s", strings.Join(std, "\n"))
		if len(std) > 0 && len(mod) > 0 {
			p.line("")
		}
		p.line("%s", strings.Join(mod, "\n"))
		p.line(")")
	}
	fmt.Fprint(&p.buf, src)
}

func (g *generator) genErrors(p *printer) {
	body := &printer{}
	for _, s := range g.exceptions() {
		t := g.goName[s.name]
		code := s.name
		status := 400
		if s.Error != nil && s.Error.HTTPStatusCode != 0 {
			status = s.Error.HTTPStatusCode
		}
		body.line("")
		body.line("// %s is the modelled error %s.", t, code)
		body.line("// Its message is sent to the client.")
		body.line("type %s struct {", t)
		body.line("Message string")
		body.line("}")
		body.line("")
		body.line("var _ awsproto.ModeledError = (*%s)(nil)", t)
		body.line("")
		for _, m := range []struct{ sig, result string }{
			{"Error() string", "e.Message"},
			{"ErrorCode() string", quote(code)},
			{"HTTPStatus() int", strconv.Itoa(status)},
			{"ShapeID() string", "Namespace + " + quote("#"+s.name)},
		} {
			body.line("")
			body.line("func (e *%s) %s {", t, m.sig)
			body.line("return %s", m.result)
			body.line("}")
		}
	}
	writeImports(p, body)
}
