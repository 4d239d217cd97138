package pca

import (
	"errors"
	"slices"
	"testing"
)

func TestKeyStandards(t *testing.T) {
	got, err := KeyStandards("FIPS_140_2_LEVEL_3_OR_HIGHER, CCPC_LEVEL_1_OR_HIGHER")
	want := []string{KeyStorageFIPSLevel3, KeyStorageFIPSLevel2, KeyStorageCCPCLevel1}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"", "FIPS_140_3", "FIPS_140_2_LEVEL_2_OR_HIGHER,"} {
		if _, err := KeyStandards(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestKeyStorage(t *testing.T) {
	level3 := []string{KeyStorageFIPSLevel3, KeyStorageFIPSLevel2}
	level2 := []string{KeyStorageFIPSLevel2}
	for _, tc := range []struct {
		declared             []string
		requested, want, why string
	}{
		{nil, "", DefaultKeyStorage, "software keys echo the default"},
		{nil, KeyStorageCCPCLevel1, KeyStorageCCPCLevel1, "software keys echo the request"},
		{level3, "", KeyStorageFIPSLevel3, "omitted, the token meets the default"},
		{level3, KeyStorageFIPSLevel2, KeyStorageFIPSLevel2, "level 3 meets 'level 2 or higher'"},
		{level2, "", KeyStorageFIPSLevel2, "omitted, the token's own standard"},
		{level2, KeyStorageFIPSLevel3, "", "a level 2 token cannot meet level 3"},
		{level3, KeyStorageCCPCLevel1, "", "not declared"},
	} {
		got, err := keyStorage(tc.declared, tc.requested)
		if tc.want == "" {
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalidArgs {
				t.Errorf("%s: err = %v, want InvalidArgs", tc.why, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.why, got, err, tc.want)
		}
	}
}
