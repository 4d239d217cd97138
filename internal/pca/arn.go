package pca

import (
	"regexp"
	"strings"
)

// uuidPattern matches the lowercase UUIDs openpca gives its CAs.
var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// caRef is a parsed certificate-authority ARN.
type caRef struct {
	Partition, Region, Account, ID string
}

// parseCAArn splits arn:<partition>:acm-pca:<region>:<account>:certificate-authority/<uuid>.
// Anything else is InvalidArnException: the model's own pattern has already
// been checked by the protocol layer, so this catches ARNs of the right
// service that do not name a CA.
func parseCAArn(arn string) (caRef, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "acm-pca" {
		return caRef{}, Errorf(KindInvalidArn, "The ARN %q is not a valid certificate authority ARN.", arn)
	}
	id, ok := strings.CutPrefix(parts[5], "certificate-authority/")
	if !ok || !uuidPattern.MatchString(id) || len(parts[4]) != 12 {
		return caRef{}, Errorf(KindInvalidArn, "The ARN %q is not a valid certificate authority ARN.", arn)
	}
	return caRef{Partition: parts[1], Region: parts[3], Account: parts[4], ID: id}, nil
}

// CAArn returns the ARN of a CA in this service's partition and region.
func (s *Service) CAArn(ca *CA) string {
	return "arn:" + s.partition() + ":acm-pca:" + s.Region + ":" + ca.Account + ":certificate-authority/" + ca.ID
}

func (s *Service) partition() string {
	switch {
	case strings.HasPrefix(s.Region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(s.Region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
