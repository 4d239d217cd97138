package console

import (
	"fmt"
	"math"
	"time"

	"github.com/openpca/openpca/internal/pca"
)

// The CRL page's two charts, drawn on the server as inline SVG: the
// revocation-to-publication latency of each CRL published over the last
// day, and the CA's revocations per hour over the same day.

// chartHours is the span of the charts, in hours, the last one the
// current (partial) hour.
const chartHours = 24

// maxChartEvents bounds the CRL events one CA's charts read.
const maxChartEvents = 2000

// Chart geometry, in the SVG's own units: the plot area lies within the
// margins of a chartW × chartH view box.
const (
	chartW, chartH                                   = 480, 150
	plotLeft, plotRight, plotTop, plotBottom float64 = 58, 462, 8, 128
)

type chart struct {
	Label                    string // for screen readers
	W, H                     int
	Left, Right, Top, Bottom float64
	XTicks, YTicks           []tick
	Points                   []mark
	Bars                     []bar
	// Empty says why there is nothing to draw, "" when there is.
	Empty string
}

type tick struct {
	At    float64
	Label string
}

type mark struct {
	X, Y  float64
	Title string
}

type bar struct {
	X, Y, W, H float64
	Title      string
}

func newChart(label string, from time.Time) *chart {
	c := &chart{Label: label, W: chartW, H: chartH, Left: plotLeft, Right: plotRight, Top: plotTop, Bottom: plotBottom}
	for h := 0; h <= chartHours; h += 6 {
		l := from.Add(time.Duration(h) * time.Hour).UTC().Format("15:04")
		c.XTicks = append(c.XTicks, tick{c.x(float64(h) / chartHours), l})
	}
	return c
}

// x places a fraction of the span on the plot.
func (c *chart) x(f float64) float64 { return round(c.Left + f*(c.Right-c.Left)) }

// y places a fraction of the value axis on the plot, 0 at the bottom.
func (c *chart) y(f float64) float64 { return round(c.Bottom - f*(c.Bottom-c.Top)) }

func round(v float64) float64 { return math.Round(v*10) / 10 }

// latencyChart plots, on a log scale, the latency of each CRL published
// from from on that listed a new revocation (the others have none).
func latencyChart(events []pca.CRLEvent, from time.Time) *chart {
	c := newChart("Latency from revocation to publication of each CRL published, last 24 hours (UTC)", from)
	span := time.Duration(chartHours) * time.Hour
	var pubs []pca.CRLEvent
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, ev := range events {
		if ev.Failure != "" || ev.Latency <= 0 || ev.At.Before(from) {
			continue
		}
		pubs = append(pubs, ev)
		l := math.Log10(ev.Latency.Seconds())
		lo, hi = math.Min(lo, l), math.Max(hi, l)
	}
	if len(pubs) == 0 {
		c.Empty = "No CRL listed a new revocation in the last day."
		return c
	}
	// Whole decades, at least one, from 1 ms up.
	lo, hi = math.Max(math.Floor(lo), -3), math.Ceil(hi)
	if hi <= lo {
		hi = lo + 1
	}
	for d := lo; d <= hi; d++ {
		c.YTicks = append(c.YTicks, tick{c.y((d - lo) / (hi - lo)), seconds(math.Pow(10, d))})
	}
	for _, ev := range pubs {
		f := (math.Log10(ev.Latency.Seconds()) - lo) / (hi - lo)
		title := fmt.Sprintf("CRL %d of %s at %s: %s", ev.Number, partitionName(ev.Partition), ev.At.UTC().Format(timeLayout), seconds(ev.Latency.Seconds()))
		c.Points = append(c.Points, mark{c.x(float64(ev.At.Sub(from)) / float64(span)), c.y(math.Max(f, 0)), title})
	}
	return c
}

// revocationChart draws counts[i], the revocations in hour i from from,
// as bars on a linear scale.
func revocationChart(counts []int64, from time.Time) *chart {
	c := newChart("Revocations per hour, last 24 hours (UTC)", from)
	var most int64
	for _, n := range counts {
		most = max(most, n)
	}
	if most == 0 {
		c.Empty = "No revocations in the last day."
	}
	top := niceCeil(most)
	for _, v := range []int64{0, top / 2, top} {
		if v == top/2 && top%2 != 0 {
			continue
		}
		c.YTicks = append(c.YTicks, tick{c.y(float64(v) / float64(top)), fmt.Sprint(v)})
	}
	slot := (c.Right - c.Left) / float64(len(counts))
	for i, n := range counts {
		hour := from.Add(time.Duration(i) * time.Hour).UTC()
		y := c.y(float64(n) / float64(top))
		title := fmt.Sprintf("%s–%s UTC: %d revocation%s", hour.Format("15:04"), hour.Add(time.Hour).Format("15:04"), n, plural(n))
		c.Bars = append(c.Bars, bar{X: round(c.Left + float64(i)*slot + 1), Y: y, W: round(slot - 2), H: round(c.Bottom - y), Title: title})
	}
	return c
}

// niceCeil is the least 1, 2 or 5 times a power of ten at or above n (1 for 0).
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

// seconds says a latency briefly: "250 ms", "3.2 s", "4.5 min".
func seconds(s float64) string {
	switch {
	case s < 0.01:
		return fmt.Sprintf("%.2g ms", s*1000)
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1000)
	case s < 10:
		return fmt.Sprintf("%.1f s", s)
	case s < 120:
		return fmt.Sprintf("%.0f s", s)
	case s < 7200:
		return fmt.Sprintf("%.1f min", s/60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func partitionName(p string) string {
	if p == "" {
		return "complete"
	}
	return p
}
