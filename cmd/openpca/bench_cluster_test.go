package main

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
)

// BenchmarkCluster measures IssueCertificate and RevokeCertificate through
// the API, 32 clients spread over one or three nodes on one PostgreSQL, with
// CRLs published to S3 as the revocations arrive. Run it with a fixed count:
//
//	OPENPCA_TEST_STORE=postgres go test -run '^$' -bench Cluster -benchtime 3000x ./cmd/openpca/
func BenchmarkCluster(b *testing.B) {
	if os.Getenv("OPENPCA_TEST_STORE") != "postgres" {
		b.Skip("needs OPENPCA_TEST_STORE=postgres and the test servers scripts/test.sh starts")
	}
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			cl := startCluster(b, nodes)
			var serials []string
			b.Run("IssueCertificate", func(b *testing.B) {
				start := time.Now()
				serials = cl.issue(b, b.N, 32)
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "certs/s")
			})
			b.Run("RevokeCertificate", func(b *testing.B) {
				if b.N > len(serials) {
					b.StopTimer()
					serials = append(serials, cl.issue(b, b.N-len(serials), 32)...)
					b.StartTimer()
				}
				start := time.Now()
				each(b.N, 32, func(i int) error {
					_, err := cl.clients[i%nodes].RevokeCertificate(context.Background(), &acmpca.RevokeCertificateInput{CertificateAuthorityArn: &cl.caArn,
						CertificateSerial: aws.String(serials[i]), RevocationReason: types.RevocationReasonKeyCompromise})
					return err
				}, b)
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "revocations/s")
				serials = serials[b.N:] // the benchmark runs again with a larger b.N
			})
		})
	}
}
