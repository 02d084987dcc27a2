#!/usr/bin/env bash
# Prepare AVA under $DATA_ROOT (default data/ava): annotations (v2.2),
# person proposals, the trainval films and their 15-minute segments.
# Extra arguments go to the `all` step of prepare_ava.py, e.g.
#   bash tools/data/ava/prepare_ava.sh --frames        # also extract frames
#   bash tools/data/ava/prepare_ava.sh --version 2.1 --dry-run
# Re-running skips what is already there. See docs/data_preparation.md.
set -euo pipefail
DATA_ROOT=${DATA_ROOT:-data/ava}
JOBS=${JOBS:-4}
python "$(dirname "$0")/prepare_ava.py" --data-root "$DATA_ROOT" \
    --jobs "$JOBS" all "$@"
