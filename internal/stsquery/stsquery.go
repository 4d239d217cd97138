// Package stsquery serves AWS STS on openpca's listener in STS's own wire
// protocol, AWS Query: form-encoded POSTs with Action and Version
// (2011-06-15), XML responses and XML errors. It checks input against the
// service model, authenticates, calls the domain (internal/sts) and maps
// its errors to STS's codes; it knows nothing of roles or sessions.
package stsquery

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openpca/openpca/internal/sigv4"
	"github.com/openpca/openpca/internal/sts"
)

// Version is the only API version STS has.
const Version = "2011-06-15"

const namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// maxBody bounds a request: a web identity token (20,000 characters) and
// a session policy fit many times over.
const maxBody = 256 << 10

// Wants reports whether r is an STS request rather than an ACM PCA one:
// signed for the service "sts", or unsigned and form-encoded (an
// AssumeRoleWithWebIdentity, which carries no signature). ACM PCA requests
// are JSON and signed for "acm-pca".
func Wants(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if h := r.Header.Get("Authorization"); h != "" {
		a, err := sigv4.ParseAuthorization(h)
		return err == nil && a.Service == "sts"
	}
	return isForm(r)
}

func isForm(r *http.Request) bool {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// Handler serves STS.
type Handler struct {
	Service *sts.Service
	// Authenticate verifies a signed request and returns its caller. A
	// *sigv4.Error is a refusal; any other error an internal failure.
	Authenticate func(r *http.Request, body []byte) (*sts.Principal, error)
	Log          *slog.Logger
}

// operations are the actions served; any other is InvalidAction.
var operations = map[string]func(h *Handler, r *http.Request, form url.Values, caller *sts.Principal) (any, error){
	"GetCallerIdentity":         (*Handler).getCallerIdentity,
	"AssumeRole":                (*Handler).assumeRole,
	"AssumeRoleWithWebIdentity": (*Handler).assumeRoleWithWebIdentity,
}

// unsigned are the actions AWS serves without a signature.
var unsigned = map[string]bool{"AssumeRoleWithWebIdentity": true}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		h.fail(w, r, requestID, &queryError{Code: "RequestEntityTooLarge", Status: http.StatusRequestEntityTooLarge, Message: "Request body is too large."})
		return
	}
	if !isForm(r) {
		h.fail(w, r, requestID, &queryError{Code: "InvalidParameterValue", Status: http.StatusBadRequest, Message: "STS requests must be form-encoded (Content-Type: application/x-www-form-urlencoded)."})
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		h.fail(w, r, requestID, &queryError{Code: "MalformedQueryString", Status: http.StatusBadRequest, Message: "The request body is not a valid form: " + err.Error()})
		return
	}
	action, version := form.Get("Action"), form.Get("Version")
	var caller *sts.Principal
	if !unsigned[action] {
		if caller, err = h.Authenticate(r, body); err != nil {
			h.fail(w, r, requestID, err)
			return
		}
	}
	op, ok := operations[action]
	if !ok || version != Version {
		h.fail(w, r, requestID, &queryError{Code: "InvalidAction", Status: http.StatusBadRequest, Message: fmt.Sprintf("Could not find operation %s for version %s", action, version)})
		return
	}
	out, err := op(h, r, form, caller)
	if err != nil {
		h.fail(w, r, requestID, err)
		return
	}
	h.write(w, requestID, http.StatusOK, out)
}

