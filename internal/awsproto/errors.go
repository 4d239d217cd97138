package awsproto

import (
	"fmt"
	"net/http"
)

// Error is an error with an AWS error code. Its Error text is the message
// sent to the client, so it must not carry internal detail.
type Error interface {
	error
	ErrorCode() string
	HTTPStatus() int
}

// ModeledError is an Error whose shape has a Smithy shape ID, such as
// "com.amazonaws.acmpca#ResourceNotFoundException". RPC v2 CBOR sends the
// shape ID as __type; JSON 1.1 sends the bare code.
type ModeledError interface {
	Error
	ShapeID() string
}

// Common error codes: the errors every AWS service may return besides its
// modelled ones.
const (
	CodeValidation        = "ValidationException"
	CodeSerialization     = "SerializationException"
	CodeUnknownOperation  = "UnknownOperationException"
	CodeInternalFailure   = "InternalFailure"
	CodeAccessDenied      = "AccessDeniedException"
	CodeThrottling        = "ThrottlingException"
	CodeNotImplemented    = "NotImplemented"
	CodeRequestTooLarge   = "RequestEntityTooLargeException"
	internalFailureDetail = "An internal error occurred."
)

// commonStatus gives each common code its HTTP status. NotImplemented is 501
// because AWS SDKs retry 500, 502, 503 and 504 but not 501: retrying an
// operation we do not offer only delays the inevitable error.
var commonStatus = map[string]int{
	CodeValidation:       http.StatusBadRequest,
	CodeSerialization:    http.StatusBadRequest,
	CodeUnknownOperation: http.StatusBadRequest,
	CodeInternalFailure:  http.StatusInternalServerError,
	CodeAccessDenied:     http.StatusBadRequest,
	CodeThrottling:       http.StatusBadRequest,
	CodeNotImplemented:   http.StatusNotImplemented,
	CodeRequestTooLarge:  http.StatusRequestEntityTooLarge,
}

// commonShapeIDs are the Coral shape IDs AWS sends as __type for common
// errors in its namespaced protocols (JSON 1.0, RPC v2 CBOR). Clients strip
// everything up to '#', so the bare code would work too.
var commonShapeIDs = map[string]string{
	CodeValidation:       "com.amazon.coral.validate#ValidationException",
	CodeSerialization:    "com.amazon.coral.service#SerializationException",
	CodeUnknownOperation: "com.amazon.coral.service#UnknownOperationException",
	CodeInternalFailure:  "com.amazon.coral.service#InternalFailure",
	CodeThrottling:       "com.amazon.coral.availability#ThrottlingException",
}

// GenericError is an error that is not modelled per service.
type GenericError struct {
	Code    string
	Status  int
	Message string
}

// NewError returns a GenericError for code, with the status of that common
// code (400 for codes it does not know).
func NewError(code, message string) *GenericError {
	status, ok := commonStatus[code]
	if !ok {
		status = http.StatusBadRequest
	}
	return &GenericError{Code: code, Status: status, Message: message}
}

func (e *GenericError) Error() string     { return e.Message }
func (e *GenericError) ErrorCode() string { return e.Code }
func (e *GenericError) HTTPStatus() int   { return e.Status }

// SerializationError reports a request body that could not be decoded, or a
// value of the wrong kind for its member.
type SerializationError struct {
	Path    string // where decoding failed; "" for the body itself
	Message string
}

func serializationf(path, format string, args ...any) *SerializationError {
	return &SerializationError{Path: path, Message: fmt.Sprintf(format, args...)}
}

func (e *SerializationError) Error() string     { return e.Message }
func (e *SerializationError) ErrorCode() string { return CodeSerialization }
func (e *SerializationError) HTTPStatus() int   { return http.StatusBadRequest }

// shapeID is the __type an RPC v2 CBOR error carries.
func shapeID(e Error) string {
	if m, ok := e.(ModeledError); ok {
		return m.ShapeID()
	}
	if id, ok := commonShapeIDs[e.ErrorCode()]; ok {
		return id
	}
	return e.ErrorCode()
}
