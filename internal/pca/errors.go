package pca

import (
	"errors"
	"fmt"
)

// Kind classifies a domain failure. The protocol layer maps each Kind to one
// AWS exception; the values are never renumbered.
type Kind int

const (
	// KindInternal is a failure the caller cannot fix; its detail is never shown to the caller.
	KindInternal Kind = iota
	KindNotFound
	KindInvalidArn
	KindInvalidArgs
	KindInvalidRequest
	KindInvalidState
	KindInvalidTag
	KindTooManyTags
	KindInvalidNextToken
	KindLimitExceeded
	KindConcurrentModification
	KindRequestInProgress
	KindRequestAlreadyProcessed
	KindRequestFailed
	KindAccessDenied
	// KindValidation is a constraint failure that AWS reports as ValidationException.
	KindValidation
	KindInvalidPolicy
	KindMalformedCSR
	KindMalformedCertificate
	KindCertificateMismatch
	KindPermissionAlreadyExists
	KindLockoutPrevented
	// KindNotImplemented marks behaviour openpca does not offer yet.
	KindNotImplemented
)

// Kinds lists every Kind, so the protocol layer's mapping can be tested for completeness.
var Kinds = []Kind{
	KindInternal, KindNotFound, KindInvalidArn, KindInvalidArgs, KindInvalidRequest, KindInvalidState,
	KindInvalidTag, KindTooManyTags, KindInvalidNextToken, KindLimitExceeded, KindConcurrentModification,
	KindRequestInProgress, KindRequestAlreadyProcessed, KindRequestFailed, KindAccessDenied, KindValidation,
	KindInvalidPolicy, KindMalformedCSR, KindMalformedCertificate, KindCertificateMismatch,
	KindPermissionAlreadyExists, KindLockoutPrevented, KindNotImplemented,
}

// Error is the one error type the domain returns to callers.
type Error struct {
	Kind    Kind
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the Kind of err, or KindInternal when err is not a domain error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrNotFound is what a Store returns for a missing row; the domain turns it
// into a caller-facing message.
var ErrNotFound = errors.New("pca: not found")

// ErrConflict is what a Store returns when a concurrent writer won a race.
var ErrConflict = errors.New("pca: concurrent modification")
