package acmpca

import (
	"errors"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/awsproto"
	"github.com/openpca/openpca/internal/pca"
)

// apiError turns a domain error into the AWS exception for its kind. Errors
// that are not domain errors pass through and become InternalFailure, their
// detail kept out of the response.
func apiError(err error) error {
	var e *pca.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	m := e.Message
	switch e.Kind {
	case pca.KindNotFound:
		return &api.ResourceNotFoundException{Message: m}
	case pca.KindInvalidArn:
		return &api.InvalidArnException{Message: m}
	case pca.KindInvalidArgs:
		return &api.InvalidArgsException{Message: m}
	case pca.KindInvalidRequest:
		return &api.InvalidRequestException{Message: m}
	case pca.KindInvalidState:
		return &api.InvalidStateException{Message: m}
	case pca.KindInvalidTag:
		return &api.InvalidTagException{Message: m}
	case pca.KindTooManyTags:
		return &api.TooManyTagsException{Message: m}
	case pca.KindInvalidNextToken:
		return &api.InvalidNextTokenException{Message: m}
	case pca.KindLimitExceeded:
		return &api.LimitExceededException{Message: m}
	case pca.KindConcurrentModification:
		return &api.ConcurrentModificationException{Message: m}
	case pca.KindRequestInProgress:
		return &api.RequestInProgressException{Message: m}
	case pca.KindRequestAlreadyProcessed:
		return &api.RequestAlreadyProcessedException{Message: m}
	case pca.KindRequestFailed:
		return &api.RequestFailedException{Message: m}
	case pca.KindInvalidPolicy:
		return &api.InvalidPolicyException{Message: m}
	case pca.KindMalformedCSR:
		return &api.MalformedCSRException{Message: m}
	case pca.KindMalformedCertificate:
		return &api.MalformedCertificateException{Message: m}
	case pca.KindCertificateMismatch:
		return &api.CertificateMismatchException{Message: m}
	case pca.KindPermissionAlreadyExists:
		return &api.PermissionAlreadyExistsException{Message: m}
	case pca.KindLockoutPrevented:
		return &api.LockoutPreventedException{Message: m}
	case pca.KindAccessDenied:
		return awsproto.NewError(awsproto.CodeAccessDenied, m)
	case pca.KindValidation:
		return awsproto.NewError(awsproto.CodeValidation, m)
	case pca.KindNotImplemented:
		return awsproto.NewError(awsproto.CodeNotImplemented, m)
	}
	return err
}
