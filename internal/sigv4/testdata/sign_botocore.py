"""Sign requests with botocore's SigV4Auth.

Reads a JSON list of {"method", "url", "headers", "body", "access_key",
"secret_key", "token", "service", "region"} on stdin and prints a JSON list
of the signed requests as {"method", "url", "headers", "body"}.
"""
import json
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(spec):
    req = AWSRequest(
        method=spec["method"],
        url=spec["url"],
        data=spec["body"].encode(),
        headers=spec["headers"],
    )
    creds = Credentials(spec["access_key"], spec["secret_key"], spec.get("token") or None)
    SigV4Auth(creds, spec["service"], spec["region"]).add_auth(req)
    return {
        "method": req.method,
        "url": req.url,
        "headers": dict(req.headers.items()),
        "body": spec["body"],
    }


json.dump([sign(spec) for spec in json.load(sys.stdin)], sys.stdout)
