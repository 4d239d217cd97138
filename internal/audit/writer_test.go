package audit

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	caArn       = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555"
	templateArn = "arn:aws:acm-pca:::template/EndEntityCertificate/V1"
)

// sampleSubject has escaped characters (comma, plus, quotes) and attributes
// written as OID=#hex (serialNumber, title, givenName). Its RFC 2253 form:
//
//	2.5.4.42=#0c044a616e65,2.5.4.12=#0c04426f7373,2.5.4.5=#130431323334,
//	CN=www.example.com,OU=R\+D "Labs" → OU=R\+D \"Labs\",O=Example\, Inc.,C=US
var sampleSubject = name(
	rdn(atv(oidC, tagPrintableString, "US")),
	rdn(atv(oidO, tagUTF8String, "Example, Inc.")),
	rdn(atv(oidOU, tagUTF8String, `R+D "Labs"`)),
	rdn(atv(oidCN, tagUTF8String, "www.example.com")),
	rdn(atv(oidSerialNumber, tagPrintableString, "1234")),
	rdn(atv(oidTitle, tagUTF8String, "Boss")),
	rdn(atv(oidGivenName, tagUTF8String, "Jane")),
)

const sampleRFC2253 = `2.5.4.42=#0c044a616e65,2.5.4.12=#0c04426f7373,2.5.4.5=#130431323334,` +
	`CN=www.example.com,OU=R\+D \"Labs\",O=Example\, Inc.,C=US`

// revoked was issued through the API and revoked; its times carry fractions
// of a second and non-UTC zones, which the report drops and converts.
var revoked = Record{
	AccountID:        "123456789012",
	CertificateArn:   caArn + "/certificate/e8cbd2bedb122329f97706bcfec990f8",
	Serial:           "e8cbd2bedb122329f97706bcfec990f8",
	Subject:          sampleSubject,
	NotBefore:        time.Date(2020, 2, 26, 18, 39, 57, 999_999_999, time.UTC),
	NotAfter:         time.Date(2021, 2, 26, 19, 39, 57, 0, time.UTC),
	IssuedAt:         time.Date(2020, 2, 27, 0, 39, 58, 0, time.FixedZone("+05", 5*3600)),
	RevokedAt:        time.Date(2020, 2, 26, 12, 0, 36, 0, time.FixedZone("-08", -8*3600)),
	RevocationReason: "KEY_COMPROMISE",
	TemplateArn:      templateArn,
}

// renewed was issued for ACM (a service principal), is not revoked, and has
// a serial with an odd number of hex digits. The stray RevocationReason
// must not show without a RevokedAt.
var renewed = Record{
	AccountID:                   "123456789012",
	RequestedByServicePrincipal: "acm.amazonaws.com",
	CertificateArn:              caArn + "/certificate/b17b6f9ae9309c51d5573bca78764c2",
	Serial:                      "b17b6f9ae9309c51d5573bca78764c2",
	Subject:                     awsOrder,
	NotBefore:                   time.Date(2020, 1, 22, 20, 10, 49, 0, time.UTC),
	NotAfter:                    time.Date(2021, 1, 17, 21, 10, 49, 0, time.UTC),
	IssuedAt:                    time.Date(2020, 1, 22, 21, 10, 49, 0, time.UTC),
	RevocationReason:            "UNSPECIFIED",
	TemplateArn:                 templateArn,
}

