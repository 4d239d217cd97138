"""Independent check of a chain issued through the API, with pyca/cryptography.

Usage: python3 verify_chain.py LEAF.pem SUB.pem ROOT.pem
Each certificate must parse and be signed by the next (the root by itself).
"""
import sys

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID

certs = [x509.load_pem_x509_certificate(open(p, "rb").read()) for p in sys.argv[1:]]


def check(child, parent):
    key = parent.public_key()
    sig, tbs = child.signature, child.tbs_certificate_bytes
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(sig, tbs, padding.PKCS1v15(), child.signature_hash_algorithm)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(sig, tbs, ec.ECDSA(child.signature_hash_algorithm))
    else:  # ML-DSA: pure mode over the TBS bytes
        key.verify(sig, tbs)


for child, parent in zip(certs, certs[1:] + certs[-1:]):
    check(child, parent)
    bc = child.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value
    ski = child.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    assert ski.digest, child.subject
print("verified", len(certs), "certificates:", certs[0].public_key().__class__.__name__)
