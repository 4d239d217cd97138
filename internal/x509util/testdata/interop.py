"""Independent check of certificates and CSRs written by interop_test.go.

Usage: python3 interop.py MANIFEST.json. Parsing failures are fatal; ML-DSA
signature checks are skipped, with a line saying so, only when this
cryptography build cannot do ML-DSA.
"""

import json
import os
import sys

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

try:
    from cryptography.hazmat.primitives.asymmetric import mldsa

    MLDSA = {
        "ML_DSA_44": mldsa.MLDSA44PublicKey,
        "ML_DSA_65": mldsa.MLDSA65PublicKey,
        "ML_DSA_87": mldsa.MLDSA87PublicKey,
    }
    mldsa.MLDSA44PublicKey.from_public_bytes(b"\0" * 1312)
except (ImportError, UnsupportedAlgorithm) as e:
    MLDSA = None
    print(f"SKIP ML-DSA key and signature checks: {e!r}")


def load(d, name, loader):
    with open(os.path.join(d, name), "rb") as f:
        return loader(f.read())


def ext(cert, cls):
    return cert.extensions.get_extension_for_class(cls).value


def cn(name):
    return name.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def check_mldsa_key(pub_or_none, entry, which):
    if MLDSA is None or entry[which + "_key"] not in MLDSA:
        return
    pub = pub_or_none()
    assert isinstance(pub, MLDSA[entry[which + "_key"]]), type(pub)
    assert pub.public_bytes_raw().hex() == entry[which + "_key_raw"], which + " key bytes differ"


def verify(issuer_pub, signature, data):
    """Verifies an ML-DSA signature (pure, empty context) and that a bit flip breaks it."""
    issuer_pub.verify(signature, data)
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 1
    try:
        issuer_pub.verify(signature, bytes(bad))
    except InvalidSignature:
        return
    raise AssertionError("tampered data verified")


def check(d, e):
    root = load(d, e["root"], x509.load_der_x509_certificate)
    leaf = load(d, e["leaf"], x509.load_der_x509_certificate)
    csr = load(d, e["csr"], x509.load_der_x509_csr)

    assert cn(root.subject) == e["root_cn"]
    assert cn(leaf.subject) == e["leaf_cn"]
    assert leaf.issuer == root.subject
    assert leaf.serial_number == e["leaf_serial"]
    assert root.serial_number == e["root_serial"]
    for c in (root, leaf):
        assert c.signature_algorithm_oid.dotted_string == e["sig_oid"], c.signature_algorithm_oid

    assert ext(root, x509.BasicConstraints).ca is True
    assert ext(leaf, x509.BasicConstraints).ca is False
    assert ext(root, x509.KeyUsage).key_cert_sign is True
    assert ext(leaf, x509.KeyUsage).digital_signature is True
    eku = ext(leaf, x509.ExtendedKeyUsage)
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku and ExtendedKeyUsageOID.CLIENT_AUTH in eku
    assert ext(leaf, x509.SubjectAlternativeName).get_values_for_type(x509.DNSName) == [e["leaf_cn"]]
    assert ext(leaf, x509.CRLDistributionPoints)[0].full_name[0].value == "http://crl.example.test/ca.crl"
    assert ext(root, x509.SubjectKeyIdentifier).digest.hex() == e["root_ski"]
    assert ext(leaf, x509.SubjectKeyIdentifier).digest.hex() == e["leaf_ski"]
    assert ext(leaf, x509.AuthorityKeyIdentifier).key_identifier.hex() == e["root_ski"]

    check_mldsa_key(root.public_key, e, "root")
    check_mldsa_key(leaf.public_key, e, "leaf")
    check_mldsa_key(csr.public_key, e, "root")
    # SKI method 1 recomputed from the parsed key, where the key parses.
    if MLDSA is not None or not e["leaf_key"].startswith("ML_DSA"):
        want = x509.SubjectKeyIdentifier.from_public_key(leaf.public_key()).digest.hex()
        assert want == e["leaf_ski"], "leaf SKI is not SHA-1 of the subject key"

    assert cn(csr.subject) == e["csr_cn"]
    if not e["mldsa_sig"]:
        leaf.verify_directly_issued_by(root)
        root.verify_directly_issued_by(root)
        assert csr.is_signature_valid
        return "classic"
    if MLDSA is None:
        return "parsed"
    verify(root.public_key(), leaf.signature, leaf.tbs_certificate_bytes)
    verify(root.public_key(), root.signature, root.tbs_certificate_bytes)
    verify(csr.public_key(), csr.signature, csr.tbs_certrequest_bytes)
    return "ml-dsa"


def main():
    path = sys.argv[1]
    d = os.path.dirname(path)
    with open(path) as f:
        entries = json.load(f)
    counts = {}
    for e in entries:
        try:
            kind = check(d, e)
        except Exception as ex:
            raise SystemExit(f"{e['name']}: {ex!r}")
        counts[kind] = counts.get(kind, 0) + 1
    print(f"OK {len(entries)} chains: {counts}")


main()
