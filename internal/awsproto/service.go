// Package awsproto serves an AWS service's operations over the two wire
// protocols AWS SDKs speak to JSON-era services: AWS JSON 1.1 and Smithy RPC
// v2 CBOR (the default of recent Go SDKs). It knows nothing about any one
// service: generated code turns value trees into typed shapes and back.
//
// A request flows: identify protocol and operation, admit it, read the body
// (bounded), authenticate, walk the body without building anything,
// authorize what can be decided without it, check the walk against the
// operation's budget, decode into a value tree, run the Operation, encode
// its output tree or its error in the request's protocol.
package awsproto

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// Operation runs one API operation on a decoded input tree and returns its
// output tree. An error that is not an Error is reported as InternalFailure.
type Operation func(ctx context.Context, input map[string]any) (output map[string]any, err error)

// Service is an http.Handler for one AWS service.
type Service struct {
	Name         string // Smithy service name, used in RPC v2 paths: /service/<Name>/operation/<Op>
	TargetPrefix string // JSON 1.1 X-Amz-Target prefix: <TargetPrefix>.<Op>
	Operations   map[string]Operation

	// MaxBodyBytes bounds request bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// Limits bounds each operation's input further (see InputLimits).
	Limits map[string]InputLimits

	// Admit, if set, runs once the operation is known, before the body is
	// read: size is the most the body may take (its Content-Length, else
	// the operation's limit). Its error refuses the request; release runs
	// once the response is written.
	Admit func(r *http.Request, operation string, size int64) (release func(), err error)

	// Authenticate, if set, runs once the body is read and the protocol and
	// operation are known, before decoding. r.Body is consumed by then: body
	// holds its bytes (SigV4 hashes them). It returns the context to run the
	// operation with (nil keeps the request's); its error is sent to the
	// client in the request's protocol.
	Authenticate func(r *http.Request, body []byte) (context.Context, error)

	// Authorize, if set, runs after Authenticate with the context it
	// returned, before the body is decoded, so that a call that can be
	// refused without its input costs no decoding. member returns a
	// top-level text member of the body, when a walk of the body (which
	// builds nothing) could tell it. A nil error leaves the decision to the
	// operation.
	Authorize func(ctx context.Context, operation string, member func(name string) (string, bool)) error

	Logger *slog.Logger // nil means slog.Default()
}

// DefaultMaxBodyBytes is 4 MiB: room for a modelled 2 MiB blob member, which
// JSON sends as about 2.7 MiB of base64, plus the rest of the request. The
// largest input served here (a CA certificate chain) is such a blob, so a
// 1 MiB limit would refuse valid requests.
const DefaultMaxBodyBytes = 4 << 20

// protocol identifies a wire protocol.
type protocol int

const (
	awsJSON11 protocol = iota // AWS JSON 1.1
	rpcV2CBOR                 // Smithy RPC v2 CBOR
)

func (p protocol) String() string {
	if p == rpcV2CBOR {
		return "rpc-v2-cbor"
	}
	return "awsJson1_1"
}

const (
	contentTypeJSON = "application/x-amz-json-1.1"
	contentTypeCBOR = "application/cbor"
	headerSmithy    = "Smithy-Protocol"
	smithyRPCv2CBOR = "rpc-v2-cbor"
)

type ctxKey struct{}

// RequestID returns the id ServeHTTP gave the request, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := newRequestID()
	w.Header().Set("X-Amzn-RequestId", id)
	ctx := context.WithValue(r.Context(), ctxKey{}, id)

	proto, opName, err := s.route(r)
	log := s.logger().With("request_id", id, "protocol", proto.String(), "operation", opName)
	if err == nil && s.Admit != nil {
		size := r.ContentLength
		if size < 0 || size > s.bodyLimit(opName) {
			size = s.bodyLimit(opName)
		}
		var release func()
		if release, err = s.Admit(r, opName, size); err == nil && release != nil {
			defer release()
		}
	}
	out, err := s.serve(ctx, r, proto, opName, err)
	if err != nil {
		s.writeError(w, log, proto, err)
		return
	}
	s.write(w, log, proto, http.StatusOK, out)
}

// serve does the work of ServeHTTP once routing is done; routeErr is the
// routing outcome, handled here so that every failure takes one path.
func (s *Service) serve(ctx context.Context, r *http.Request, proto protocol, opName string, routeErr error) (map[string]any, error) {
	if routeErr != nil {
		return nil, routeErr
	}
	op, ok := s.Operations[opName]
	if !ok {
		return nil, NewError(CodeUnknownOperation, "Unknown operation "+truncate(opName))
	}
	body, err := s.readBody(r, s.bodyLimit(opName))
	if err != nil {
		return nil, err
	}
	if s.Authenticate != nil {
		actx, err := s.Authenticate(r.WithContext(ctx), body)
		if err != nil {
			return nil, err
		}
		if actx != nil {
			ctx = context.WithValue(actx, ctxKey{}, RequestID(ctx))
		}
	}
	// The walk builds nothing, so a body costs its bytes until it is
	// within budget; only then is it decoded.
	var st *bodyStats
	if proto == rpcV2CBOR {
		if st, err = scanCBOR(body); err != nil {
			err = serializationf("", "The request body is not valid CBOR: %v", err)
		}
	} else {
		st, err = scanJSON(body)
	}
	if s.Authorize != nil {
		if aerr := s.Authorize(ctx, opName, st.Member); aerr != nil {
			return nil, aerr
		}
	}
	if err != nil {
		return nil, err
	}
	if err := st.check(s.Limits[opName]); err != nil {
		return nil, err
	}
	var in map[string]any
	if proto == rpcV2CBOR {
		in, err = decodeCheckedCBOR(body)
	} else {
		in, err = DecodeJSON(body)
	}
	if err != nil {
		return nil, err
	}
	return run(ctx, opName, op, in)
}

