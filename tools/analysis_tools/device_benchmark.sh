#!/usr/bin/env bash
# GPU timings of the paper's model on a machine with torch + CUDA and no
# OpenMMLab package (a lent device):
#   bash tools/analysis_tools/device_benchmark.sh [WHEEL_DIR] [extra args]
# installs the wheels of WHEEL_DIR (default: wheels/, see device_wheels.txt)
# without an index, then runs device_benchmark.py (about 6 minutes on one
# H200: 2 x 12 training steps, 2 x 300 generated images of proxy masks).
# `--dry-run` checks the whole script on a CPU in a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."
WHEELS=${1:-wheels}
[ $# -gt 0 ] && shift
PYTHON=${PYTHON:-python}
if ! "$PYTHON" -c "import mmengine, mmcv, mmdet, mmpretrain, timm" 2>/dev/null; then
  [ -d "$WHEELS" ] || { echo "error: no OpenMMLab packages and no $WHEELS/" >&2; exit 2; }
  "$PYTHON" -m pip install -q --no-index --find-links "$WHEELS" --no-deps "$WHEELS"/*.whl
fi
PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} "$PYTHON" tools/analysis_tools/device_benchmark.py "$@"
