package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestTranslatePattern(t *testing.T) {
	tests := []struct {
		java    string
		match   []string
		noMatch []string
	}{
		{`[0-9]+`, []string{"123"}, []string{"", "12a", "a12"}}, // anchored: Java matches the whole value
		{`[\u0009\u000A\u000D\u0020-\u00FF]*`, []string{"", "a\tb", "ÿ"}, []string{"\x01", "Ā"}},
		{`([\p{L}\p{Z}\p{N}_.:/=+\-@]*)`, []string{"Tag-1 é", ""}, []string{"a*b"}},
		{`arn:[\w+=/,.@-]+:acm-pca:[\w+=/,.@-]*:[0-9]*:[\w+=,.@-]+(/[\w+=,.@-]+)*`,
			[]string{"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc"}, []string{"arn:aws:kms:x:1:y"}},
		{`a.b`, []string{"axb"}, []string{"a\nb", "a\rb", "a\u2028b"}}, // Java's dot excludes all line terminators
		{`a\sb`, []string{"a b", "a\x0bb"}, []string{"ab"}},            // Java's \s includes \x0B
		{`a|b`, []string{"a", "b"}, []string{"ab"}},                    // alternation stays inside the anchors
		{`[]a]+`, []string{"]a"}, []string{"b"}},
		{`(?:ab)+`, []string{"abab"}, []string{"aba"}},
	}
	for _, tt := range tests {
		t.Run(tt.java, func(t *testing.T) {
			re, err := translatePattern(tt.java)
			if err != nil {
				t.Fatal(err)
			}
			r := regexp.MustCompile(re)
			for _, s := range tt.match {
				if !r.MatchString(s) {
					t.Errorf("%s does not match %q", re, s)
				}
			}
			for _, s := range tt.noMatch {
				if r.MatchString(s) {
					t.Errorf("%s matches %q", re, s)
				}
			}
		})
	}
}

func TestTranslatePatternRefuses(t *testing.T) {
	for _, java := range []string{
		`(a)\1`,       // back-reference
		`[a-z&&[^b]]`, // class intersection
		`[a[bc]]`,     // class union
		`(?=a)a`,      // lookahead
		`(?i)a`,       // inline flags
		`a*+`,         // possessive quantifier (RE2 cannot parse it)
		`\p{Alpha}+`,  // POSIX class name Java knows and RE2 does not
		`a\v`,         // vertical whitespace class in Java, one character in RE2
		`\u00`,        // short escape
		`[abc`,        // unterminated class
	} {
		if re, err := translatePattern(java); err == nil {
			t.Errorf("translatePattern(%q) = %q, want an error", java, re)
		}
	}
}

// Every pattern in the committed model must translate.
func TestModelPatternsTranslate(t *testing.T) {
	m, err := loadModel("../../api/acm-pca/2017-08-22/service-2.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, s := range m.Shapes {
		if s.Pattern == "" {
			continue
		}
		n++
		if _, err := translatePattern(s.Pattern); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if n == 0 {
		t.Fatal("model has no patterns; wrong file?")
	}
}

func TestEnumConstName(t *testing.T) {
	// Expected names are aws-sdk-go-v2's, so code reads the same on both sides.
	tests := map[string]string{
		"RSA_2048":                     "KeyAlgorithmRsa2048",
		"EC_prime256v1":                "KeyAlgorithmEcPrime256v1",
		"SHA256WITHRSA_PSS":            "KeyAlgorithmSha256withrsaPss",
		"A_A_COMPROMISE":               "KeyAlgorithmAACompromise",
		"IssueCertificate":             "KeyAlgorithmIssueCertificate",
		"FIPS_140_2_LEVEL_2_OR_HIGHER": "KeyAlgorithmFips1402Level2OrHigher",
	}
	for value, want := range tests {
		if got := enumConstName("KeyAlgorithm", value); got != want {
			t.Errorf("enumConstName(%q) = %q, want %q", value, got, want)
		}
	}
}

func TestGenerateFailsOnUnsupportedShape(t *testing.T) {
	m := &model{
		Metadata: metadata{Protocol: "json", TargetPrefix: "X"},
		Shapes:   map[string]*shape{"M": {Type: "map", name: "M"}},
	}
	err := m.check()
	if err == nil || !strings.Contains(err.Error(), `type "map"`) {
		t.Fatalf("check() = %v, want an unsupported-type error", err)
	}
}
