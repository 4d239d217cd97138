package pca

import (
	"errors"
	"strings"

	"github.com/openpca/openpca/internal/issuance"
)

// signingFamilies maps each key algorithm to the signing algorithms AWS allows with it.
var signingFamilies = map[string][]string{
	"RSA_2048":      {"SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA"},
	"RSA_3072":      {"SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA"},
	"RSA_4096":      {"SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA"},
	"EC_prime256v1": {"SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"},
	"EC_secp384r1":  {"SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"},
	"EC_secp521r1":  {"SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA"},
	"ML_DSA_44":     {"ML_DSA_44"},
	"ML_DSA_65":     {"ML_DSA_65"},
	"ML_DSA_87":     {"ML_DSA_87"},
}

// CheckSigningAlgorithm reports whether signing fits the family of keyAlg.
func CheckSigningAlgorithm(keyAlg, signing string) error {
	for _, s := range signingFamilies[keyAlg] {
		if s == signing {
			return nil
		}
	}
	return Errorf(KindInvalidArgs, "The signing algorithm %s is not compatible with the key algorithm %s.", signing, keyAlg)
}

func checkAlgorithms(keyAlg, signing string) error {
	if keyAlg == "SM2" || signing == "SM3WITHSM2" {
		return Errorf(KindInvalidArgs, "SM2 keys and SM3WITHSM2 signatures are only offered in AWS China regions; openpca does not support them.")
	}
	return CheckSigningAlgorithm(keyAlg, signing)
}

// checkName applies the rules the model states in prose: a subject needs at
// least one attribute, and custom attributes replace the standard ones.
func checkName(n Name, field string) error {
	if n.IsEmpty() {
		return Errorf(KindInvalidArgs, "%s must contain at least one attribute.", field)
	}
	return argsError(n.Validate())
}

// argsError maps the issuance package's errors about API input for an
// operation that has no MalformedCSRException: every kind of bad content is
// InvalidArgsException there.
func argsError(err error) error {
	var malformed *issuance.MalformedError
	if errors.As(err, &malformed) {
		return Errorf(KindInvalidArgs, "%s", malformed.Msg)
	}
	return buildError(err)
}

func checkCsrExtensions(ext *CsrExtensions) error {
	if ext == nil {
		return nil
	}
	for _, ad := range ext.SubjectInformationAccess {
		if (ad.MethodType == "") == (ad.MethodOID == "") {
			return Errorf(KindInvalidArgs, "An AccessMethod must set exactly one of CustomObjectIdentifier and AccessMethodType.")
		}
		if err := argsError(ad.Location.Validate()); err != nil {
			return err
		}
	}
	return nil
}

// RevocationRequest is a revocation configuration as a caller sends it; a
// part left nil keeps its current value.
type RevocationRequest struct {
	CRL  *CRLConfig
	OCSP *OCSPConfig
}

// applyRevocation checks a requested revocation configuration and merges it into current.
func applyRevocation(current RevocationConfig, req RevocationRequest) (RevocationConfig, error) {
	next := current
	if req.CRL != nil {
		crl := *req.CRL
		if err := checkCRL(crl); err != nil {
			return current, err
		}
		if crl.Enabled {
			crl.S3ObjectACL = orDefault(crl.S3ObjectACL, DefaultS3ObjectACL)
			crl.CrlType = orDefault(crl.CrlType, DefaultCRLType)
		}
		next.CRL = crl
	}
	if req.OCSP != nil {
		ocsp := *req.OCSP
		if !ocsp.Enabled && ocsp.OcspCustomCname != "" {
			return current, Errorf(KindInvalidArgs, "A configuration that disables OCSP must contain only Enabled=false.")
		}
		if err := checkCname(ocsp.OcspCustomCname, "OcspCustomCname"); err != nil {
			return current, err
		}
		next.OCSP = ocsp
	}
	return next, nil
}

func checkCRL(c CRLConfig) error {
	if !c.Enabled {
		if c != (CRLConfig{}) {
			return Errorf(KindInvalidArgs, "A configuration that disables CRL generation must contain only Enabled=false.")
		}
		return nil
	}
	if c.ExpirationInDays == 0 {
		return Errorf(KindValidation, "1 validation error detected: Value null or empty at 'expirationInDays' failed to satisfy constraint: Member must not be null or empty.")
	}
	if c.S3BucketName == "" {
		return Errorf(KindInvalidArgs, "S3BucketName must be set when CRL generation is enabled.")
	}
	if c.OmitExtension != nil && *c.OmitExtension && c.CustomCname != "" {
		return Errorf(KindInvalidArgs, "A CustomCname cannot be set if OmitExtension is true.")
	}
	return checkCname(c.CustomCname, "CustomCname")
}

// checkCname refuses a scheme: the model's pattern allows "http://" but the
// service wants a bare host name.
func checkCname(cname, field string) error {
	lower := strings.ToLower(cname)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") {
		return Errorf(KindInvalidArgs, "%s must not include a protocol prefix such as http:// or https://.", field)
	}
	return nil
}
