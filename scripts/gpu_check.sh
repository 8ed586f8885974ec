#!/usr/bin/env bash
# The CUDA path's proof, from the project root of a Linux machine with an NVIDIA GPU:  bash scripts/gpu_check.sh
#
# Runs the CUDA tests, then scripts/gpu_check.py, which prints one Markdown table (fp16 vs fp32 agreement, the first
# call at each ladder size, model and render-step latency at 720p and 1080p eager and graphed, and `greenroom
# process` fps at 720p and 1080p on CUDA and on the CPU). Everything goes to $OUT (default ./gpu-check-out):
# log.txt, pytest_cuda.txt, table.md, gpu_check.json. Budget: 8 minutes (PYTEST_TIMEOUT and FIGURES_TIMEOUT, in
# seconds, shorten it; GPU_CHECK_ARGS passes options to gpu_check.py, for example "--runs 20 --process-frames 150").
#
# It needs no package registry: it reuses the first Python whose PyTorch sees the GPU ($PYTHON, python3, or
# /opt/torch/.venv/bin/python3) through a virtual environment that inherits its packages, and installs wheels found in
# ./.whl first (bring the ones that machine lacks, for example PyAV: `pip download av --only-binary=:all: -d .whl`).
set -uo pipefail
[ -f pyproject.toml ] || { echo "run me from the Greenroom project root"; exit 2; }
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 QT_QPA_PLATFORM=offscreen PIP_DISABLE_PIP_VERSION_CHECK=1
WORK=${TMPDIR:-/tmp}/greenroom-gpu-check
VENV=$WORK/venv
START=$SECONDS
step() { echo; echo "=== [$((SECONDS - START)) s] $*"; }

main() {
  step "GPU"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || { echo "no NVIDIA driver"; exit 1; }

  step "Python with a CUDA build of PyTorch"
  BASE=
  for candidate in ${PYTHON:-} python3 /opt/torch/.venv/bin/python3; do
    "$candidate" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' 2>/dev/null && { BASE=$candidate; break; }
  done
  [ -n "$BASE" ] || { echo "no Python here has a PyTorch that sees the GPU; install one (pip install 'greenroom[cuda]')"; exit 1; }
  rm -rf "$VENV"
  "$BASE" -m venv --without-pip "$VENV"
  # The new environment sees the base interpreter's packages (its torch) behind its own.
  "$BASE" -c 'import site; print(*[f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()], sep="\n")' \
    >"$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/base-site.pth"
  PY=$VENV/bin/python
  if ls .whl/*.whl >/dev/null 2>&1; then
    "$BASE" -m pip --python "$PY" install -q --no-index --no-deps .whl/*.whl 2>/dev/null \
      || PYTHONPATH= "$PY" -c "import sys, zipfile, glob, sysconfig
for wheel in glob.glob('.whl/*.whl'): zipfile.ZipFile(wheel).extractall(sysconfig.get_paths()['purelib'])"
  fi
  export PYTHONPATH=$PWD
  "$PY" - <<'PYEOF'
import importlib.util, torch
missing = [name for name in ("av", "cv2", "onnxruntime", "safetensors", "PIL", "pytest", "psutil", "pyvirtualcam")
           if importlib.util.find_spec(name) is None]
print("torch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.get_device_name(0),
      torch.cuda.get_device_capability(0), torch.cuda.get_arch_list())
print("missing packages:", ", ".join(missing) or "none")
PYEOF

  step "pytest -m cuda (needs neither the shared data folder nor an optional package)"
  timeout "${PYTEST_TIMEOUT:-240}" "$PY" -m pytest -m cuda -rs -p no:cacheprovider -q tests/runtime tests/engine >"$OUT/pytest_cuda.txt" 2>&1
  tail -15 "$OUT/pytest_cuda.txt"

  step "figures"
  timeout "${FIGURES_TIMEOUT:-360}" "$PY" scripts/gpu_check.py --device cuda --json "$OUT/gpu_check.json" ${GPU_CHECK_ARGS:-} | tee "$OUT/table.md"
  step "done"
}

main 2>&1 | tee "$OUT/log.txt"
