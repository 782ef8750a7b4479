#!/usr/bin/env bash
# Turn a machine with Python 3.11, pip and gcc into a working .venv for mmboxcaseg.
#
#   bash tools/setup_env.sh            # creates/updates ./.venv
#
# Environment knobs (all optional):
#   VENV=path           where the virtual environment lives          (default: .venv)
#   PYTHON=python3.11   interpreter used to create it                 (default: python3.11, else python3)
#   TORCH_SPEC="torch==2.14.1 torchvision==0.29.1"
#                       what to install when the venv has no torch yet. A torch already in the
#                       venv (e.g. your own CUDA build) is always kept.
#   FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST="8.0;9.0"
#                       build mmcv's CUDA ops (see docs/get_started.md)
#   MMCV_WHEEL_CACHE=dir
#                       where built mmcv wheels are kept (default: ~/.cache/mmboxcaseg/wheels),
#                       one folder per (mmcv version, torch version, cpu|cuXY).
#   MAX_JOBS=N          parallel compile jobs for mmcv (default: number of cores)
#   MIN_FREE_GB=N       free space asked of the venv's and $TMPDIR's disks before torch is
#                       installed (default 10: the venv ends at ~6.5 GB with PyPI's torch and
#                       pip unpacks beside it; 0 skips the check)
#
# Idempotent: a second run checks a stamp and returns in seconds when nothing changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
VENV=${VENV:-.venv}
MMCV_VERSION=2.1.0
TORCH_SPEC=${TORCH_SPEC:-"torch==2.14.1 torchvision==0.29.1"}
MMCV_WHEEL_CACHE=${MMCV_WHEEL_CACHE:-"$HOME/.cache/mmboxcaseg/wheels"}
export MAX_JOBS=${MAX_JOBS:-$(nproc 2>/dev/null || echo 2)}

step() { printf '\n[setup_env] %s\n' "$*"; }
fail() { trap - EXIT; printf '\n[setup_env] FAILED at step "%s": %s\n' "$CURRENT_STEP" "$*" >&2; exit 1; }
CURRENT_STEP=start
trap 'rc=$?; [ $rc -ne 0 ] && printf "\n[setup_env] FAILED at step \"%s\" (exit %s); see the output above.\n" "$CURRENT_STEP" "$rc" >&2' EXIT

# ---------------------------------------------------------------- 1. interpreter + venv
# A full disk makes pip fail deep inside the torch install with "[Errno 28]"; say it
# before starting, when torch is still to come (a venv with torch needs little more).
CURRENT_STEP="check free disk space"
MIN_FREE_GB=${MIN_FREE_GB:-10}
free_gb() { df -Pk "$1" 2>/dev/null | awk 'NR == 2 { printf "%d", $4 / 1048576 }'; }
if [ "$MIN_FREE_GB" != 0 ] && ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  venv_parent=$(dirname "$VENV")
  for dir in "$venv_parent" "${TMPDIR:-/tmp}"; do
    have=$(free_gb "$dir")
    if [ -n "$have" ] && [ "$have" -lt "$MIN_FREE_GB" ]; then fail "only $have GB free on the disk of '$dir'; installing torch into $VENV needs ~$MIN_FREE_GB GB (free some space, point VENV or TMPDIR at a larger disk, or set MIN_FREE_GB=0 to try anyway)"; fi
  done
fi

CURRENT_STEP="create virtual environment"
if [ -z "${PYTHON:-}" ]; then
  if command -v python3.11 >/dev/null 2>&1; then PYTHON=python3.11; else PYTHON=python3; fi
fi
command -v "$PYTHON" >/dev/null 2>&1 || fail "no interpreter '$PYTHON' on PATH; set PYTHON=/path/to/python3.11"
if [ ! -x "$VENV/bin/python" ]; then
  step "creating $VENV with $($PYTHON --version 2>&1)"
  "$PYTHON" -m venv "$VENV" || fail "'$PYTHON -m venv $VENV' failed (Debian: apt-get install python3-venv)"
fi
PY="$ROOT/$VENV/bin/python"
[ -x "$PY" ] || PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

