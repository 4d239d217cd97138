package issuance

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"
)

// Validity is the AWS Validity structure: a Value interpreted according to
// Type.
type Validity struct {
	Value int64
	// Type is one of:
	//   - DAYS, MONTHS, YEARS: counted from the moment of issuance;
	//   - ABSOLUTE: seconds since the Unix epoch;
	//   - END_DATE: a date written as the digits of a UTCTime YYMMDDHHMMSS
	//     (YY >= 50 means 19YY, otherwise 20YY) or a GeneralizedTime
	//     YYYYMMDDHHMMSS, in UTC.
	Type string
}

// Validity types.
const (
	ValidityDays     = "DAYS"
	ValidityMonths   = "MONTHS"
	ValidityYears    = "YEARS"
	ValidityAbsolute = "ABSOLUTE"
	ValidityEndDate  = "END_DATE"
)

// DefaultBackdate is how far before issuance NotBefore is set when the
// request has no ValidityNotBefore.
const DefaultBackdate = 60 * time.Minute

// maxTime is the last instant a GeneralizedTime can express.
var maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// ComputeValidity returns the NotBefore and NotAfter of a certificate issued
// at now, from the IssueCertificate Validity and optional ValidityNotBefore.
//
// NotAfter comes from v alone. NotBefore is now minus DefaultBackdate unless
// notBefore is given; AWS documents ABSOLUTE for it, and the other types are
// accepted with the same meaning as for NotAfter (a relative type counts
// forward from now). NotAfter is not shifted by notBefore. Both results are in
// UTC and truncated to whole seconds, as X.509 encodes them.
//
// A non-positive Value, an unknown Type, an unparseable END_DATE, a date
// beyond the year 9999, or a NotBefore not strictly before NotAfter is a
// *ValidityError.
func ComputeValidity(v Validity, notBefore *Validity, now time.Time) (time.Time, time.Time, error) {
	now = now.UTC().Truncate(time.Second)
	na, err := resolveValidity(v, now, "Validity")
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	nb := now.Add(-DefaultBackdate)
	if notBefore != nil {
		if nb, err = resolveValidity(*notBefore, now, "ValidityNotBefore"); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if !nb.Before(na) {
		return time.Time{}, time.Time{}, validityErrorf("the certificate NotBefore (%s) must be before its NotAfter (%s)",
			nb.Format(time.RFC3339), na.Format(time.RFC3339))
	}
	return nb, na, nil
}

func resolveValidity(v Validity, now time.Time, field string) (time.Time, error) {
	if v.Value < 1 {
		return time.Time{}, validityErrorf("%s.Value must be at least 1, got %d", field, v.Value)
	}
	// Bounds keep the date arithmetic far from int overflow; anything past
	// them lands beyond the year 9999 anyway.
	const maxYears = 10000
	var t time.Time
	switch v.Type {
	case ValidityDays:
		if v.Value > maxYears*366 {
			return time.Time{}, validityErrorf("%s of %d days is too long", field, v.Value)
		}
		t = now.AddDate(0, 0, int(v.Value))
	case ValidityMonths:
		if v.Value > maxYears*12 {
			return time.Time{}, validityErrorf("%s of %d months is too long", field, v.Value)
		}
		t = now.AddDate(0, int(v.Value), 0)
	case ValidityYears:
		if v.Value > maxYears {
			return time.Time{}, validityErrorf("%s of %d years is too long", field, v.Value)
		}
		t = now.AddDate(int(v.Value), 0, 0)
	case ValidityAbsolute:
		if v.Value > maxTime.Unix() {
			return time.Time{}, validityErrorf("%s ABSOLUTE value %d is beyond the year 9999", field, v.Value)
		}
		t = time.Unix(v.Value, 0).UTC()
	case ValidityEndDate:
		var err error
		if t, err = parseEndDate(v.Value); err != nil {
			return time.Time{}, validityErrorf("%s END_DATE value %d is not a valid date: %v", field, v.Value, err)
		}
	default:
		return time.Time{}, validityErrorf("%s.Type %q is not one of DAYS, MONTHS, YEARS, ABSOLUTE, END_DATE", field, v.Type)
	}
	if t.After(maxTime) {
		return time.Time{}, validityErrorf("%s ends beyond the year 9999", field)
	}
	return t, nil
}

// parseEndDate reads the digits of v as UTCTime YYMMDDHHMMSS (12 digits or
// fewer, since leading zeros of YY are lost in an integer) or GeneralizedTime
// YYYYMMDDHHMMSS (13 or 14 digits).
func parseEndDate(v int64) (time.Time, error) {
	s := strconv.FormatInt(v, 10)
	var year int
	switch {
	case len(s) <= 12:
		s = fmt.Sprintf("%012d", v)
		yy, _ := strconv.Atoi(s[:2])
		year = 2000 + yy
		if yy >= 50 {
			year = 1900 + yy
		}
		s = s[2:]
	case len(s) <= 14:
		s = fmt.Sprintf("%014d", v)
		year, _ = strconv.Atoi(s[:4])
		s = s[4:]
	default:
		return time.Time{}, errors.New("more than 14 digits")
	}
	var f [5]int // month, day, hour, minute, second
	for i := range f {
		f[i], _ = strconv.Atoi(s[2*i : 2*i+2])
	}
	t := time.Date(year, time.Month(f[0]), f[1], f[2], f[3], f[4], 0, time.UTC)
	if t.Year() != year || int(t.Month()) != f[0] || t.Day() != f[1] ||
		t.Hour() != f[2] || t.Minute() != f[3] || t.Second() != f[4] {
		return time.Time{}, errors.New("field out of range")
	}
	return t, nil
}

// serialBytes is the serial number entropy: 128 bits, the size seen in AWS
// Private CA certificates.
const serialBytes = 16

// NewSerial returns a certificate serial number made of 16 bytes read from
// rand, interpreted as a positive big-endian integer (DER adds a leading zero
// byte when the top bit is set). An all-zero draw is retried.
func NewSerial(rand io.Reader) (*big.Int, error) {
	if rand == nil {
		return nil, errors.New("issuance: NewSerial needs a random source")
	}
	buf := make([]byte, serialBytes)
	for range 8 {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("issuance: reading serial number: %w", err)
		}
		if n := new(big.Int).SetBytes(buf); n.Sign() > 0 {
			return n, nil
		}
	}
	return nil, errors.New("issuance: random source returned only zero serial numbers")
}
