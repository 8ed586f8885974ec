#!/usr/bin/env bash
# Train on a machine with an NVIDIA GPU for a few minutes, from a data pack, and keep what is worth bringing back:
#
#   bash scripts/gpu_train.sh RECIPE PACK MINUTES [training flags...]
#
# RECIPE: a run's config.json (docs/model/*-config.json); PACK: a data pack written here with the same recipe
# (python -m segmentation.training.pack --out PACK --pack-max-side 256 --pack-quality 85 --config RECIPE); MINUTES:
# the training's wall-clock budget (the learning rate decays over it, and the run ends with its EMA checkpoints).
# Flags after MINUTES override the recipe, for example --init spec:assets/models/greenroom-person-v6.json --seed 5.
# The GPU settings come after the recipe and before those flags: a few input shapes (--sample-scale-steps 3: cuDNN
# sets up each new shape for seconds) and 14 loader workers.
#
# Everything goes to $OUT (default ./gpu-train-out): log.txt, and the run's config.json, log.csv, curves.png and the
# float16 copies of its EMA checkpoints, best_ema_fp16.pt and final_ema_fp16.pt (9 MiB each; they export to the same
# model as the float32 checkpoints: python -m segmentation.training.half_checkpoint). Back on a workstation:
#   python -m segmentation.export --checkpoint OUT/best_ema_fp16.pt --name NAME --out DIR \
#     --onnx-precision int8 --calibration-images <data>/people/web_photos/images
#
# It needs no package registry: the machine's Python with a CUDA build of PyTorch ($PYTHON, else python3), OpenCV,
# NumPy, tqdm and matplotlib. MINUTES is the training's budget alone: reading the pack, the last validation and the
# copies come on top. GREENROOM_TRAIN_ON_CPU=1 runs it without a GPU (slowly: to try the script).
set -uo pipefail
[ -f pyproject.toml ] || { echo "run me from the Greenroom project root"; exit 2; }
[ $# -ge 3 ] || { sed -n '2,4p' "$0"; exit 2; }
RECIPE=$1 PACK=$2 MINUTES=$3
shift 3
OUT=${OUT:-$PWD/gpu-train-out}
RUN=${TMPDIR:-/tmp}/greenroom-gpu-train
PY=${PYTHON:-python3}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD
START=$SECONDS
step() { echo; echo "=== [$((SECONDS - START)) s] $*"; }

main() {
  step "Python and GPU"
  "$PY" -c 'import sys, torch; print("torch", torch.__version__, "CUDA", torch.version.cuda,
torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU visible")' || exit 1
  if [ -z "${GREENROOM_TRAIN_ON_CPU:-}" ]; then
    "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())' \
      || { echo "no GPU: PyTorch here sees none (set PYTHON to a Python whose PyTorch does)"; exit 1; }
  fi
  [ -f "$PACK/manifest.json" ] || { echo "$PACK is not a data pack (no manifest.json)"; exit 1; }

  step "train: $RECIPE from $PACK for $MINUTES minutes"
  rm -rf "$RUN"
  "$PY" -m segmentation.training --config "$RECIPE" --sample-scale-steps 3 --workers 14 "$@" \
    --data-pack "$PACK" --time-budget-minutes "$MINUTES" --run-dir "$RUN"
  [ -f "$RUN/best_ema.pt" ] || { echo "the run wrote no best_ema.pt"; exit 1; }

  step "float16 copies of the EMA checkpoints"
  for name in best_ema final_ema; do
    [ -f "$RUN/$name.pt" ] && "$PY" -m segmentation.training.half_checkpoint "$RUN/$name.pt" "$OUT/${name}_fp16.pt"
  done
  cp "$RUN/config.json" "$RUN/log.csv" "$OUT/"
  [ -f "$RUN/curves.png" ] && cp "$RUN/curves.png" "$OUT/"
  tail -3 "$RUN/log.csv"
  step "done"
}

main "$@" 2>&1 | tee "$OUT/log.txt"
