package api_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/openpca/openpca/internal/acmpca/api"
	"github.com/openpca/openpca/internal/awsproto"
)

// The largest requests the model allows fit their operation's limits, in
// both protocols, with non-ASCII text escaped as boto3 escapes it.
func TestInputLimitsFitTheLargestRequests(t *testing.T) {
	arn := "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/" + strings.Repeat("é", 135) // 200 characters, the model's max
	tags := make([]any, 50)
	for i := range tags {
		tags[i] = map[string]any{"Key": strings.Repeat("ü", 128), "Value": strings.Repeat("ü", 256)}
	}
	for _, tc := range []struct {
		op string
		in map[string]any
	}{
		{"ImportCertificateAuthorityCertificate", map[string]any{
			"CertificateAuthorityArn": arn,
			"Certificate":             bytes.Repeat([]byte{1}, 32768),
			"CertificateChain":        bytes.Repeat([]byte{1}, 2097152),
		}},
		{"TagCertificateAuthority", map[string]any{"CertificateAuthorityArn": arn, "Tags": tags}},
		{"DescribeCertificateAuthority", map[string]any{"CertificateAuthorityArn": arn}},
	} {
		l := api.InputLimits[tc.op]
		j, err := awsproto.EncodeJSON(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		j = asciiEscaped(j)
		c, err := awsproto.EncodeCBOR(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(j)) > l.Bytes || int64(len(c)) > l.Bytes {
			t.Errorf("%s: %d bytes of JSON, %d of CBOR; the limit is %d", tc.op, len(j), len(c), l.Bytes)
		}
	}
}

// asciiEscaped writes every non-ASCII character of a JSON document as a \u escape.
func asciiEscaped(j []byte) []byte {
	var b strings.Builder
	for _, r := range string(j) {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		b.WriteString(`\u`)
		const hex = "0123456789abcdef"
		b.WriteByte(hex[r>>12&0xf])
		b.WriteByte(hex[r>>8&0xf])
		b.WriteByte(hex[r>>4&0xf])
		b.WriteByte(hex[r&0xf])
	}
	return []byte(b.String())
}