const (
	revokedJSON = `{"awsAccountId":"123456789012",` +
		`"certificateArn":"` + caArn + `/certificate/e8cbd2bedb122329f97706bcfec990f8",` +
		`"serial":"e8:cb:d2:be:db:12:23:29:f9:77:06:bc:fe:c9:90:f8",` +
		`"subject":"2.5.4.42=#0c044a616e65,2.5.4.12=#0c04426f7373,2.5.4.5=#130431323334,` +
		`CN=www.example.com,OU=R\\+D \\\"Labs\\\",O=Example\\, Inc.,C=US",` +
		`"notBefore":"2020-02-26T18:39:57+0000",` +
		`"notAfter":"2021-02-26T19:39:57+0000",` +
		`"issuedAt":"2020-02-26T19:39:58+0000",` +
		`"revokedAt":"2020-02-26T20:00:36+0000",` +
		`"revocationReason":"KEY_COMPROMISE",` +
		`"templateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}`
	renewedJSON = `{"awsAccountId":"123456789012",` +
		`"requestedByServicePrincipal":"acm.amazonaws.com",` +
		`"certificateArn":"` + caArn + `/certificate/b17b6f9ae9309c51d5573bca78764c2",` +
		`"serial":"0b:17:b6:f9:ae:93:09:c5:1d:55:73:bc:a7:87:64:c2",` +
		`"subject":"CN=www.example1.com,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US",` +
		`"notBefore":"2020-01-22T20:10:49+0000",` +
		`"notAfter":"2021-01-17T21:10:49+0000",` +
		`"issuedAt":"2020-01-22T21:10:49+0000",` +
		`"templateArn":"arn:aws:acm-pca:::template/EndEntityCertificate/V1"}`

	revokedCSV = `123456789012,,` + caArn + `/certificate/e8cbd2bedb122329f97706bcfec990f8,` +
		`e8:cb:d2:be:db:12:23:29:f9:77:06:bc:fe:c9:90:f8,` +
		`"2.5.4.42=#0c044a616e65,2.5.4.12=#0c04426f7373,2.5.4.5=#130431323334,` +
		`CN=www.example.com,OU=R\+D \""Labs\"",O=Example\, Inc.,C=US",` +
		`2020-02-26T18:39:57+0000,2021-02-26T19:39:57+0000,2020-02-26T19:39:58+0000,` +
		`2020-02-26T20:00:36+0000,KEY_COMPROMISE,arn:aws:acm-pca:::template/EndEntityCertificate/V1` + "\n"
	renewedCSV = `123456789012,acm.amazonaws.com,` + caArn + `/certificate/b17b6f9ae9309c51d5573bca78764c2,` +
		`0b:17:b6:f9:ae:93:09:c5:1d:55:73:bc:a7:87:64:c2,` +
		`"CN=www.example1.com,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US",` +
		`2020-01-22T20:10:49+0000,2021-01-17T21:10:49+0000,2020-01-22T21:10:49+0000,` +
		`,,arn:aws:acm-pca:::template/EndEntityCertificate/V1` + "\n"

	header = "awsAccountId,requestedByServicePrincipal,certificateArn,serial,subject," +
		"notBefore,notAfter,issuedAt,revokedAt,revocationReason,templateArn\n"
)

