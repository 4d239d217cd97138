package main

import (
	"strings"
	"testing"
)

func TestPKCS11Config(t *testing.T) {
	c, err := pkcs11Config("pkcs11:serial=42?module-path=/a.so&pin-value=uri-pin", "/b.so", "ca", "env-pin")
	if err != nil {
		t.Fatal(err)
	}
	if c.Module != "/b.so" || c.TokenLabel != "ca" || c.TokenSerial != "" || c.PIN != "env-pin" {
		t.Fatalf("flags and environment do not override the URI: %+v", *c)
	}
	if c, err := pkcs11Config("", "", "", "pin"); c != nil || err != nil {
		t.Fatalf("no flags: %v %v", c, err)
	}
	if _, err := pkcs11Config("", "/a.so", "", ""); err == nil || !strings.Contains(err.Error(), "--pkcs11-token-label") {
		t.Fatalf("no token: %v", err)
	}
	if _, err := pkcs11Config("pkcs11:token=ca", "", "", ""); err == nil || !strings.Contains(err.Error(), "--pkcs11-module") {
		t.Fatalf("no module: %v", err)
	}
}
