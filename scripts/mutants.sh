#!/usr/bin/env bash
# Applies, one at a time, mutants that break a promise the project makes
# (durability, lint, OCSP, CRL numbering and fencing, scheduling, the
# store's due flag), runs the tests that hold that promise, and reports the
# mutants no test killed. Needs the test servers of scripts/test.sh
# (versitygw, PostgreSQL) in the environment. Not run by CI: each mutant
# costs a build and a test run.
#
#   eval "$(scripts/test-services/versitygw.sh start)"; eval "$(scripts/test-services/postgres.sh start)"
#   scripts/mutants.sh            # every mutant
#   scripts/mutants.sh fence      # the mutants whose name contains "fence"
set -uo pipefail
cd "$(dirname "$0")/.."

# name | file | sed expression (must change the file) | packages | test regexp
mutants=(
	"sqlite-synchronous-off|internal/store/sqlite/sqlite.go|s/\"synchronous(FULL)\"/\"synchronous(OFF)\"/|./internal/store/sqlite/|TestConnectionPragmas"
	"crl-number-not-forced|internal/crlpub/publish.go|s/number := max(prev.Number+1, now.UnixMilli(), onObject+1)/number := now.UnixMilli() + 0*(prev.Number+onObject)/|./internal/server/|TestCRLNumberGrowsWhenClockStepsBack"
	"crl-upload-unfenced|internal/crlpub/publish.go|s/_, err := p.objects.PutIf(leased, bucket, objectKey, \&progressReader{file, prog}, put)/_, err := p.objects.PutIf(leased, bucket, objectKey, \&progressReader{file, prog}, objstore.PutOptions{ACL: put.ACL, Metadata: put.Metadata})/|./internal/server/|TestCRLDrillLateUploadFenced"
	"crl-lease-renewed-without-progress|internal/crlpub/lease.go|s/if idle := prog.idle(); idle > p.cfg.Stall {/if idle := prog.idle(); idle > 100*p.cfg.Stall {/|./internal/server/|TestCRLDrillThreeNodesOneBlackHoled"
	"crl-one-worker|internal/crlpub/crlpub.go|s/cfg.Workers = 4/cfg.Workers = 1/|./internal/server/|TestCRLDrillBlackHoleOneBucket"
	"crl-spacing-counts-waits|internal/crlpub/publish.go|s/work = time.Since(began)/work = 20 * time.Second/|./internal/server/|TestCRLDrillFrozenS3"
	"issuance-not-linted|internal/pca/issue.go|s/if err := issuance.Lint(der); err != nil {/if err := error(nil); err != nil {/|./internal/server/|TestLintRefusesIssuance"
	"revoke-not-scheduling|internal/pca/revoke.go|s/s.CRLs.Revoked(ca.Account, ca.ID, cert.Partition, cert.RevokedAt)/_ = cert/|./internal/server/|TestCRLFollowsRevocationWithoutScan"
	"ocsp-not-invalidated|internal/pca/revoke.go|s/s.OCSP.Revoked(ca.ID, hex)/_ = hex/|./internal/server/|TestOCSPCachedAnswerRevokedAtOnce"
	"store-revocation-not-due|internal/store/sqlstore/revoke.go|s/dirty_since = CASE WHEN crls.dirty_since = 0 THEN excluded.dirty_since ELSE crls.dirty_since END,/dirty_since = crls.dirty_since,/|./internal/store/sqlite/|TestConformance"
	"latency-from-stale-dirty|internal/store/sqlstore/revoke.go|s/unpublished_since = \`+unpublished+\`, dirty_since/unpublished_since = unpublished_since, dirty_since/|./internal/server/|TestCRLPublicationLatencyMetric"
)

filter=${1:-}
survivors=()
for m in "${mutants[@]}"; do
	IFS='|' read -r name file expr pkgs run <<<"$m"
	[[ -n $filter && $name != *"$filter"* ]] && continue
	cp "$file" "$file.orig"
	sed -i "$expr" "$file"
	if cmp -s "$file" "$file.orig"; then
		mv "$file.orig" "$file"
		echo "mutant $name: the expression no longer applies to $file"
		survivors+=("$name (stale)")
		continue
	fi
	if go test -count=1 -run "^($run)\$" $pkgs >/tmp/mutant-$name.log 2>&1; then
		echo "mutant $name: SURVIVED ($run in $pkgs passed)"
		survivors+=("$name")
	else
		echo "mutant $name: killed"
	fi
	mv "$file.orig" "$file"
done
if [ ${#survivors[@]} -gt 0 ]; then
	echo "surviving mutants: ${survivors[*]}"
	exit 1
fi
echo "every mutant was killed"
