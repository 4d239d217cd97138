// Package api is the ACM Private CA API as Go types, generated from the
// trimmed botocore model in api/acm-pca: shapes, enums, validators, modelled
// errors, and the operation table that awsproto serves.
//
// Everything in zz_generated_*.go comes from internal/codegen; change the
// generator or the model, never the output.
package api

//go:generate go run ../../codegen -model ../../../api/acm-pca/2017-08-22/service-2.json -namespace com.amazonaws.acmpca -out .
