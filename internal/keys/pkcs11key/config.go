// Package pkcs11key keeps CA keys in a PKCS#11 token (an HSM, or SoftHSM2
// for testing). Keys are generated inside the token as sensitive,
// non-extractable token objects; the database keeps only their ID, so a
// signer is found again after a restart.
//
// The PKCS#11 module is a C library, so the backend needs cgo. A binary
// built without cgo still compiles: Open then explains why it cannot work.
package pkcs11key

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Config selects the module, the token and the PIN. Exactly one of
// TokenSerial, SlotID and TokenLabel is used, in that order of preference.
type Config struct {
	Module      string // path of the PKCS#11 library
	TokenLabel  string
	TokenSerial string
	SlotID      *int
	PIN         string
}

// String describes the token without the PIN, so a Config is safe to log
// or print in an error.
func (c Config) String() string {
	return fmt.Sprintf("token %s with module %s", c.token(), c.Module)
}

func (c Config) token() string {
	switch {
	case c.TokenSerial != "":
		return fmt.Sprintf("with serial %q", c.TokenSerial)
	case c.SlotID != nil:
		return fmt.Sprintf("in slot %d", *c.SlotID)
	}
	return fmt.Sprintf("labelled %q", c.TokenLabel)
}

func (c Config) check() error {
	if c.Module == "" {
		return errors.New("pkcs11key: no PKCS#11 module path given")
	}
	if c.TokenLabel == "" && c.TokenSerial == "" && c.SlotID == nil {
		return errors.New("pkcs11key: no token given (a label, serial or slot id)")
	}
	if _, err := os.Stat(c.Module); err != nil {
		return fmt.Errorf("pkcs11key: PKCS#11 module: %w", err)
	}
	return nil
}

// ParseURI reads an RFC 7512 PKCS#11 URI such as
//
//	pkcs11:token=openpca;serial=1234?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin
//
// It uses token, serial and slot-id from the path, and module-path,
// pin-value and pin-source (a file, as a path or a file: URI) from the
// query. Other attributes (object, id, type, manufacturer...) say nothing
// openpca needs and are ignored.
func ParseURI(uri string) (Config, error) {
	rest, ok := strings.CutPrefix(uri, "pkcs11:")
	if !ok {
		return Config{}, errors.New("pkcs11key: a PKCS#11 URI starts with \"pkcs11:\"")
	}
	path, query, _ := strings.Cut(rest, "?")
	var c Config
	err := uriAttributes(path, ";", func(k, v string) error {
		switch k {
		case "token":
			c.TokenLabel = v
		case "serial":
			c.TokenSerial = v
		case "slot-id":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("pkcs11key: PKCS#11 URI: slot-id must be a number, got %q", v)
			}
			c.SlotID = &n
		}
		return nil
	})
	if err != nil {
		return Config{}, err
	}
	pinSource := ""
	err = uriAttributes(query, "&", func(k, v string) error {
		switch k {
		case "module-path":
			c.Module = v
		case "pin-value":
			c.PIN = v
		case "pin-source":
			pinSource = v
		}
		return nil
	})
	if err != nil {
		return Config{}, err
	}
	if pinSource != "" {
		if c.PIN != "" {
			return Config{}, errors.New("pkcs11key: PKCS#11 URI: give pin-value or pin-source, not both")
		}
		b, err := os.ReadFile(strings.TrimPrefix(pinSource, "file:"))
		if err != nil {
			return Config{}, fmt.Errorf("pkcs11key: PKCS#11 URI: pin-source: %w", err)
		}
		c.PIN = strings.TrimRight(string(b), "\r\n")
	}
	return c, nil
}

// uriAttributes calls fn with each percent-decoded name=value pair of s,
// pairs separated by sep.
func uriAttributes(s, sep string, fn func(k, v string) error) error {
	for attr := range strings.SplitSeq(s, sep) {
		if attr == "" {
			continue
		}
		k, v, ok := strings.Cut(attr, "=")
		if !ok {
			// Not echoed: it could be a mistyped PIN.
			return errors.New("pkcs11key: PKCS#11 URI: an attribute has no \"=\"")
		}
		dv, err := url.PathUnescape(v)
		if err != nil {
			return fmt.Errorf("pkcs11key: PKCS#11 URI: attribute %s is not valid percent-encoding", k)
		}
		if err := fn(k, dv); err != nil {
			return err
		}
	}
	return nil
}