// run calls op, turning a panic into an internal error so the client still
// gets an answer and the server log gets the cause.
func run(ctx context.Context, name string, op Operation, in map[string]any) (map[string]any, error) {
	var out map[string]any
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				out, err = nil, fmt.Errorf("panic in %s: %v", name, p)
			}
		}()
		out, err = op(ctx, in)
	}()
	return out, err
}

// route identifies the protocol and operation. RPC v2 CBOR is chosen by its
// Smithy-Protocol header, as that protocol requires; anything else is JSON 1.1,
// which routes on X-Amz-Target alone and, like AWS, ignores the path.
func (s *Service) route(r *http.Request) (protocol, string, error) {
	proto := awsJSON11
	if strings.EqualFold(r.Header.Get(headerSmithy), smithyRPCv2CBOR) {
		proto = rpcV2CBOR
	}
	if r.Method != http.MethodPost { // the only method either protocol uses
		return proto, "", &GenericError{Code: CodeUnknownOperation, Status: http.StatusMethodNotAllowed,
			Message: "Method " + truncate(r.Method) + " is not allowed; use POST"}
	}
	if proto == rpcV2CBOR {
		op, ok := strings.CutPrefix(r.URL.Path, "/service/"+s.Name+"/operation/")
		if !ok || op == "" || strings.Contains(op, "/") {
			return proto, "", NewError(CodeUnknownOperation, "No operation at "+truncate(r.URL.Path))
		}
		return proto, op, nil
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, s.TargetPrefix+".")
	if target == "" {
		return proto, "", NewError(CodeUnknownOperation, "Missing X-Amz-Target header")
	}
	if !ok || op == "" {
		return proto, "", NewError(CodeUnknownOperation, "Unknown target "+truncate(target))
	}
	return proto, op, nil
}

// bodyLimit is the most bytes a body of operation op may have.
func (s *Service) bodyLimit(op string) int64 {
	limit := s.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if l := s.Limits[op].Bytes; l > 0 {
		limit = min(limit, l)
	}
	return limit
}

// readBody reads at most limit bytes. Oversized bodies get 413, as AWS's
// front ends answer, with an error body in the request's protocol; SDKs do not
// retry 413. A body of known length is read into a buffer of that length,
// so it costs its size, not the doublings of a growing one.
func (s *Service) readBody(r *http.Request, limit int64) ([]byte, error) {
	tooLarge := NewError(CodeRequestTooLarge, fmt.Sprintf("Request body exceeds %d bytes", limit))
	if r.ContentLength > limit {
		return nil, tooLarge
	}
	unreadable := NewError(CodeSerialization, "Could not read the request body")
	if r.ContentLength >= 0 {
		body := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, unreadable
		}
		return body, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, unreadable
	}
	if int64(len(body)) > limit {
		return nil, tooLarge
	}
	return body, nil
}

// write sends v, the output of an operation. A nil v is the success of an
// operation without output: AWS JSON services answer it with an empty body,
// RPC v2 CBOR with an empty structure.
func (s *Service) write(w http.ResponseWriter, log *slog.Logger, proto protocol, status int, v map[string]any) {
	var body []byte
	var err error
	switch {
	case proto == rpcV2CBOR:
		body, err = EncodeCBOR(v)
	case v != nil:
		body, err = EncodeJSON(v)
	}
	if err != nil {
		// Only a bug in generated or hand-written code builds an unencodable tree.
		s.writeError(w, log, proto, fmt.Errorf("encode output: %w", err))
		return
	}
	h := w.Header()
	if proto == rpcV2CBOR {
		h.Set(headerSmithy, smithyRPCv2CBOR)
		h.Set("Content-Type", contentTypeCBOR)
	} else {
		h.Set("Content-Type", contentTypeJSON)
	}
	w.WriteHeader(status)
	w.Write(body)
}

// writeError renders err in the request's protocol. Errors that are not an
// Error are internal: the client gets a fixed message, the log the detail.
func (s *Service) writeError(w http.ResponseWriter, log *slog.Logger, proto protocol, err error) {
	var ae Error
	if !errors.As(err, &ae) {
		log.Error("internal error", "error", err)
		ae = NewError(CodeInternalFailure, internalFailureDetail)
	} else if ae.HTTPStatus() >= 500 {
		log.Error("request failed", "code", ae.ErrorCode(), "error", err)
	} else {
		log.Debug("request failed", "code", ae.ErrorCode(), "error", err)
	}

	body := map[string]any{}
	if msg := ae.Error(); msg != "" {
		body["message"] = msg
	}
	if proto == rpcV2CBOR {
		body["__type"] = shapeID(ae)
	} else {
		body["__type"] = ae.ErrorCode()
		w.Header().Set("X-Amzn-ErrorType", ae.ErrorCode())
	}
	if ae.HTTPStatus() == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	s.write(w, log, proto, ae.HTTPStatus(), body)
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// newRequestID returns a random id formatted like a UUID, as AWS request ids are.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
