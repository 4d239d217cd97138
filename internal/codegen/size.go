package main

import "math"

// Input limits. An input's largest encoding is worked out from the model's
// max lengths in AWS JSON 1.1, which is never smaller than the same input in
// RPC v2 CBOR: blobs are base64, every string character may be a six-byte
// \u escape (boto3 escapes all non-ASCII), and every member may carry a
// space after its comma and colon. Elements count every value, containers
// and member names included; depth counts the top-level structure as 1. A
// shape without a max is unbounded, and gets the cap.
const (
	maxInputBytes = 4 << 20 // awsproto.DefaultMaxBodyBytes
	// The model would let IssueCertificate hold 125,637 values, every list
	// of its ApiPassthrough full; no certificate needs that, and 100,000
	// values decode to about 18 MB, as much as the in-flight limit counts
	// for a 4 MiB body.
	maxInputElements = 100_000
	maxInputDepth    = 32
	numberBytes      = 24 // a long, a double, or epoch seconds with milliseconds

	// Slack for members newer than the model, which clients may send.
	extraInputBytes    = 16 << 10
	extraInputElements = 256
	extraInputDepth    = 2
)

type limits struct{ bytes, elements, depth int64 }

func (g *generator) inputLimits(op operation) limits {
	bytes := math.Ceil(g.maxEncoded(op.Input.Shape, map[string]bool{})/1024)*1024 + extraInputBytes
	elements := g.maxElements(op.Input.Shape, map[string]bool{}) + extraInputElements
	depth := g.maxDepth(op.Input.Shape, map[string]bool{}) + extraInputDepth
	return limits{
		bytes:    int64(min(maxInputBytes, bytes)),
		elements: int64(min(maxInputElements, elements)),
		depth:    int64(min(maxInputDepth, depth)),
	}
}

// recursion guards a walk over shapes: a shape that contains itself is unbounded.
func recursion(name string, onPath map[string]bool) (bool, func()) {
	if onPath[name] {
		return true, func() {}
	}
	onPath[name] = true
	return false, func() { delete(onPath, name) }
}

func (s *shape) maxOr(inf float64) float64 {
	if s.Max == nil {
		return inf
	}
	return float64(*s.Max)
}

// maxEncoded is the largest JSON encoding of shape name.
func (g *generator) maxEncoded(name string, onPath map[string]bool) float64 {
	rec, done := recursion(name, onPath)
	defer done()
	if rec {
		return math.Inf(1)
	}
	s := g.m.Shapes[name]
	switch s.Type {
	case "structure":
		n := 2.0 // {}
		for member, r := range s.Members {
			n += float64(len(member)) + 6 + g.maxEncoded(r.Shape, onPath) // "member": value,
		}
		return n
	case "list":
		return 2 + s.maxOr(math.Inf(1))*(g.maxEncoded(s.Member.Shape, onPath)+2)
	case "map":
		return 2 + s.maxOr(math.Inf(1))*(g.maxEncoded(s.Key.Shape, onPath)+g.maxEncoded(s.Value.Shape, onPath)+4)
	case "string":
		if len(s.Enum) > 0 {
			longest := 0
			for _, e := range s.Enum {
				longest = max(longest, len(e))
			}
			return float64(longest) + 2
		}
		return 2 + 6*s.maxOr(math.Inf(1))
	case "blob":
		return 2 + 4*math.Ceil(s.maxOr(math.Inf(1))/3)
	case "boolean":
		return 5
	default:
		return numberBytes
	}
}

// maxElements is the most values an instance of shape name holds, itself included.
func (g *generator) maxElements(name string, onPath map[string]bool) float64 {
	rec, done := recursion(name, onPath)
	defer done()
	if rec {
		return math.Inf(1)
	}
	s := g.m.Shapes[name]
	switch s.Type {
	case "structure":
		n := 1.0
		for _, r := range s.Members {
			n += 1 + g.maxElements(r.Shape, onPath) // key and value
		}
		return n
	case "list":
		return 1 + s.maxOr(math.Inf(1))*g.maxElements(s.Member.Shape, onPath)
	case "map":
		return 1 + s.maxOr(math.Inf(1))*(1+g.maxElements(s.Value.Shape, onPath))
	default:
		return 1
	}
}

// maxDepth is the nesting of shape name: 1 for a scalar.
func (g *generator) maxDepth(name string, onPath map[string]bool) float64 {
	rec, done := recursion(name, onPath)
	defer done()
	if rec {
		return math.Inf(1)
	}
	s := g.m.Shapes[name]
	deepest := 0.0
	for _, r := range g.children(s) {
		deepest = max(deepest, g.maxDepth(r.Shape, onPath))
	}
	return 1 + deepest
}
