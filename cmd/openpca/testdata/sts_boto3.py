"""boto3 assumes a role through openpca's STS, then calls ACM PCA with the
temporary credentials. Credentials come from the environment (a user's key);
OPENPCA_ENDPOINT and ROLE_ARN name the server and the role."""
import os

import boto3
import botocore.exceptions

endpoint = os.environ["OPENPCA_ENDPOINT"]
role_arn = os.environ["ROLE_ARN"]

sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1")
me = sts.get_caller_identity()
assert me["Arn"].endswith(":user/ci"), me

out = sts.assume_role(RoleArn=role_arn, RoleSessionName="boto3", DurationSeconds=900)
creds = out["Credentials"]
assert creds["AccessKeyId"].startswith("ASIA"), creds
assert out["AssumedRoleUser"]["Arn"].endswith(":assumed-role/pca-issuer/boto3"), out

session = boto3.Session(
    aws_access_key_id=creds["AccessKeyId"],
    aws_secret_access_key=creds["SecretAccessKey"],
    aws_session_token=creds["SessionToken"],
    region_name="us-east-1",
)
who = session.client("sts", endpoint_url=endpoint).get_caller_identity()
assert who["Arn"] == out["AssumedRoleUser"]["Arn"], who
assert who["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"], who

pca = session.client("acm-pca", endpoint_url=endpoint)
pca.list_certificate_authorities()

# A refused AssumeRole surfaces as botocore's ClientError with STS's code.
try:
    sts.assume_role(RoleArn=role_arn.replace("pca-issuer", "nobody"), RoleSessionName="boto3")
    raise SystemExit("AssumeRole of a missing role succeeded")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "AccessDenied", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, e.response

# A tampered session token is refused by ACM PCA.
bad = boto3.Session(
    aws_access_key_id=creds["AccessKeyId"],
    aws_secret_access_key=creds["SecretAccessKey"],
    aws_session_token=creds["SessionToken"][:-4] + "AAAA",
    region_name="us-east-1",
)
try:
    bad.client("acm-pca", endpoint_url=endpoint).list_certificate_authorities()
    raise SystemExit("a tampered token was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "UnrecognizedClientException", e.response
print("boto3 STS ok")
