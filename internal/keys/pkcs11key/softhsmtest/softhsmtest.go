// Package softhsmtest gives tests a fresh, real SoftHSM2 token.
package softhsmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PIN and SOPIN are the PINs every test token is initialised with.
const (
	PIN   = "7203-user-pin"
	SOPIN = "5678-so-pin"
)

// modules are where Debian and others install the SoftHSM2 module.
var modules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// Module returns the path of the SoftHSM2 module, or "" if it is not
// installed. SOFTHSM2_MODULE overrides the search.
func Module() string {
	if m := os.Getenv("SOFTHSM2_MODULE"); m != "" {
		return m
	}
	for _, m := range modules {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	return ""
}

// Token is a SoftHSM2 token initialised for one test.
type Token struct {
	Module string
	Label  string
	Dir    string // holds softhsm2.conf and the token files
}

// New initialises a token labelled label in a temporary directory and
// points SOFTHSM2_CONF at it for the rest of the test, so the test must not
// be parallel. It skips the test when SoftHSM2 is not installed, unless
// OPENPCA_REQUIRE_SOFTHSM is set, as CI does, where it fails instead.
func New(t testing.TB, label string) Token {
	t.Helper()
	module := Module()
	util, err := exec.LookPath("softhsm2-util")
	if module == "" || err != nil {
		msg := "SoftHSM2 is not installed (apt-get install softhsm2 opensc); skipping the PKCS#11 test"
		if os.Getenv("OPENPCA_REQUIRE_SOFTHSM") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	body := fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	out, err := exec.Command(util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", SOPIN).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return Token{Module: module, Label: label, Dir: dir}
}

// Tool runs pkcs11-tool (OpenSC) against the token, logged in, and returns
// its combined output and error. It skips the test if pkcs11-tool is missing.
func (tok Token) Tool(t testing.TB, args ...string) (string, error) {
	t.Helper()
	tool, err := exec.LookPath("pkcs11-tool")
	if err != nil {
		if os.Getenv("OPENPCA_REQUIRE_SOFTHSM") != "" {
			t.Fatal("pkcs11-tool (opensc) is not installed")
		}
		t.Skip("pkcs11-tool (opensc) is not installed")
	}
	args = append([]string{"--module", tok.Module, "--token-label", tok.Label, "--login", "--pin", PIN}, args...)
	out, err := exec.Command(tool, args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
