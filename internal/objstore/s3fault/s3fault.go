// Package s3fault is a fault-injecting HTTP proxy for drills against an
// S3-compatible server. Tests point a client at Proxy.URL instead of the
// server and then, per bucket, make requests vanish, answer late, upload
// slowly, reset, or wait to be delivered after the client has given up.
//
// Requests are forwarded unchanged, Host header included, so SigV4
// signatures made for the proxy's address verify at the server. Buckets are
// addressed path-style: the first path segment is the bucket.
package s3fault

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Mode is what the proxy does with a bucket's requests.
type Mode struct {
	kind  kind
	delay time.Duration
	rate  int
}

type kind int

const (
	pass kind = iota
	blackHole
	stall
	trickle
	reset
	hold
)

var (
	// Pass forwards requests as they come; it is every bucket's mode until
	// Set says otherwise.
	Pass = Mode{}
	// BlackHole takes the connection and never reads from it or answers,
	// until the bucket's mode changes or the proxy closes; then the
	// connection is closed. The client's writes stall once socket buffers
	// fill.
	BlackHole = Mode{kind: blackHole}
	// Reset aborts the connection with a TCP RST as soon as the request's
	// headers are read.
	Reset = Mode{kind: reset}
	// Hold reads the whole of a write (PUT or POST), body included, and
	// neither answers nor forwards it until Release: the upload of a
	// client that gives up and whose request still lands later. Reads
	// pass.
	Hold = Mode{kind: hold}
)

// Stall waits d before forwarding, reading nothing meanwhile.
func Stall(d time.Duration) Mode { return Mode{kind: stall, delay: d} }

// Trickle forwards, reading the request body at bytesPerSecond.
func Trickle(bytesPerSecond int) Mode { return Mode{kind: trickle, rate: max(bytesPerSecond, 1)} }

// Proxy is a fault-injecting proxy listening on 127.0.0.1.
type Proxy struct {
	// URL is the proxy's base URL, to use as the client's endpoint.
	URL string

	backend *url.URL
	srv     *http.Server
	rp      *httputil.ReverseProxy
	tr      *http.Transport
	closed  chan struct{}

	mu      sync.Mutex
	modes   map[string]Mode
	changed chan struct{} // closed and replaced by every Set
	counts  map[[2]string]int
	holes   map[net.Conn]bool
	held    []*held
	done    bool
}

// held is a request in Hold, and the connection it came on.
type held struct {
	req  *http.Request
	body []byte
	conn net.Conn
}

// New starts a proxy in front of the server at backend, such as
// "http://127.0.0.1:7070".
func New(backend string) (*Proxy, error) {
	u, err := url.Parse(backend)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, errors.New("s3fault: backend must be an absolute URL")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		URL:     "http://" + ln.Addr().String(),
		backend: u,
		// Not the default transport: no proxy from the environment, no
		// transparent gzip, and idle connections of its own to close.
		tr:      &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16},
		closed:  make(chan struct{}),
		modes:   map[string]Mode{},
		changed: make(chan struct{}),
		counts:  map[[2]string]int{},
		holes:   map[net.Conn]bool{},
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host // SigV4 signs the Host the client sent
		},
		Transport:    p.tr,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ErrorLog: log.New(io.Discard, "", 0)}
	go p.srv.Serve(ln)
	return p, nil
}

// Set sets the mode of bucket's requests; bucket "" sets the mode of every
// bucket not given one of its own (Pass included). It applies to requests that arrive from
// now on, and ends black holes whose mode it changes.
func (p *Proxy) Set(bucket string, m Mode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.modes[bucket] = m
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Proxy) mode(bucket string) Mode {
	if m, ok := p.modes[bucket]; ok {
		return m
	}
	return p.modes[""]
}

// Count returns how many requests for bucket with method (such as "PUT")
// have arrived, whatever their fate; "" matches any bucket or method.
func (p *Proxy) Count(bucket, method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, c := range p.counts {
		if (bucket == "" || k[0] == bucket) && (method == "" || k[1] == method) {
			n += c
		}
	}
	return n
}

// Release forwards every request held so far, in arrival order, and
// returns the status the server answered each with: the late delivery of
// uploads whose clients gave up long ago. It closes the connections the
// requests came on.
func (p *Proxy) Release() ([]int, error) {
	return p.ReleaseFirst(-1)
}

// ReleaseFirst is Release for the n requests held first (all when n < 0);
// the others stay held.
func (p *Proxy) ReleaseFirst(n int) ([]int, error) {
	p.mu.Lock()
	if n < 0 || n > len(p.held) {
		n = len(p.held)
	}
	hs := p.held[:n:n]
	p.held = p.held[n:]
	p.mu.Unlock()
	var statuses []int
	var errs []error
	for _, h := range hs {
		h.conn.Close()
		out := h.req.Clone(context.Background())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = p.backend.Scheme, p.backend.Host
		out.Body = io.NopCloser(bytes.NewReader(h.body))
		out.ContentLength = int64(len(h.body))
		resp, err := p.tr.RoundTrip(out)
		if err != nil {
			statuses = append(statuses, 0)
			errs = append(errs, err)
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
	}
	return statuses, errors.Join(errs...)
}

// Close stops the proxy and closes every connection, black-holed and held
// ones included; held requests are dropped.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return nil
	}
	p.done = true
	close(p.closed)
	for c := range p.holes {
		c.Close()
	}
	for _, h := range p.held {
		h.conn.Close()
	}
	p.held = nil
	p.mu.Unlock()
	err := p.srv.Close()
	p.tr.CloseIdleConnections()
	return err
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	bucket, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	p.mu.Lock()
	p.counts[[2]string{bucket, r.Method}]++
	m := p.mode(bucket)
	p.mu.Unlock()

	switch m.kind {
	case blackHole:
		p.blackHole(w, bucket)
		return
	case reset:
		if c := hijack(w); c != nil {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
		}
		return
	case hold:
		if r.Method == http.MethodPut || r.Method == http.MethodPost {
			p.hold(w, r)
			return
		}
	case stall:
		t := time.NewTimer(m.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-p.closed:
			return
		}
	case trickle:
		r.Body = &slowReader{r: r.Body, rate: m.rate, start: time.Now(), ctx: r.Context()}
	}
	p.rp.ServeHTTP(w, r)
}

func (p *Proxy) blackHole(w http.ResponseWriter, bucket string) {
	c := hijack(w)
	if c == nil {
		return
	}
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.holes[c] = true
	for p.mode(bucket).kind == blackHole && !p.done {
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.closed:
		}
		p.mu.Lock()
	}
	delete(p.holes, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) hold(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	c := hijack(w)
	if c == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		c.Close()
		return
	}
	p.held = append(p.held, &held{req: r, body: body, conn: c})
}

// hijack takes over the client's connection; nil if the server cannot
// give it up.
func hijack(w http.ResponseWriter) net.Conn {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil
	}
	return c
}

// slowReader reads at most rate bytes per second from r.
type slowReader struct {
	r     io.ReadCloser
	rate  int
	start time.Time
	n     int64
	ctx   context.Context
}

func (s *slowReader) Read(p []byte) (int, error) {
	if chunk := max(s.rate/10, 1); len(p) > chunk { // a tenth of a second's worth
		p = p[:chunk]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	due := s.start.Add(time.Duration(s.n) * time.Second / time.Duration(s.rate))
	if wait := time.Until(due); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return n, s.ctx.Err()
		}
	}
	return n, err
}

func (s *slowReader) Close() error { return s.r.Close() }
