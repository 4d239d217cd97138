package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/openpca/openpca/internal/awsproto"
)

// BenchmarkHostileBodies is the hostile-input drill for memory: 16 callers
// with the root key (8 in JSON, 8 in CBOR) and 8 with a principal that has
// no policy send, at once and b.N times each, signed 4 MiB bodies holding a
// two-million-element array in an otherwise valid request, while a
// legitimate client (the SDK, with its retries) describes a CA. It reports
// the process's peak RSS, sampled every 2 ms (the clients share the
// process, with the two hostile bodies built once), and the legitimate
// client's latency. It asserts nothing about either:
//
//	go test -run '^$' -bench HostileBodies -benchtime 4x ./internal/server/
func BenchmarkHostileBodies(b *testing.B) {
	e := newTestEnv(b)
	ctx := context.Background()
	caArn := createTestCA(b, e.srv, e.ts.URL)
	creds, err := e.srv.principals.Create(ctx, testAccount, "nobody")
	if err != nil {
		b.Fatal(err)
	}
	bodies := map[bool][]byte{false: hostileJSON(), true: hostileCBOR()}
	var calls []*call
	for i := range 16 {
		calls = append(calls, newCall(e, "CreateCertificateAuthority", i%2 == 1, e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, bodies[i%2 == 1]))
	}
	for i := range 8 {
		calls = append(calls, newCall(e, "CreateCertificateAuthority", i%2 == 1, creds.AccessKeyID, creds.SecretAccessKey, bodies[i%2 == 1]))
	}
	transport := &http.Transport{MaxIdleConnsPerHost: len(calls)}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}

	legit := acmpca.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(e.srv.Key.AccessKeyID, e.srv.Key.SecretAccessKey, ""),
	}, func(o *acmpca.Options) { o.BaseEndpoint = aws.String(e.ts.URL) })
	if _, err := legit.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &caArn}); err != nil {
		b.Fatal(err)
	}

	// What earlier runs of the benchmark left is given back first.
	debug.FreeOSMemory()
	baseline := rss()
	var peak atomic.Int64
	peak.Store(baseline)
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if r := rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()

	var mu sync.Mutex
	outcomes := map[string]int{}
	var latencies []time.Duration
	legitErrors := 0
	var legitDone sync.WaitGroup
	legitDone.Add(1)
	attackDone := make(chan struct{})
	go func() {
		defer legitDone.Done()
		for {
			select {
			case <-attackDone:
				return
			default:
			}
			start := time.Now()
			_, err := legit.DescribeCertificateAuthority(ctx, &acmpca.DescribeCertificateAuthorityInput{CertificateAuthorityArn: &caArn})
			d := time.Since(start)
			mu.Lock()
			latencies = append(latencies, d)
			if err != nil {
				legitErrors++
			}
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()

	b.ResetTimer()
	var attackers sync.WaitGroup
	for i, c := range calls {
		attackers.Add(1)
		go func() {
			defer attackers.Done()
			who := "root"
			if i >= 16 {
				who = "no-policy"
			}
			for range b.N {
				status, typ, _, err := c.do(client)
				key := fmt.Sprintf("%s %d %s", who, status, typ)
				if err != nil {
					key = who + " connection error" // refused before the body was read
				}
				mu.Lock()
				outcomes[key]++
				mu.Unlock()
			}
		}()
	}
	attackers.Wait()
	b.StopTimer()
	close(attackDone)
	legitDone.Wait()
	close(stop)
	sampler.Wait()

	slices.Sort(latencies)
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(float64(len(latencies))*p))]
	}
	keys := make([]string, 0, len(outcomes))
	for k := range outcomes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.Logf("hostile: %-45s %d", k, outcomes[k])
	}
	b.Logf("RSS: %d MB before the attack, peak %d MB (VmHWM %d MB); legitimate DescribeCertificateAuthority: %d calls, %d failed, p50 %v, p99 %v",
		baseline>>20, peak.Load()>>20, vmHWM()>>20, len(latencies), legitErrors, pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond))
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-rss-MB")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "legit-p99-ms")
	b.ReportMetric(0, "ns/op")
}