func write(t testing.TB, f Format, records ...Record) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range records {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name    string
		format  Format
		records []Record
		want    string
	}{
		{"JSON empty", JSON, nil, "[]"},
		{"JSON revoked", JSON, []Record{revoked}, "[" + revokedJSON + "]"},
		{"JSON unrevoked, service principal", JSON, []Record{renewed}, "[" + renewedJSON + "]"},
		{"JSON both", JSON, []Record{revoked, renewed}, "[" + revokedJSON + "," + renewedJSON + "]"},
		{"CSV empty", CSV, nil, header},
		{"CSV revoked", CSV, []Record{revoked}, header + revokedCSV},
		{"CSV unrevoked, service principal", CSV, []Record{renewed}, header + renewedCSV},
		{"CSV both", CSV, []Record{revoked, renewed}, header + revokedCSV + renewedCSV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := write(t, tc.format, tc.records...); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestJSONRoundTrip reads a report back with encoding/json: it is one
// array, its keys come in AWS's order and absent keys are missing.
func TestJSONRoundTrip(t *testing.T) {
	out := write(t, JSON, revoked, renewed)
	var got []map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	want := []map[string]string{{
		"awsAccountId":     "123456789012",
		"certificateArn":   revoked.CertificateArn,
		"serial":           "e8:cb:d2:be:db:12:23:29:f9:77:06:bc:fe:c9:90:f8",
		"subject":          sampleRFC2253,
		"notBefore":        "2020-02-26T18:39:57+0000",
		"notAfter":         "2021-02-26T19:39:57+0000",
		"issuedAt":         "2020-02-26T19:39:58+0000",
		"revokedAt":        "2020-02-26T20:00:36+0000",
		"revocationReason": "KEY_COMPROMISE",
		"templateArn":      templateArn,
	}, {
		"awsAccountId":                "123456789012",
		"requestedByServicePrincipal": "acm.amazonaws.com",
		"certificateArn":              renewed.CertificateArn,
		"serial":                      "0b:17:b6:f9:ae:93:09:c5:1d:55:73:bc:a7:87:64:c2",
		"subject":                     "CN=www.example1.com,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US",
		"notBefore":                   "2020-01-22T20:10:49+0000",
		"notAfter":                    "2021-01-17T21:10:49+0000",
		"issuedAt":                    "2020-01-22T21:10:49+0000",
		"templateArn":                 templateArn,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	order := []string{"awsAccountId", "requestedByServicePrincipal", "certificateArn", "serial", "subject",
		"notBefore", "notAfter", "issuedAt", "revokedAt", "revocationReason", "templateArn"}
	rank := map[string]int{}
	for i, k := range order {
		rank[k] = i
	}
	dec := json.NewDecoder(strings.NewReader(out))
	depth, last := 0, -1
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('{'):
			depth, last = depth+1, -1
			continue
		case json.Delim('['), json.Delim(']'), json.Delim('}'):
			continue
		}
		key := tok.(string)
		r, ok := rank[key]
		if !ok || r <= last {
			t.Fatalf("key %q out of AWS's order", key)
		}
		last = r
		if _, err := dec.Token(); err != nil { // the value
			t.Fatal(err)
		}
	}
	if depth != 2 {
		t.Errorf("read %d objects, want 2", depth)
	}
}

// TestCSVRoundTrip reads a report back with encoding/csv.
func TestCSVRoundTrip(t *testing.T) {
	out := write(t, CSV, revoked, renewed)
	r := csv.NewReader(strings.NewReader(out))
	got, err := r.ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v", err)
	}
	want := [][]string{
		strings.Split(strings.TrimSuffix(header, "\n"), ","),
		{"123456789012", "", revoked.CertificateArn, "e8:cb:d2:be:db:12:23:29:f9:77:06:bc:fe:c9:90:f8", sampleRFC2253,
			"2020-02-26T18:39:57+0000", "2021-02-26T19:39:57+0000", "2020-02-26T19:39:58+0000",
			"2020-02-26T20:00:36+0000", "KEY_COMPROMISE", templateArn},
		{"123456789012", "acm.amazonaws.com", renewed.CertificateArn, "0b:17:b6:f9:ae:93:09:c5:1d:55:73:bc:a7:87:64:c2",
			"CN=www.example1.com,OU=Sales,O=Example Company,L=Seattle,ST=Washington,C=US",
			"2020-01-22T20:10:49+0000", "2021-01-17T21:10:49+0000", "2020-01-22T21:10:49+0000",
			"", "", templateArn},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if len(want[0]) != 11 {
		t.Errorf("header has %d columns", len(want[0]))
	}
}

func TestOptionalFields(t *testing.T) {
	r := revoked
	r.RevocationReason = ""
	r.TemplateArn = ""
	r.Subject = name(rdn(atv(oidCN, tagUTF8String, "solo")))
	tests := []struct {
		name   string
		format Format
		want   string
	}{
		{"JSON: reason defaults to UNSPECIFIED, no templateArn", JSON,
			`"subject":"CN=solo","notBefore":"2020-02-26T18:39:57+0000","notAfter":"2021-02-26T19:39:57+0000",` +
				`"issuedAt":"2020-02-26T19:39:58+0000","revokedAt":"2020-02-26T20:00:36+0000","revocationReason":"UNSPECIFIED"}]`},
		{"CSV: subject quoted without commas, empty templateArn", CSV,
			`,"CN=solo",2020-02-26T18:39:57+0000,2021-02-26T19:39:57+0000,2020-02-26T19:39:58+0000,` +
				"2020-02-26T20:00:36+0000,UNSPECIFIED,\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := write(t, tc.format, r); !strings.HasSuffix(got, tc.want) {
				t.Errorf("got\n%s\nwant suffix\n%s", got, tc.want)
			}
		})
	}
}

func TestEscapingInOtherFields(t *testing.T) {
	r := renewed
	r.RequestedByServicePrincipal = "a,\"b\"\n\x01<>&\u2028é"
	t.Run("JSON", func(t *testing.T) {
		out := write(t, JSON, r)
		if !strings.Contains(out, `"requestedByServicePrincipal":"a,\"b\"\n\u0001<>&`+"\u2028é\"") {
			t.Errorf("got %s", out)
		}
		var got []map[string]string
		if err := json.Unmarshal([]byte(out), &got); err != nil || got[0]["requestedByServicePrincipal"] != r.RequestedByServicePrincipal {
			t.Errorf("round trip: %q, %v", got, err)
		}
	})
	t.Run("CSV", func(t *testing.T) {
		out := write(t, CSV, r)
		if !strings.Contains(out, ",\"a,\"\"b\"\"\n\x01<>&\u2028é\",") {
			t.Errorf("got %s", out)
		}
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || rows[1][1] != r.RequestedByServicePrincipal {
			t.Errorf("round trip: %q, %v", rows, err)
		}
	})
}

