#!/usr/bin/env bash
# Fails when the committed API model or the code generated from it is stale:
# re-trims the model from the installed botocore (when it is the recorded
# version), regenerates, and diffs against what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

model=api/acm-pca/2017-08-22/service-2.json
generated=internal/acmpca/api

recorded=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["botocoreVersion"])' "$model")
if installed=$(python3 -c 'import botocore; print(botocore.__version__)' 2>/dev/null); then
	if [ "$installed" = "$recorded" ]; then
		python3 scripts/trim-model.py
	else
		echo "check-generated: botocore $installed is installed but the model records $recorded;" >&2
		echo "  to move to $installed, run scripts/trim-model.py and go generate ./$generated/ and commit." >&2
		echo "  Skipping the model check." >&2
	fi
else
	echo "check-generated: botocore is not installed; skipping the model check" >&2
fi

go generate "./$generated/"

status=0
git diff --exit-code -- "$model" "$generated" || status=1
untracked=$(git ls-files --others --exclude-standard -- "$model" "$generated"/zz_generated_*.go)
if [ -n "$untracked" ]; then
	echo "check-generated: not committed: $untracked" >&2
	status=1
fi
if [ "$status" -ne 0 ]; then
	echo "check-generated: generated files are stale; run scripts/check-generated.sh and commit the result" >&2
fi
exit "$status"
