"""boto3 (AWS JSON 1.1) smoke test against a running openpca.

Reads OPENPCA_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; exits
non-zero with a message on the first mismatch.
"""
import datetime
import os
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

pca = boto3.client(
    "acm-pca",
    endpoint_url=os.environ["OPENPCA_ENDPOINT"],
    region_name="us-east-1",
    config=botocore.config.Config(retries={"max_attempts": 1}),
)


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{fn.__name__}: want {code}, got {got}: {e}"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
        return e
    raise AssertionError(f"{fn.__name__}: want {code}, call succeeded")


config = {
    "KeyAlgorithm": "EC_secp384r1",
    "SigningAlgorithm": "SHA384WITHECDSA",
    "Subject": {"CommonName": "boto3 root", "Organization": "openpca"},
}
arn = pca.create_certificate_authority(
    CertificateAuthorityConfiguration=config,
    CertificateAuthorityType="ROOT",
    IdempotencyToken="boto3-smoke",
    Tags=[{"Key": "suite", "Value": "boto3"}],
)["CertificateAuthorityArn"]
again = pca.create_certificate_authority(
    CertificateAuthorityConfiguration=config, CertificateAuthorityType="ROOT", IdempotencyToken="boto3-smoke"
)["CertificateAuthorityArn"]
assert again == arn, (again, arn)

pca.get_waiter("certificate_authority_csr_created").wait(
    CertificateAuthorityArn=arn, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
assert ca["Status"] == "PENDING_CERTIFICATE", ca
assert isinstance(ca["CreatedAt"], datetime.datetime) and ca["CreatedAt"].tzinfo is not None, ca["CreatedAt"]
assert ca["CertificateAuthorityConfiguration"]["Subject"]["CommonName"] == "boto3 root"
assert ca["RevocationConfiguration"]["CrlConfiguration"] == {"Enabled": False}, ca["RevocationConfiguration"]

listed = pca.list_certificate_authorities()["CertificateAuthorities"]
assert [c["Arn"] for c in listed] == [arn], listed
pages = list(pca.get_paginator("list_certificate_authorities").paginate(PaginationConfig={"PageSize": 1}))
assert sum(len(p["CertificateAuthorities"]) for p in pages) == 1

pca.tag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": "env", "Value": "test"}])
tags = {t["Key"]: t.get("Value") for t in pca.list_tags(CertificateAuthorityArn=arn)["Tags"]}
assert tags == {"suite": "boto3", "env": "test"}, tags
pca.untag_certificate_authority(CertificateAuthorityArn=arn, Tags=[{"Key": "env"}])
tags = {t["Key"] for t in pca.list_tags(CertificateAuthorityArn=arn)["Tags"]}
assert tags == {"suite"}, tags

# Modelled errors arrive as the client's own exception classes.
try:
    pca.describe_certificate_authority(
        CertificateAuthorityArn="arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/00000000-0000-4000-8000-000000000000"
    )
    raise AssertionError("unknown CA described")
except pca.exceptions.ResourceNotFoundException:
    pass
expect_error("InvalidStateException", pca.update_certificate_authority, CertificateAuthorityArn=arn, Status="DISABLED")
expect_error("InvalidStateException", pca.get_certificate_authority_certificate, CertificateAuthorityArn=arn)
# botocore checks neither enums nor maximum lengths: the server must.
e = expect_error("ValidationException", pca.create_certificate_authority,
                 CertificateAuthorityConfiguration=config, CertificateAuthorityType="ROOT", IdempotencyToken="x" * 37)
assert "Member must have length less than or equal to 36" in str(e), e
expect_error("ValidationException", pca.delete_certificate_authority, CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=31)
e = expect_error("ValidationException", pca.create_certificate_authority,
                 CertificateAuthorityConfiguration=dict(config, KeyAlgorithm="FOO"), CertificateAuthorityType="ROOT")
assert "at 'certificateAuthorityConfiguration.keyAlgorithm' failed to satisfy constraint: Member must satisfy enum value set" in str(e), e
expect_error("InvalidArgsException", pca.create_certificate_authority,
             CertificateAuthorityConfiguration=dict(config, SigningAlgorithm="SHA256WITHRSA"), CertificateAuthorityType="ROOT")

# Root bootstrap with the documented waiters.
csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
cert_arn = pca.issue_certificate(
    CertificateAuthorityArn=arn, Csr=csr.encode(), SigningAlgorithm="SHA384WITHECDSA",
    TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1", Validity={"Value": 5, "Type": "YEARS"},
)["CertificateArn"]
pca.get_waiter("certificate_issued").wait(
    CertificateAuthorityArn=arn, CertificateArn=cert_arn, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
cert = pca.get_certificate(CertificateAuthorityArn=arn, CertificateArn=cert_arn)
assert cert["Certificate"].startswith("-----BEGIN CERTIFICATE-----") and "CertificateChain" not in cert, cert
pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn, Certificate=cert["Certificate"].encode())
ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
assert ca["Status"] == "ACTIVE" and ca["NotAfter"] > ca["NotBefore"], ca
got = pca.get_certificate_authority_certificate(CertificateAuthorityArn=arn)
assert got["Certificate"] == cert["Certificate"] and "CertificateChain" not in got, got

# Revocation answers an empty body: boto3 returns its metadata only.
leaf_arn = pca.issue_certificate(
    CertificateAuthorityArn=arn, Csr=csr.encode(), SigningAlgorithm="SHA384WITHECDSA", Validity={"Value": 1, "Type": "DAYS"},
)["CertificateArn"]
serial = leaf_arn.rsplit("/", 1)[1]
revoked = pca.revoke_certificate(CertificateAuthorityArn=arn, CertificateSerial=serial, RevocationReason="KEY_COMPROMISE")
assert set(revoked) == {"ResponseMetadata"} and revoked["ResponseMetadata"]["HTTPStatusCode"] == 200, revoked
expect_error("RequestAlreadyProcessedException", pca.revoke_certificate,
             CertificateAuthorityArn=arn, CertificateSerial=serial, RevocationReason="KEY_COMPROMISE")
report = pca.create_certificate_authority_audit_report(
    CertificateAuthorityArn=arn, S3BucketName="audit-bucket", AuditReportResponseFormat="JSON")
assert report["S3Key"].endswith(report["AuditReportId"] + ".json"), report
pca.get_waiter("audit_report_created").wait(
    CertificateAuthorityArn=arn, AuditReportId=report["AuditReportId"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
expect_error("InvalidStateException", pca.delete_certificate_authority, CertificateAuthorityArn=arn)
pca.update_certificate_authority(CertificateAuthorityArn=arn, Status="DISABLED")

pca.delete_certificate_authority(CertificateAuthorityArn=arn, PermanentDeletionTimeInDays=7)
ca = pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
assert ca["Status"] == "DELETED" and "RestorableUntil" in ca, ca
pca.restore_certificate_authority(CertificateAuthorityArn=arn)
assert pca.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]["Status"] == "DISABLED"
print("boto3 smoke: ok")