// vmHWM is the process's peak resident set size.
func vmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// hostileElements is how many values a hostile body's array holds: two
// million, in a body of at most 4 MiB, the largest any operation takes.
const hostileElements = 2_000_000

// hostileJSON is a valid CreateCertificateAuthority with a Tags list of two
// million zeros: 4 MB of JSON that decodes to hundreds of megabytes of tree.
func hostileJSON() []byte {
	var b bytes.Buffer
	b.WriteString(`{"CertificateAuthorityType":"ROOT","CertificateAuthorityConfiguration":{"KeyAlgorithm":"EC_prime256v1",` +
		`"SigningAlgorithm":"SHA256WITHECDSA","Subject":{"CommonName":"hostile"}},"Tags":[`)
	b.WriteString(strings.Repeat("0,", hostileElements-1))
	b.WriteString("0]}")
	return b.Bytes()
}

// hostileCBOR is hostileJSON in RPC v2 CBOR, each zero written in two bytes
// so that the body, too, is 4 MB.
func hostileCBOR() []byte {
	head := cbor.Encode(cbor.Map{
		"CertificateAuthorityType": cbor.String("ROOT"),
		"CertificateAuthorityConfiguration": cbor.Map{
			"KeyAlgorithm": cbor.String("EC_prime256v1"), "SigningAlgorithm": cbor.String("SHA256WITHECDSA"),
			"Subject": cbor.Map{"CommonName": cbor.String("hostile")},
		},
	})
	// Turn the two-member map into a three-member one and add the list.
	head[0]++
	b := binary.BigEndian.AppendUint32(append(head, 0x64, 'T', 'a', 'g', 's', 0x9a), hostileElements)
	return append(b, bytes.Repeat([]byte{0x18, 0x00}, hostileElements)...)
}

// call is one signed request with a prepared body, sent as a caller with
// the given key would send it.
type call struct {
	url, op      string
	cbor         bool
	key, secret  string
	body         []byte
	bodyHashHex  string
	contentLen   int64     // -1: the request's own length
	bodyOverride io.Reader // sent instead of body, signed as body
	unsigned     bool
}

func newCall(e *testEnv, op string, cborProto bool, key, secret string, body []byte) *call {
	sum := sha256.Sum256(body)
	return &call{url: e.ts.URL, op: op, cbor: cborProto, key: key, secret: secret, body: body, bodyHashHex: hex.EncodeToString(sum[:]), contentLen: -1}
}

// do sends the call and returns its status and error code and message
// ("" on success).
func (c *call) do(client *http.Client) (int, string, string, error) {
	var body io.Reader = bytes.NewReader(c.body)
	if c.bodyOverride != nil {
		body = c.bodyOverride
	}
	url := c.url + "/"
	if c.cbor {
		url = c.url + "/service/ACMPrivateCA/operation/" + c.op
	}
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return 0, "", "", err
	}
	if c.contentLen >= 0 {
		req.ContentLength = c.contentLen
	}
	if c.cbor {
		req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		req.Header.Set("Content-Type", "application/cbor")
	} else {
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "ACMPrivateCA."+c.op)
	}
	creds := aws.Credentials{AccessKeyID: c.key, SecretAccessKey: c.secret}
	if !c.unsigned {
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, c.bodyHashHex, "acm-pca", "us-east-1", time.Now()); err != nil {
			return 0, "", "", err
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", "", err
	}
	var out map[string]any
	if c.cbor {
		out, err = awsproto.DecodeCBOR(raw)
	} else if len(raw) > 0 {
		err = json.Unmarshal(raw, &out)
	}
	if err != nil {
		return resp.StatusCode, "", "", fmt.Errorf("undecodable answer %q: %w", raw, err)
	}
	typ, _ := out["__type"].(string)
	if i := strings.LastIndex(typ, "#"); i >= 0 {
		typ = typ[i+1:]
	}
	msg, _ := out["message"].(string)
	return resp.StatusCode, typ, msg, nil
}