# A stamp of everything that decides the environment: when it matches, we are done.
stamp_file="$VENV/.mmboxcaseg-setup-stamp"
stamp() {
  {
    cat requirements/*.txt setup.py setup.cfg tools/setup_env.sh 2>/dev/null
    echo "torch_spec=$TORCH_SPEC force_cuda=${FORCE_CUDA:-0} arch=${TORCH_CUDA_ARCH_LIST:-}"
    "$PY" - <<'EOF' 2>/dev/null || echo "no-torch"
import torch; print(torch.__version__, torch.version.cuda)
EOF
  } | sha256sum | cut -d' ' -f1
}
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$(stamp)" ] \
   && "$PY" -c "import mmboxcaseg, mmcv.ops, mmdet, mmpretrain" >/dev/null 2>&1; then
  step "environment is up to date ($VENV); nothing to do"
  trap - EXIT
  exit 0
fi

# ---------------------------------------------------------------- 2. build tools
CURRENT_STEP="install build tools"
step "build tools (pip, setuptools<80.9, wheel, ninja)"
"${PIP[@]}" install -q --upgrade "pip>=23" || fail "could not upgrade pip"
"${PIP[@]}" install -q -r requirements/build.txt || fail "could not install requirements/build.txt"
# before mmcv is built: its setup.py then records opencv-python-headless (no libGL needed) as its dependency
"${PIP[@]}" install -q "opencv-python-headless>=4.8" || fail "could not install opencv-python-headless"

# ---------------------------------------------------------------- 3. torch
CURRENT_STEP="install torch"
if "$PY" -c "import torch, torchvision" >/dev/null 2>&1; then
  step "keeping the torch already in $VENV: $("$PY" -c 'import torch; print(torch.__version__)')"
else
  step "installing $TORCH_SPEC (large: a few minutes)"
  # shellcheck disable=SC2086
  "${PIP[@]}" install -q $TORCH_SPEC || fail "could not install '$TORCH_SPEC'; set TORCH_SPEC to a torch/torchvision pair your pip can reach"
fi
TORCH_VERSION=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0])')
TORCH_MAJOR_MINOR=$("$PY" -c 'import torch; print(".".join(torch.__version__.split(".")[:2]))')
if [ "${FORCE_CUDA:-0}" = "1" ] || "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  DEVICE_TAG="cu$("$PY" -c 'import torch; print((torch.version.cuda or "none").replace(".", ""))')"
  export FORCE_CUDA=1
else
  DEVICE_TAG=cpu
fi

# ---------------------------------------------------------------- 4. mmcv with ops
CURRENT_STEP="build mmcv $MMCV_VERSION with ops"
mmcv_ok() {
  "$PY" - <<EOF >/dev/null 2>&1
import mmcv, mmcv.ops, torch
from mmcv.ops import nms
assert mmcv.__version__ == "$MMCV_VERSION"
b = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]]); s = torch.tensor([0.9, 0.8])
nms(b, s, 0.5)
EOF
}
built_for_file="$VENV/.mmcv-built-for"
key="mmcv-$MMCV_VERSION-torch$TORCH_VERSION-$DEVICE_TAG"
if mmcv_ok && [ "$(cat "$built_for_file" 2>/dev/null)" = "$key" ]; then
  step "mmcv $MMCV_VERSION with ops already installed for $key"
else
  cache_dir="$MMCV_WHEEL_CACHE/$key"
  wheel=$(ls "$cache_dir"/mmcv-*.whl 2>/dev/null | head -n1 || true)
  if [ -z "$wheel" ]; then
    step "compiling mmcv $MMCV_VERSION with ops against torch $TORCH_VERSION ($DEVICE_TAG), $MAX_JOBS jobs (~7 min on 2 cores)"
    work=$(mktemp -d)
    "${PIP[@]}" download -q --no-deps --no-binary :all: --no-build-isolation "mmcv==$MMCV_VERSION" -d "$work" \
      || fail "could not download the mmcv $MMCV_VERSION source archive from the package index"
    tar -xzf "$work"/mmcv-"$MMCV_VERSION".tar.gz -C "$work"
    src="$work/mmcv-$MMCV_VERSION"
    # torch >= 2.6 headers need C++20; mmcv 2.1.0 asks for C++14/17.
    if [ "$(printf '%s\n' "2.6" "$TORCH_MAJOR_MINOR" | sort -V | head -n1)" = "2.6" ]; then
      sed -i -e 's/-std=c++14/-std=c++20/g' -e 's/-std=c++17/-std=c++20/g' "$src/setup.py"
    fi
    mkdir -p "$cache_dir"
    (cd "$src" && MMCV_WITH_OPS=1 "${PIP[@]}" wheel --no-build-isolation --no-deps --no-cache-dir -w "$cache_dir" . ) \
      || { rm -rf "$cache_dir"; fail "compiling mmcv failed (needs gcc/g++ and the Python headers; see docs/get_started.md)"; }
    rm -rf "$work"
    wheel=$(ls "$cache_dir"/mmcv-*.whl | head -n1)
  else
    step "using cached mmcv wheel $wheel"
  fi
  "${PIP[@]}" install -q --no-deps --force-reinstall "$wheel" || fail "could not install $wheel"
  "${PIP[@]}" install -q addict "mmengine>=0.10.4,<0.11" numpy packaging Pillow pyyaml yapf \
    || fail "could not install mmcv's pure-python dependencies"
  mmcv_ok || fail "mmcv.ops does not import or run after installing $wheel"
  echo "$key" > "$built_for_file"
fi

# ---------------------------------------------------------------- 5. the rest + the package
CURRENT_STEP="install OpenMMLab packages and mmboxcaseg"
step "mmengine, mmdet, mmpretrain, runtime + test requirements, mmboxcaseg (editable)"
"${PIP[@]}" install -q -r requirements/mminstall.txt -r requirements/runtime.txt \
  -r requirements/tests.txt -r requirements/optional.txt \
  || fail "could not install the requirements"
# openmim for `mim search/train/test mmboxcaseg`, without its data-download
# dependencies (opendatalab -> openxlab pins setuptools 60, which breaks torch)
"${PIP[@]}" install -q -r requirements/mim.txt || fail "could not install requirements/mim.txt"
"${PIP[@]}" install -q --no-deps "openmim==0.3.9" || fail "could not install openmim"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e . || fail "could not install mmboxcaseg in editable mode"
# An editable (PEP 660) install leaves no mmboxcaseg/ in site-packages, where
# `mim search|train|test mmboxcaseg` (openmim) looks for the package's .mim
# folder: point a link there at the source tree.
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ ! -e "$SITE/mmboxcaseg" ] || [ -L "$SITE/mmboxcaseg" ]; then
  ln -sfn "$ROOT/mmboxcaseg" "$SITE/mmboxcaseg"
fi

CURRENT_STEP="check imports"
"$PY" -c "import mmboxcaseg, mmcv.ops, mmdet, mmpretrain; print('mmboxcaseg', mmboxcaseg.__version__, '| mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, '| mmpretrain', mmpretrain.__version__)" \
  || fail "the installed packages do not import together"
stamp > "$stamp_file"
trap - EXIT
step "done: $VENV is ready"
