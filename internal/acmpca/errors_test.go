package acmpca

import (
	"errors"
	"slices"
	"testing"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/awsproto"
	"github.com/openpca/openpca/internal/pca"
)

// Every domain kind except Internal maps to an AWS error code, and every
// modelled code it maps to is one the model declares for some operation.
func TestEveryKindMaps(t *testing.T) {
	modelled := map[string]bool{}
	for _, codes := range api.OperationErrors {
		for _, c := range codes {
			modelled[c] = true
		}
	}
	common := []string{awsproto.CodeAccessDenied, awsproto.CodeValidation, awsproto.CodeNotImplemented}
	seen := map[string]pca.Kind{}
	for _, k := range pca.Kinds {
		err := apiError(pca.Errorf(k, "detail"))
		var apiErr awsproto.Error
		if k == pca.KindInternal {
			if errors.As(err, &apiErr) {
				t.Fatalf("KindInternal must not become an AWS error, got %s", apiErr.ErrorCode())
			}
			continue
		}
		if !errors.As(err, &apiErr) {
			t.Fatalf("kind %d maps to no AWS error", k)
		}
		code := apiErr.ErrorCode()
		if !modelled[code] && !slices.Contains(common, code) {
			t.Fatalf("kind %d maps to %s, which the model does not declare", k, code)
		}
		if other, dup := seen[code]; dup {
			t.Fatalf("kinds %d and %d both map to %s", other, k, code)
		}
		seen[code] = k
		if apiErr.Error() != "detail" {
			t.Fatalf("kind %d lost its message: %q", k, apiErr.Error())
		}
	}
	if apiError(nil) != nil {
		t.Fatal("nil must stay nil")
	}
}
