package issuance

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"slices"
	"testing"
)

func TestNameToPKIX(t *testing.T) {
	full := Name{
		Country: "US", Organization: "Example Corp", OrganizationalUnit: "R&D", DistinguishedNameQualifier: "dnq",
		State: "WA", CommonName: "www.example.internal", SerialNumber: "1234", Locality: "Seattle", Title: "Dr",
		Surname: "Doe", GivenName: "Jane", Initials: "JD", Pseudonym: "Zoë", GenerationQualifier: "III",
	}
	tests := []struct {
		name     string
		in       Name
		wantOIDs []string
		wantTags []int // ASN.1 string tag of each value
		check    func(t *testing.T, n pkix.Name)
	}{
		{
			name: "all standard attributes in ASN1Subject order",
			in:   full,
			wantOIDs: []string{
				"2.5.4.6", "2.5.4.10", "2.5.4.11", "2.5.4.46", "2.5.4.8", "2.5.4.3", "2.5.4.5",
				"2.5.4.7", "2.5.4.12", "2.5.4.4", "2.5.4.42", "2.5.4.43", "2.5.4.65", "2.5.4.44",
			},
			// '&' and non-ASCII are not PrintableString characters: UTF8String.
			wantTags: []int{19, 19, 12, 19, 19, 19, 19, 19, 19, 19, 19, 19, 12, 19},
			check: func(t *testing.T, n pkix.Name) {
				if n.CommonName != full.CommonName || !slices.Equal(n.Country, []string{"US"}) ||
					!slices.Equal(n.Province, []string{"WA"}) || !slices.Equal(n.Locality, []string{"Seattle"}) ||
					n.SerialNumber != "1234" || !slices.Equal(n.OrganizationalUnit, []string{"R&D"}) {
					t.Errorf("typed fields not filled: %+v", n)
				}
			},
		},
		{
			name:     "custom attributes in order",
			in:       Name{CustomAttributes: []Attribute{{"2.5.4.3", "b"}, {"2.5.4.3", "a"}, {"1.3.6.1.4.1.55555.9", "x"}}},
			wantOIDs: []string{"2.5.4.3", "2.5.4.3", "1.3.6.1.4.1.55555.9"},
			wantTags: []int{19, 19, 19},
		},
		{
			name:     "subset",
			in:       Name{CommonName: "only"},
			wantOIDs: []string{"2.5.4.3"},
			wantTags: []int{19},
		},
		{name: "empty", in: Name{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.in.ToPKIX()
			der, err := asn1.Marshal(p.ToRDNSequence())
			if err != nil {
				t.Fatal(err)
			}
			var rdns []asn1.RawValue
			if _, err := asn1.Unmarshal(der, &rdns); err != nil {
				t.Fatal(err)
			}
			var oids []string
			var tags []int
			for _, rdn := range rdns {
				var set []struct {
					Type  asn1.ObjectIdentifier
					Value asn1.RawValue
				}
				if _, err := asn1.UnmarshalWithParams(rdn.FullBytes, &set, "set"); err != nil {
					t.Fatal(err)
				}
				if len(set) != 1 {
					t.Fatalf("RDN with %d attributes, want 1", len(set))
				}
				oids = append(oids, set[0].Type.String())
				tags = append(tags, set[0].Value.Tag)
			}
			if !slices.Equal(oids, tc.wantOIDs) || !slices.Equal(tags, tc.wantTags) {
				t.Errorf("RDNs = %v tags %v\nwant   %v tags %v", oids, tags, tc.wantOIDs, tc.wantTags)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
			if got, err := marshalName(tc.in); err != nil || !bytes.Equal(got, der) {
				t.Errorf("marshalName = %x, %v; want %x", got, err, der)
			}
		})
	}
}

func TestNameIsEmptyAndValidate(t *testing.T) {
	tests := []struct {
		name      string
		in        Name
		wantEmpty bool
		wantErr   bool
	}{
		{name: "zero", in: Name{}, wantEmpty: true},
		{name: "common name", in: Name{CommonName: "a"}},
		{name: "generation qualifier only", in: Name{GenerationQualifier: "Jr"}},
		{name: "custom only", in: Name{CustomAttributes: []Attribute{{"1.2.3", "v"}}}},
		{name: "custom mixed with standard", in: Name{Title: "t", CustomAttributes: []Attribute{{"1.2.3", "v"}}}, wantErr: true},
		{name: "custom with bad OID", in: Name{CustomAttributes: []Attribute{{"1.2.", "v"}}}, wantErr: true},
		{name: "custom with second arc too big", in: Name{CustomAttributes: []Attribute{{"1.40", "v"}}}, wantErr: true},
		{name: "custom with empty value", in: Name{CustomAttributes: []Attribute{{"1.2.3", ""}}}, wantErr: true},
		{name: "invalid UTF-8", in: Name{CommonName: "\xff"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.IsEmpty(); got != tc.wantEmpty {
				t.Errorf("IsEmpty = %v, want %v", got, tc.wantEmpty)
			}
			err := tc.in.Validate()
			var ae *ArgError
			if (err != nil) != tc.wantErr || (err != nil && !errors.As(err, &ae)) {
				t.Errorf("Validate = %v, want ArgError %v", err, tc.wantErr)
			}
		})
	}
}

func TestKeyUsage(t *testing.T) {
	tests := []struct {
		name    string
		ku      KeyUsage
		want    []byte // DER of the BIT STRING
		wantErr bool
	}{
		{name: "digitalSignature", ku: KeyUsage{DigitalSignature: true}, want: []byte{0x03, 0x02, 0x07, 0x80}},
		{name: "digitalSignature keyEncipherment", ku: KeyUsage{DigitalSignature: true, KeyEncipherment: true}, want: []byte{0x03, 0x02, 0x05, 0xa0}},
		{name: "CA", ku: KeyUsage{DigitalSignature: true, KeyCertSign: true, CRLSign: true}, want: []byte{0x03, 0x02, 0x01, 0x86}},
		{name: "decipherOnly", ku: KeyUsage{KeyAgreement: true, DecipherOnly: true}, want: []byte{0x03, 0x03, 0x07, 0x08, 0x80}},
		{name: "all nine", ku: KeyUsage{true, true, true, true, true, true, true, true, true}, want: []byte{0x03, 0x03, 0x07, 0xff, 0x80}},
		{name: "none", ku: KeyUsage{}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := tc.ku.Extension()
			if tc.wantErr {
				var ae *ArgError
				if !errors.As(err, &ae) {
					t.Fatalf("error = %v, want *ArgError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !e.Critical || !e.Id.Equal(oidExtKeyUsage) || !bytes.Equal(e.Value, tc.want) {
				t.Errorf("extension = %+v (%x), want critical %x", e, e.Value, tc.want)
			}
			if got, err := parseKeyUsage(e.Value); err != nil || got != tc.ku.ToX509() {
				t.Errorf("round trip = %b, %v; want %b", got, err, tc.ku.ToX509())
			}
		})
	}
}
