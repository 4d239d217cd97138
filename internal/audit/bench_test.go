package audit

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkWriter writes a report of a million certificates per operation,
// a quarter of them revoked, so B/op is the memory of a whole report.
func BenchmarkWriter(b *testing.B) {
	const records = 1_000_000
	base := revoked
	// Serials are made up front so that B/op is the writer's alone.
	serials := make([]string, 1024)
	for i := range serials {
		serials[i] = fmt.Sprintf("%032x", uint64(i+1)*0x9e3779b97f4a7c15)
	}
	for _, f := range []Format{JSON, CSV} {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			var bytes int64
			for b.Loop() {
				cw := &countingWriter{}
				w, err := NewWriter(cw, f)
				if err != nil {
					b.Fatal(err)
				}
				r := base
				for i := range records {
					r.Serial = serials[i%len(serials)]
					r.RevokedAt = time.Time{}
					if i%4 == 0 {
						r.RevokedAt = base.RevokedAt
					}
					if err := w.Write(r); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				bytes = cw.n
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
			b.ReportMetric(float64(bytes)/records, "bytes/record")
		})
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)
