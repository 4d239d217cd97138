package main

import "strings"

// genOperations writes the Service interface, a NotImplemented base for it,
// and the operation table that awsproto.Service serves.
func (g *generator) genOperations(p *printer) {
	body := &printer{}
	ops := sortedKeys(g.m.Operations)

	body.line("")
	body.line("const (")
	body.line("// ServiceName is the Smithy service name, used in RPC v2 CBOR paths. For")
	body.line("// AWS JSON 1.1 services it is also the X-Amz-Target prefix.")
	body.line("ServiceName = %s", quote(g.m.Metadata.TargetPrefix))
	body.line("// TargetPrefix is the AWS JSON 1.1 X-Amz-Target prefix.")
	body.line("TargetPrefix = %s", quote(g.m.Metadata.TargetPrefix))
	body.line("// Namespace is the Smithy namespace of the service's shapes.")
	body.line("Namespace = %s", quote(g.namespace))
	body.line(")")

	body.line("")
	body.line("// Service has one method per operation. Errors should be the operation's")
	body.line("// modelled errors (OperationErrors) or awsproto errors; any other error is")
	body.line("// reported to the client as InternalFailure.")
	body.line("type Service interface {")
	for _, name := range ops {
		op := g.m.Operations[name]
		if len(op.Errors) > 0 {
			body.line("// %s may fail with %s.", name, strings.Join(g.errorCodes(op), ", "))
		}
		body.line("%s(ctx context.Context, in *%s) %s", name, g.goName[op.Input.Shape], g.results(op))
	}
	body.line("}")

	body.line("")
	body.line("// UnimplementedService answers every operation with NotImplemented.")
	body.line("// Embed it to implement Service one operation at a time.")
	body.line("type UnimplementedService struct{}")
	body.line("")
	body.line("var _ Service = UnimplementedService{}")
	for _, name := range ops {
		op := g.m.Operations[name]
		body.line("")
		body.line("func (UnimplementedService) %s(context.Context, *%s) %s {", name, g.goName[op.Input.Shape], g.results(op))
		if op.Output != nil {
			body.line("return nil, notImplemented(%s)", quote(name))
		} else {
			body.line("return notImplemented(%s)", quote(name))
		}
		body.line("}")
	}
	body.line("")
	body.line("func notImplemented(op string) error {")
	body.line("return awsproto.NewError(awsproto.CodeNotImplemented, op+\" is not implemented\")")
	body.line("}")

	body.line("")
	body.line("// Operations binds svc to the operation table awsproto.Service serves. Each")
	body.line("// operation decodes its input, validates it, calls svc and encodes the output.")
	body.line("func Operations(svc Service) map[string]awsproto.Operation {")
	body.line("return map[string]awsproto.Operation{")
	for _, name := range ops {
		op := g.m.Operations[name]
		body.line("%s: func(ctx context.Context, input map[string]any) (map[string]any, error) {", quote(name))
		body.line("in, err := decode%s(input, \"\")", g.goName[op.Input.Shape])
		body.line("if err != nil {")
		body.line("return nil, err")
		body.line("}")
		body.line("if err := in.Validate(); err != nil {")
		body.line("return nil, err")
		body.line("}")
		if op.Output == nil {
			body.line("return nil, svc.%s(ctx, in)", name)
		} else {
			body.line("out, err := svc.%s(ctx, in)", name)
			body.line("if err != nil || out == nil {")
			body.line("return nil, err")
			body.line("}")
			body.line("return out.encode(), nil")
		}
		body.line("},")
	}
	body.line("}")
	body.line("}")

	body.line("")
	body.line("// OperationErrors lists each operation's modelled error codes.")
	body.line("var OperationErrors = map[string][]string{")
	for _, name := range ops {
		codes := g.errorCodes(g.m.Operations[name])
		for i := range codes {
			codes[i] = quote(codes[i])
		}
		body.line("%s: {%s},", quote(name), strings.Join(codes, ", "))
	}
	body.line("}")
	body.line("")
	body.line("// InputLimits bounds each operation's request body by the largest input")
	body.line("// the model allows, with slack for members newer than the model (see")
	body.line("// internal/codegen/size.go).")
	body.line("var InputLimits = map[string]awsproto.InputLimits{")
	for _, name := range ops {
		l := g.inputLimits(g.m.Operations[name])
		body.line("%s: {Bytes: %d, Elements: %d, Depth: %d},", quote(name), l.bytes, l.elements, l.depth)
	}
	body.line("}")
	body.line("")
	body.line("// OperationNames lists the operations, sorted.")
	body.line("var OperationNames = []string{")
	for _, name := range ops {
		body.line("%s,", quote(name))
	}
	body.line("}")
	writeImports(p, body)
}

func (g *generator) results(op operation) string {
	if op.Output == nil {
		return "error"
	}
	return "(*" + g.goName[op.Output.Shape] + ", error)"
}

func (g *generator) errorCodes(op operation) []string {
	codes := make([]string, len(op.Errors))
	for i, e := range op.Errors {
		codes[i] = e.Shape
	}
	return codes
}
