package pca

import (
	"fmt"
	"slices"
	"strings"
)

// AWS's KeyStorageSecurityStandard values. DefaultKeyStorage is the one AWS
// (and Terraform) use when the caller gives none.
const (
	KeyStorageFIPSLevel2 = "FIPS_140_2_LEVEL_2_OR_HIGHER"
	KeyStorageFIPSLevel3 = DefaultKeyStorage
	KeyStorageCCPCLevel1 = "CCPC_LEVEL_1_OR_HIGHER"
)

// KeyStandards parses the comma-separated KeyStorageSecurityStandard values
// an operator declares a key backend meets (what the HSM is certified for).
// A FIPS level 3 token also meets "level 2 or higher", so that is added.
// The first value is the one a CA reports when the caller names none and
// the default is not among them.
func KeyStandards(declared string) ([]string, error) {
	var out []string
	add := func(v string) {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for v := range strings.SplitSeq(declared, ",") {
		v = strings.TrimSpace(v)
		switch v {
		case KeyStorageFIPSLevel2, KeyStorageFIPSLevel3, KeyStorageCCPCLevel1:
		default:
			return nil, fmt.Errorf("key storage security standard %q: want %s, %s or %s", v, KeyStorageFIPSLevel2, KeyStorageFIPSLevel3, KeyStorageCCPCLevel1)
		}
		add(v)
		if v == KeyStorageFIPSLevel3 {
			add(KeyStorageFIPSLevel2)
		}
	}
	return out, nil
}

// keyStorage decides the KeyStorageSecurityStandard a new CA records and
// Describe reports: that of the backend that will hold its key.
//
// With declared standards (an HSM), an explicit request must be one of
// them, as AWS refuses a standard a region cannot meet; an omitted one
// becomes the default when the token meets it, so Terraform's default sees
// no diff, and the token's own standard otherwise.
//
// With none declared (software keys) the request or the default is echoed.
// Software keys meet no FIPS level, so this is a deliberate deviation:
// refusing the default would break every client that omits the field.
func keyStorage(declared []string, requested string) (string, error) {
	switch {
	case len(declared) == 0:
		return orDefault(requested, DefaultKeyStorage), nil
	case requested == "" && slices.Contains(declared, DefaultKeyStorage):
		return DefaultKeyStorage, nil
	case requested == "":
		return declared[0], nil
	case slices.Contains(declared, requested):
		return requested, nil
	}
	return "", Errorf(KindInvalidArgs, "A certificate authority cannot be created in this region with the specified security standard.")
}