func TestSerial(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"e8cbd2bedb122329f97706bcfec990f8", "e8:cb:d2:be:db:12:23:29:f9:77:06:bc:fe:c9:90:f8"},
		{"6707447683a9b7f4055627ffd55cebcc", "67:07:44:76:83:a9:b7:f4:05:56:27:ff:d5:5c:eb:cc"},
		{"B17B6F9AE9309C51D5573BCA78764C23", "b1:7b:6f:9a:e9:30:9c:51:d5:57:3b:ca:78:76:4c:23"},
		{"b17", "0b:17"},
		{"00000b17", "0b:17"},
		{"80", "80"},
		{"1", "01"},
		{"0", "00"},
		{"000", "00"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := appendSerial(nil, tc.in)
			if err != nil || string(got) != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "e8:cb", "0x12", "12g4", " 12"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			if got, err := appendSerial(nil, bad); err == nil {
				t.Errorf("got %q, want an error", got)
			}
		})
	}
}

func TestTime(t *testing.T) {
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC", time.Date(2020, 3, 2, 21, 43, 57, 0, time.UTC), "2020-03-02T21:43:57+0000"},
		{"fraction truncated", time.Date(2020, 3, 2, 21, 43, 57, 999_999_999, time.UTC), "2020-03-02T21:43:57+0000"},
		{"zone converted across midnight", time.Date(2020, 3, 3, 1, 0, 0, 0, time.FixedZone("", 2*3600)), "2020-03-02T23:00:00+0000"},
		{"small year padded", time.Date(33, 1, 2, 3, 4, 5, 0, time.UTC), "0033-01-02T03:04:05+0000"},
		{"last second of 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "9999-12-31T23:59:59+0000"},
		{"year past 9999", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "10000-01-01T00:00:00+0000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendTime(nil, tc.in)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestInvalidRecord checks that a rejected record leaves no trace, so the
// report stays well formed.
func TestInvalidRecord(t *testing.T) {
	breakers := []struct {
		name   string
		mutate func(*Record)
	}{
		{"no account", func(r *Record) { r.AccountID = "" }},
		{"no ARN", func(r *Record) { r.CertificateArn = "" }},
		{"no serial", func(r *Record) { r.Serial = "" }},
		{"serial not hex", func(r *Record) { r.Serial = "zz" }},
		{"no subject", func(r *Record) { r.Subject = nil }},
		{"malformed subject", func(r *Record) { r.Subject = r.Subject[:len(r.Subject)-1] }},
		{"no issuedAt", func(r *Record) { r.IssuedAt = time.Time{} }},
	}
	for _, f := range []Format{JSON, CSV} {
		for _, tc := range breakers {
			t.Run(string(f)+" "+tc.name, func(t *testing.T) {
				var buf bytes.Buffer
				w, err := NewWriter(&buf, f)
				if err != nil {
					t.Fatal(err)
				}
				bad := revoked
				tc.mutate(&bad)
				if err := w.Write(revoked); err != nil {
					t.Fatal(err)
				}
				if err := w.Write(bad); err == nil {
					t.Fatal("bad record accepted")
				}
				if err := w.Write(renewed); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if want := write(t, f, revoked, renewed); buf.String() != want {
					t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
				}
			})
		}
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterErrors(t *testing.T) {
	t.Run("unknown format", func(t *testing.T) {
		if _, err := NewWriter(io.Discard, "XML"); err == nil {
			t.Error("XML accepted")
		}
	})
	t.Run("write after close", func(t *testing.T) {
		w, _ := NewWriter(io.Discard, JSON)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(revoked); err == nil {
			t.Error("write after Close accepted")
		}
		if err := w.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
	t.Run("underlying writer fails", func(t *testing.T) {
		boom := errors.New("boom")
		w, _ := NewWriter(failingWriter{boom}, CSV)
		var err error
		for i := 0; i < 1000 && err == nil; i++ { // until the buffer is flushed
			err = w.Write(revoked)
		}
		if !errors.Is(err, boom) {
			t.Errorf("Write: %v, want %v", err, boom)
		}
		if err := w.Close(); !errors.Is(err, boom) {
			t.Errorf("Close: %v, want %v", err, boom)
		}
		if err := w.Close(); !errors.Is(err, boom) {
			t.Errorf("second Close: %v, want %v", err, boom)
		}
	})
}

// TestWriteDoesNotAllocate is what keeps memory flat however long the
// report: once warm, a record costs no heap.
func TestWriteDoesNotAllocate(t *testing.T) {
	for _, f := range []Format{JSON, CSV} {
		t.Run(string(f), func(t *testing.T) {
			w, err := NewWriter(io.Discard, f)
			if err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(1000, func() {
				if err := w.Write(revoked); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("%v allocations per record", n)
			}
		})
	}
}
