package sigv4

import "net/http"

// Error codes returned by Verify. They match the codes AWS's JSON-protocol
// (Coral) services send, so SDKs map them to their usual exception types.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeExpiredToken               = "ExpiredTokenException"
	// CodeInternalFailure is used only when Lookup itself fails.
	CodeInternalFailure = "InternalFailure"
)

// Error is an authentication refusal shaped like AWS's errors for
// JSON-protocol services: Code goes in "__type" / X-Amzn-ErrorType and
// Message in "message".
type Error struct {
	Code    string
	Status  int
	Message string

	cause error // only set for CodeInternalFailure; never sent to clients
}

// Error returns the client-facing message.
func (e *Error) Error() string { return e.Message }

// ErrorCode returns the AWS error code.
func (e *Error) ErrorCode() string { return e.Code }

// HTTPStatus returns the HTTP status to answer with.
func (e *Error) HTTPStatus() int { return e.Status }

// Unwrap exposes the Lookup failure behind an InternalFailure so callers can
// log it; it is nil for every authentication refusal.
func (e *Error) Unwrap() error { return e.cause }

// 400 for all four codes, as AWS JSON (Coral) services actually send (per SDK error reports in issue
// trackers: DynamoDB, Cognito, ECS, ECR, Kinesis, Rekognition, Cloud9), not the 403 some "Common Errors" pages list.
const refusalStatus = http.StatusBadRequest

func refuse(code, msg string) *Error {
	return &Error{Code: code, Status: refusalStatus, Message: msg}
}

// ErrUnrecognizedClient is the refusal for an access key nobody has.
func ErrUnrecognizedClient() *Error {
	return refuse(CodeUnrecognizedClient, "The security token included in the request is invalid.")
}

func incomplete(msg string) *Error { return refuse(CodeIncompleteSignature, msg) }

func invalid(msg string) *Error { return refuse(CodeInvalidSignature, msg) }

// ErrExpiredToken is the refusal for temporary credentials whose time is up.
func ErrExpiredToken() *Error {
	return refuse(CodeExpiredToken, "The security token included in the request is expired")
}