func (h *Handler) write(w http.ResponseWriter, requestID string, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, nil
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	w.Write(b)
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// queryError is an STS error as sent: code, HTTP status, message.
type queryError struct {
	Code    string
	Status  int
	Message string
}

func (e *queryError) Error() string { return e.Code + ": " + e.Message }

// domainCodes maps each sts.Kind to STS's error code and status (from the
// service model's exception shapes, and AccessDenied and ValidationError
// from STS's common errors).
var domainCodes = map[sts.Kind]struct {
	code   string
	status int
}{
	sts.KindAccessDenied:         {"AccessDenied", http.StatusForbidden},
	sts.KindValidation:           {"ValidationError", http.StatusBadRequest},
	sts.KindMalformedPolicy:      {"MalformedPolicyDocument", http.StatusBadRequest},
	sts.KindPackedPolicyTooLarge: {"PackedPolicyTooLarge", http.StatusBadRequest},
	sts.KindInvalidIdentityToken: {"InvalidIdentityToken", http.StatusBadRequest},
	sts.KindExpiredIdentityToken: {"ExpiredTokenException", http.StatusBadRequest},
}

// authCodes maps sigv4's refusals, which carry the codes of JSON-protocol
// services, to those Query services such as STS send.
var authCodes = map[string]struct {
	code   string
	status int
}{
	sigv4.CodeMissingAuthenticationToken: {"MissingAuthenticationToken", http.StatusForbidden},
	sigv4.CodeIncompleteSignature:        {"IncompleteSignature", http.StatusBadRequest},
	sigv4.CodeInvalidSignature:           {"SignatureDoesNotMatch", http.StatusForbidden},
	sigv4.CodeUnrecognizedClient:         {"InvalidClientTokenId", http.StatusForbidden},
	sigv4.CodeExpiredToken:               {"ExpiredToken", http.StatusForbidden},
}

// toQueryError maps err to what is sent; anything unknown is an
// InternalFailure whose detail is only logged.
func toQueryError(err error) (*queryError, bool) {
	var qe *queryError
	var de *sts.Error
	var se *sigv4.Error
	switch {
	case errors.As(err, &qe):
		return qe, true
	case errors.As(err, &de):
		if c, ok := domainCodes[de.Kind]; ok {
			return &queryError{Code: c.code, Status: c.status, Message: de.Message}, true
		}
	case errors.As(err, &se):
		if c, ok := authCodes[se.Code]; ok {
			return &queryError{Code: c.code, Status: c.status, Message: se.Message}, true
		}
	}
	return &queryError{Code: "InternalFailure", Status: http.StatusInternalServerError,
		Message: "The request processing has failed because of an unknown error, exception or failure."}, false
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, requestID string, err error) {
	qe, known := toQueryError(err)
	if !known && h.Log != nil {
		h.Log.Error("STS request failed", "request_id", requestID, "err", err)
	}
	var resp errorResponse
	resp.Error.Type = "Sender"
	if qe.Status >= 500 {
		resp.Error.Type = "Receiver"
	}
	resp.Error.Code, resp.Error.Message, resp.RequestID = qe.Code, qe.Message, requestID
	h.write(w, requestID, qe.Status, resp)
}

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn     string
		UserId  string
		Account string
	} `xml:"GetCallerIdentityResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

func (h *Handler) getCallerIdentity(r *http.Request, form url.Values, caller *sts.Principal) (any, error) {
	var out getCallerIdentityResponse
	out.Result.Arn, out.Result.UserId, out.Result.Account = caller.ARN, caller.UserID, caller.Account
	return &out, nil
}

type credentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

type assumedRoleUser struct {
	AssumedRoleId string
	Arn           string
}

type assumeRoleResult struct {
	Credentials      credentials
	AssumedRoleUser  assumedRoleUser
	PackedPolicySize int `xml:",omitempty"`
}

type assumeRoleResponse struct {
	XMLName  xml.Name         `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result   assumeRoleResult `xml:"AssumeRoleResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type assumeRoleWithWebIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleWithWebIdentityResponse"`
	Result  struct {
		assumeRoleResult
		SubjectFromWebIdentityToken string
		Audience                    string
		Provider                    string
	} `xml:"AssumeRoleWithWebIdentityResult"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

func result(res *sts.Result) assumeRoleResult {
	return assumeRoleResult{
		Credentials: credentials{AccessKeyId: res.Credentials.AccessKeyID, SecretAccessKey: res.Credentials.SecretAccessKey,
			SessionToken: res.Credentials.SessionToken, Expiration: res.Credentials.Expiration.UTC().Format(time.RFC3339)},
		AssumedRoleUser:  assumedRoleUser{AssumedRoleId: res.AssumedRoleID, Arn: res.ARN},
		PackedPolicySize: res.PackedPolicySize,
	}
}

func (h *Handler) assumeRole(r *http.Request, form url.Values, caller *sts.Principal) (any, error) {
	v := validator{form: form}
	in := sts.AssumeRoleInput{
		RoleArn:         v.str("RoleArn", "roleArn", true, 20, 2048, arnChars),
		RoleSessionName: v.str("RoleSessionName", "roleSessionName", true, 2, 64, sessionNameChars),
		Policy:          v.str("Policy", "policy", false, 1, 0, policyChars),
		DurationSeconds: v.int32("DurationSeconds", "durationSeconds", 900, 43200),
		ExternalID:      v.str("ExternalId", "externalId", false, 2, 1224, externalIDChars),
	}
	v.unsupported("PolicyArns", "Tags", "TransitiveTagKeys", "SerialNumber", "TokenCode", "SourceIdentity", "ProvidedContexts")
	if err := v.err(); err != nil {
		return nil, err
	}
	res, err := h.Service.AssumeRole(r.Context(), *caller, in)
	if err != nil {
		return nil, err
	}
	return &assumeRoleResponse{Result: result(res)}, nil
}

func (h *Handler) assumeRoleWithWebIdentity(r *http.Request, form url.Values, _ *sts.Principal) (any, error) {
	v := validator{form: form}
	in := sts.WebIdentityInput{
		RoleArn:          v.str("RoleArn", "roleArn", true, 20, 2048, arnChars),
		RoleSessionName:  v.str("RoleSessionName", "roleSessionName", true, 2, 64, sessionNameChars),
		WebIdentityToken: v.str("WebIdentityToken", "webIdentityToken", true, 4, 20000, nil),
		Policy:           v.str("Policy", "policy", false, 1, 2048, policyChars),
		DurationSeconds:  v.int32("DurationSeconds", "durationSeconds", 900, 43200),
	}
	v.str("ProviderId", "providerId", false, 4, 2048, nil)
	v.unsupported("PolicyArns")
	if err := v.err(); err != nil {
		return nil, err
	}
	res, err := h.Service.AssumeRoleWithWebIdentity(r.Context(), in)
	if err != nil {
		return nil, err
	}
	out := &assumeRoleWithWebIdentityResponse{}
	out.Result.assumeRoleResult = result(res)
	out.Result.SubjectFromWebIdentityToken, out.Result.Audience, out.Result.Provider = res.Subject, res.Audience, res.Provider
	return out, nil
}
