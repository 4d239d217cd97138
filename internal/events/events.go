// Package events names the events AWS Private CA sends to Amazon
// EventBridge (source aws.acm-pca): what the domain reports happened.
// Delivering them (log lines, a webhook) is package webhook's, so the
// domain links no network code.
package events

// Source is the source of every event, as on AWS.
const Source = "aws.acm-pca"

// The detail-types AWS Private CA emits. Resources and detail by type:
//
//	CAcreation             [CA ARN]                   {"result":"success"|"failure"}
//	CertificateIssuance    [CA ARN, certificate ARN]  {"result":"success"|"failure"}
//	CertificateRevocation  [CA ARN, certificate ARN]  {"result":"success"} only
//	CRLGeneration          [CA ARN]                   {"result":"success"} or {"result":"failure","reason":...}
//	AuditReportGeneration  [CA ARN, audit report ID]  {"result":"success"|"failure"}
const (
	CAcreation            = "ACM Private CA Creation"
	CertificateIssuance   = "ACM Private CA Certificate Issuance"
	CertificateRevocation = "ACM Private CA Certificate Revocation"
	CRLGeneration         = "ACM Private CA CRL Generation"
	AuditReportGeneration = "ACM Private CA Audit Report Generation"
)

// Event is what happened; the Emitter adds the envelope (id, time, account,
// region, source).
type Event struct {
	DetailType string
	Resources  []string
	// Detail must marshal to a JSON object; nil sends {}.
	Detail map[string]any
}
