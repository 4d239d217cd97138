// The AWS SDK for JavaScript v3 against openpca: a root CA's whole life
// through ACM PCA, and STS. Run by cmd/openpca/js_test.go, which gives
//   OPENPCA_ENDPOINT   the server's URL
//   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   the root key
//   LEAF_CSR           a file holding the PEM CSR of the leaf to issue
//   ROLE_ARN           a role the root key may assume
// and reads one JSON object from stdout.
import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import {
  ACMPCAClient,
  CreateCertificateAuthorityCommand,
  DescribeCertificateAuthorityCommand,
  GetCertificateAuthorityCsrCommand,
  GetCertificateCommand,
  ImportCertificateAuthorityCertificateCommand,
  IssueCertificateCommand,
  ListCertificateAuthoritiesCommand,
  RevokeCertificateCommand,
  waitUntilCertificateAuthorityCSRCreated,
  waitUntilCertificateIssued,
} from "@aws-sdk/client-acm-pca";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const endpoint = process.env.OPENPCA_ENDPOINT;
const region = "us-east-1";
const pca = new ACMPCAClient({ endpoint, region, maxAttempts: 1 });
const sts = new STSClient({ endpoint, region, maxAttempts: 1 });
const waiter = { client: pca, maxWaitTime: 60, minDelay: 1, maxDelay: 2 };

function check(ok, msg) {
  if (!ok) throw new Error(msg);
}

// expectError runs fn and checks it fails with the named modeled exception.
async function expectError(name, fn) {
  try {
    await fn();
  } catch (err) {
    check(err.name === name, `want ${name}, got ${err.name}: ${err.message}`);
    check(err.$metadata?.httpStatusCode === 400, `${name}: HTTP ${err.$metadata?.httpStatusCode}`);
    return;
  }
  throw new Error(`want ${name}, the call succeeded`);
}

const caller = await sts.send(new GetCallerIdentityCommand({}));
check(caller.Arn === "arn:aws:iam::000000000000:root" && caller.Account === "000000000000", `caller ${JSON.stringify(caller)}`);

// A root CA: create, CSR, self-issued certificate, import.
const { CertificateAuthorityArn: caArn } = await pca.send(new CreateCertificateAuthorityCommand({
  CertificateAuthorityType: "ROOT",
  CertificateAuthorityConfiguration: {
    KeyAlgorithm: "EC_prime256v1",
    SigningAlgorithm: "SHA256WITHECDSA",
    Subject: { CommonName: "JavaScript SDK root", Organization: "openpca" },
  },
  IdempotencyToken: "js-root",
  Tags: [{ Key: "client", Value: "aws-sdk-js-v3" }],
}));
await waitUntilCertificateAuthorityCSRCreated(waiter, { CertificateAuthorityArn: caArn });
const { Csr: caCsr } = await pca.send(new GetCertificateAuthorityCsrCommand({ CertificateAuthorityArn: caArn }));
check(caCsr.startsWith("-----BEGIN CERTIFICATE REQUEST-----"), `CSR ${caCsr}`);

const { CertificateArn: rootCertArn } = await pca.send(new IssueCertificateCommand({
  CertificateAuthorityArn: caArn,
  Csr: new TextEncoder().encode(caCsr),
  SigningAlgorithm: "SHA256WITHECDSA",
  TemplateArn: "arn:aws:acm-pca:::template/RootCACertificate/V1",
  Validity: { Type: "YEARS", Value: 10 },
}));
await waitUntilCertificateIssued(waiter, { CertificateAuthorityArn: caArn, CertificateArn: rootCertArn });
const { Certificate: rootPem } = await pca.send(new GetCertificateCommand({ CertificateAuthorityArn: caArn, CertificateArn: rootCertArn }));
await pca.send(new ImportCertificateAuthorityCertificateCommand({
  CertificateAuthorityArn: caArn,
  Certificate: new TextEncoder().encode(rootPem),
}));
const { CertificateAuthority: ca } = await pca.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: caArn }));
check(ca.Status === "ACTIVE" && ca.Type === "ROOT", `CA ${ca.Status} ${ca.Type}`);
check(ca.NotAfter instanceof Date && ca.NotAfter > new Date(), `NotAfter ${ca.NotAfter}`);

// A leaf: issue, fetch with its chain, revoke.
const { CertificateArn: leafArn } = await pca.send(new IssueCertificateCommand({
  CertificateAuthorityArn: caArn,
  Csr: readFileSync(process.env.LEAF_CSR),
  SigningAlgorithm: "SHA256WITHECDSA",
  TemplateArn: "arn:aws:acm-pca:::template/EndEntityServerAuthCertificate/V1",
  Validity: { Type: "DAYS", Value: 7 },
  IdempotencyToken: "js-leaf",
}));
await waitUntilCertificateIssued(waiter, { CertificateAuthorityArn: caArn, CertificateArn: leafArn });
const leaf = await pca.send(new GetCertificateCommand({ CertificateAuthorityArn: caArn, CertificateArn: leafArn }));
const serial = new X509Certificate(leaf.Certificate).serialNumber.match(/../g).join(":");
await pca.send(new RevokeCertificateCommand({
  CertificateAuthorityArn: caArn,
  CertificateSerial: serial,
  RevocationReason: "KEY_COMPROMISE",
}));
await expectError("RequestAlreadyProcessedException", () => pca.send(new RevokeCertificateCommand({
  CertificateAuthorityArn: caArn, CertificateSerial: serial, RevocationReason: "KEY_COMPROMISE",
})));
await expectError("ResourceNotFoundException", () => pca.send(new DescribeCertificateAuthorityCommand({
  CertificateAuthorityArn: caArn.replace(/[0-9a-f]{12}$/, "000000000000"),
})));

// Lists, a page at a time.
const listed = [];
let NextToken;
do {
  const page = await pca.send(new ListCertificateAuthoritiesCommand({ MaxResults: 1, NextToken }));
  listed.push(...page.CertificateAuthorities.map((c) => c.Arn));
  NextToken = page.NextToken;
} while (NextToken);
check(listed.includes(caArn), `${caArn} not listed in ${listed}`);

// Temporary credentials from AssumeRole sign ACM PCA and STS calls.
const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: process.env.ROLE_ARN, RoleSessionName: "js" }));
check(assumed.Credentials.AccessKeyId.startsWith("ASIA") && assumed.Credentials.Expiration instanceof Date, `AssumeRole ${JSON.stringify(assumed)}`);
const credentials = {
  accessKeyId: assumed.Credentials.AccessKeyId,
  secretAccessKey: assumed.Credentials.SecretAccessKey,
  sessionToken: assumed.Credentials.SessionToken,
};
const session = await new STSClient({ endpoint, region, credentials, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
check(session.Arn === assumed.AssumedRoleUser.Arn, `session ${session.Arn}, assumed ${assumed.AssumedRoleUser.Arn}`);
const sessionPCA = new ACMPCAClient({ endpoint, region, credentials, maxAttempts: 1 });
const { CertificateAuthority: seen } = await sessionPCA.send(new DescribeCertificateAuthorityCommand({ CertificateAuthorityArn: caArn }));
check(seen.Arn === caArn, `session described ${seen.Arn}`);

process.stdout.write(JSON.stringify({
  caArn, rootPem, leafPem: leaf.Certificate, leafChain: leaf.CertificateChain, serial, listed, sessionArn: session.Arn,
}) + "\n");
