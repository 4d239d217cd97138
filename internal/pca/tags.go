package pca

import (
	"context"
	"strconv"
	"strings"
)

// MaxTags is the most tags a CA may carry.
const MaxTags = 50

// TagCA adds tags to a CA, overwriting the values of keys it already has.
func (s *Service) TagCA(ctx context.Context, caller Caller, arn string, tags []Tag) error {
	if _, err := s.load(ctx, caller, "TagCertificateAuthority", arn); err != nil {
		return err
	}
	if err := checkTagKeys(tags); err != nil {
		return err
	}
	_, err := s.update(ctx, caller, "TagCertificateAuthority", arn, func(ca *CA) error {
		if err := taggable(ca); err != nil {
			return err
		}
		merged := dedupeTags(append(append([]Tag(nil), ca.Tags...), tags...))
		if len(merged) > MaxTags {
			return tooManyTags()
		}
		ca.Tags = merged
		return nil
	})
	return err
}

// UntagCA removes tags. A tag given without a value is removed whatever its
// value; one given with a value only when the values match.
func (s *Service) UntagCA(ctx context.Context, caller Caller, arn string, tags []Tag) error {
	if _, err := s.load(ctx, caller, "UntagCertificateAuthority", arn); err != nil {
		return err
	}
	if err := checkTagKeys(tags); err != nil {
		return err
	}
	_, err := s.update(ctx, caller, "UntagCertificateAuthority", arn, func(ca *CA) error {
		if err := taggable(ca); err != nil {
			return err
		}
		kept := ca.Tags[:0:0]
		for _, t := range ca.Tags {
			if !matchesAny(t, tags) {
				kept = append(kept, t)
			}
		}
		ca.Tags = kept
		return nil
	})
	return err
}

// ListTags returns one page of a CA's tags and the next page's token.
func (s *Service) ListTags(ctx context.Context, caller Caller, arn string, maxResults int, nextToken string) ([]Tag, string, error) {
	ca, err := s.load(ctx, caller, "ListTags", arn)
	if err != nil {
		return nil, "", err
	}
	if err := taggable(ca); err != nil {
		return nil, "", err
	}
	start := 0
	if nextToken != "" {
		n, err := strconv.Atoi(nextToken)
		if err != nil || n < 0 || n > len(ca.Tags) {
			return nil, "", Errorf(KindValidation, "The NextToken %q is not valid.", nextToken)
		}
		start = n
	}
	if maxResults <= 0 {
		maxResults = MaxTags
	}
	end := min(start+maxResults, len(ca.Tags))
	next := ""
	if end < len(ca.Tags) {
		next = strconv.Itoa(end)
	}
	return ca.Tags[start:end], next, nil
}

func taggable(ca *CA) error {
	if ca.Status == StatusDeleted {
		return Errorf(KindInvalidState, "The certificate authority is in the DELETED state and its tags cannot be used.")
	}
	return nil
}

// checkTagKeys refuses the prefixes AWS reserves for itself.
func checkTagKeys(tags []Tag) error {
	for _, t := range tags {
		lower := strings.ToLower(t.Key)
		if strings.HasPrefix(lower, "aws:") || strings.HasPrefix(lower, "rds:") {
			return Errorf(KindInvalidTag, "The tag key %q uses a reserved prefix (aws: or rds:).", t.Key)
		}
	}
	return nil
}

// dedupeTags keeps the last value given for each key, in first-seen order.
func dedupeTags(tags []Tag) []Tag {
	index := map[string]int{}
	var out []Tag
	for _, t := range tags {
		if i, ok := index[t.Key]; ok {
			out[i] = t
			continue
		}
		index[t.Key] = len(out)
		out = append(out, t)
	}
	return out
}

func matchesAny(t Tag, removals []Tag) bool {
	for _, r := range removals {
		if r.Key == t.Key && (r.Value == nil || (t.Value != nil && *r.Value == *t.Value) || (t.Value == nil && *r.Value == "")) {
			return true
		}
	}
	return false
}

func tooManyTags() error {
	return Errorf(KindTooManyTags, "A certificate authority can have at most %d tags.", MaxTags)
}
