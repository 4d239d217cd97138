package main

import "fmt"

// genCodec writes, per structure and list, a decoder from the awsproto value
// tree and an encoder back to it.
func (g *generator) genCodec(p *printer) {
	body := &printer{}
	for _, s := range g.shapesOf("structure") {
		g.genDecodeStruct(body, s)
		g.genEncodeStruct(body, s)
	}
	for _, s := range g.shapesOf("list") {
		g.genDecodeList(body, s)
		g.genEncodeList(body, s)
	}
	writeImports(p, body)
}

// decodeCall is the call that decodes src (a value tree node) as shape s.
func (g *generator) decodeCall(s *shape, src, path string) string {
	switch s.Type {
	case "string":
		return fmt.Sprintf("awsproto.AsString(%s, %s)", src, path)
	case "boolean":
		return fmt.Sprintf("awsproto.AsBool(%s, %s)", src, path)
	case "integer":
		return fmt.Sprintf("awsproto.AsInt32(%s, %s)", src, path)
	case "long":
		return fmt.Sprintf("awsproto.AsInt64(%s, %s)", src, path)
	case "blob":
		return fmt.Sprintf("awsproto.AsBlob(%s, %s)", src, path)
	case "timestamp":
		return fmt.Sprintf("awsproto.AsTimestamp(%s, %s)", src, path)
	default: // structure, list
		return fmt.Sprintf("decode%s(%s, %s)", g.goName[s.name], src, path)
	}
}

func (g *generator) genDecodeStruct(p *printer, s *shape) {
	t := g.goName[s.name]
	p.line("")
	p.line("func decode%s(v any, path string) (*%s, error) {", t, t)
	if len(s.Members) == 0 {
		p.line("if _, err := awsproto.AsMap(v, path); err != nil {")
		p.line("return nil, err")
		p.line("}")
		p.line("return &%s{}, nil", t)
		p.line("}")
		return
	}
	p.line("m, err := awsproto.AsMap(v, path)")
	p.line("if err != nil {")
	p.line("return nil, err")
	p.line("}")
	p.line("x := &%s{}", t)
	for _, mn := range sortedKeys(s.Members) {
		r := s.Members[mn]
		ms := g.m.Shapes[r.Shape]
		// A null member is an absent member.
		p.line("if f := m[%s]; f != nil {", quote(wireName(mn, r)))
		p.line("val, err := %s", g.decodeCall(ms, "f", fmt.Sprintf("awsproto.Join(path, %s)", quote(lowerCamel(mn)))))
		p.line("if err != nil {")
		p.line("return nil, err")
		p.line("}")
		switch {
		case isEnum(ms):
			p.line("x.%s = %s(val)", exported(mn), g.goName[ms.name])
		case ms.Type == "blob", ms.Type == "list", ms.Type == "structure":
			p.line("x.%s = val", exported(mn))
		default:
			p.line("x.%s = &val", exported(mn))
		}
		p.line("}")
	}
	p.line("return x, nil")
	p.line("}")
}

func (g *generator) genDecodeList(p *printer, s *shape) {
	t := g.goName[s.name]
	es := g.m.Shapes[s.Member.Shape]
	p.line("")
	p.line("func decode%s(v any, path string) (%s, error) {", t, g.goType(s))
	p.line("l, err := awsproto.AsList(v, path)")
	p.line("if err != nil {")
	p.line("return nil, err")
	p.line("}")
	p.line("out := make(%s, 0, len(l))", g.goType(s))
	p.line("for i, e := range l {")
	p.line("val, err := %s", g.decodeCall(es, "e", "awsproto.Elem(path, i)"))
	p.line("if err != nil {")
	p.line("return nil, err")
	p.line("}")
	switch {
	case isEnum(es):
		p.line("out = append(out, %s(val))", g.goName[es.name])
	case es.Type == "structure":
		p.line("out = append(out, *val)")
	default:
		p.line("out = append(out, val)")
	}
	p.line("}")
	p.line("return out, nil")
	p.line("}")
}

// encodeExpr is the value tree node for Go value expr of shape s. For a
// structure, expr must be a pointer or addressable.
func (g *generator) encodeExpr(s *shape, expr string) string {
	switch {
	case isEnum(s):
		return "string(" + expr + ")"
	case s.Type == "integer":
		return "awsproto.Number(int64(" + expr + "))"
	case s.Type == "long":
		return "awsproto.Number(" + expr + ")"
	case s.Type == "structure":
		return expr + ".encode()"
	case s.Type == "list":
		return "encode" + g.goName[s.name] + "(" + expr + ")"
	default: // string, boolean, blob, timestamp are tree kinds already
		return expr
	}
}

func (g *generator) genEncodeStruct(p *printer, s *shape) {
	t := g.goName[s.name]
	p.line("")
	p.line("func (x *%s) encode() map[string]any {", t)
	p.line("m := map[string]any{}")
	for _, mn := range sortedKeys(s.Members) {
		r := s.Members[mn]
		ms := g.m.Shapes[r.Shape]
		field := "x." + exported(mn)
		value := field
		if ms.Type != "structure" && g.fieldType(ms)[0] == '*' {
			value = "*" + field
		}
		p.line("if %s {", g.set(ms, field))
		p.line("m[%s] = %s", quote(wireName(mn, r)), g.encodeExpr(ms, value))
		p.line("}")
	}
	p.line("return m")
	p.line("}")
}

func (g *generator) genEncodeList(p *printer, s *shape) {
	t := g.goName[s.name]
	es := g.m.Shapes[s.Member.Shape]
	p.line("")
	p.line("func encode%s(l %s) []any {", t, g.goType(s))
	p.line("out := make([]any, len(l))")
	p.line("for i := range l {")
	p.line("out[i] = %s", g.encodeExpr(es, "l[i]"))
	p.line("}")
	p.line("return out")
	p.line("}")
}
