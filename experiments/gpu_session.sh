#!/usr/bin/env bash
# One prepared GPU call (the device budget is ~15 minutes). Run from the repository root on the GPU machine; what comes
# back is $OUT/results.tar.gz (result files and logs) and $OUT/summary.txt. Phases:
#   A. (optional) slices of a Fig. 1 grid, one process per configuration (FIG1_ARGS, FIG1_ONLY, FIG1_JSON), while the
#      kernel notebooks run on CUDA with poisoned outputs (an element a kernel does not write fails the comparison);
#      Other commands (JOBS, a file with one per line) run in parallel the same way. SKIP_KERNELS=1, SKIP_BENCH=1 skip
#      the kernel tests and phase B.
#   B. harmoq_bench alone on the GPU (it rewrites its file after every measurement, so a timeout keeps what finished).
# The lent machines have torch, triton, numpy, safetensors, tqdm and pillow but not fastcore or the nbdev toolchain, and
# no network: carry them as wheels in .whl/ (git-ignored; how to make it: experiments/README.md), and the data the run
# needs in .gpudata3/ (see experiments/README.md), e.g.
#   run(command="HARMOQ_COMMIT=<sha> FIG1_ARGS='--model dat-light --scale 2 --sets Set5,Set14,B100' \
#                FIG1_ONLY='W4A32 W32A4' FIG1_JSON=results/analysis/weight_vs_activation_dat-light_x2.json \
#                bash experiments/gpu_session.sh", carry=[".whl", ".gpudata3"])
set -uo pipefail
OUT=${OUT:-/tmp/harmoq_gpu_out}; mkdir -p "$OUT"
LOGS=/tmp/harmoq_logs; mkdir -p $LOGS /tmp/bin
nvidia-smi > $LOGS/nvidia-smi.txt 2>&1
if ! python3 -c "import fastcore, nbdev, execnb" 2>/dev/null; then
  [ -d .whl ] || { echo "fastcore/nbdev missing and no .whl/ carried"; exit 1; }
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PATH=/tmp/site/bin:$PATH PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1      # harmoq from this checkout, without installing it
[ -d .gpudata3/data ] && export HARMOQ_DATA=$PWD/.gpudata3/data
# console scripts named as installed, so that provenance records the command a user would type
for cli in harmoq_bench:bench harmoq_analysis_fig1:analysis.weight_vs_activation; do
  printf 'from harmoq.%s import %s\n%s()\n' "${cli#*:}" "${cli%%:*}" "${cli%%:*}" > /tmp/bin/${cli%%:*}
done
pack() { tar czf "$OUT/results.tar.gz" -C / tmp/harmoq_logs $(cd / && ls -d tmp/fig1 tmp/jobs 2>/dev/null) "$(pwd | cut -c2-)/results/bench" 2>/dev/null; cp $LOGS/summary.txt "$OUT/"; }
python3 -c "import torch, triton, PIL.features as f; print('torch', torch.__version__, 'triton', triton.__version__, 'cuda', torch.cuda.is_available(), 'webp', f.check('webp'))" | tee $LOGS/summary.txt

# A. Fig. 1 slices (each from a copy of FIG1_JSON, so finished configurations are not redone) beside the kernel tests
pids=()
if [ -n "${FIG1_ARGS:-}" ]; then
  mkdir -p /tmp/fig1
  for c in ${FIG1_ONLY}; do
    [ -f "${FIG1_JSON:-}" ] && cp "$FIG1_JSON" /tmp/fig1/$c.json
    OMP_NUM_THREADS=2 timeout "${FIG1_TIMEOUT:-300}" python3 /tmp/bin/harmoq_analysis_fig1 $FIG1_ARGS --device ${FIG1_DEVICE:-cuda} --only $c \
      --json /tmp/fig1/$c.json > $LOGS/fig1_$c.log 2>&1 &
    pids+=($!)
  done
fi
if [ -n "${JOBS:-}" ]; then   # any other commands, one per line, all at once (e.g. experiments/jobs_issue4.txt); their files go to /tmp/jobs
  mkdir -p /tmp/jobs; i=0
  while IFS= read -r cmd; do
    case "$cmd" in ''|'#'*) continue;; esac
    i=$((i+1)); OMP_NUM_THREADS=2 timeout "${JOBS_TIMEOUT:-400}" bash -c "$cmd" > $LOGS/job_$i.log 2>&1 &
    pids+=($!)
  done < "$JOBS"
fi
kernel_tests() {
  for nb in 50_kernels 51_fake_quant_kernel 52_packing 53_int_linear 54_layernorm_quant 55_deploy; do
    s=$(date +%s)
    HARMOQ_POISON=1 timeout 150 nbdev_test --path "nbs/$nb.ipynb" > $LOGS/test_$nb.log 2>&1
    echo "$nb rc=$? $(( $(date +%s) - s ))s" >> $LOGS/summary.txt
  done
}
[ -z "${SKIP_KERNELS:-}" ] && { timeout "${KERNEL_TIMEOUT:-300}" bash -c "$(declare -f kernel_tests); LOGS=$LOGS kernel_tests"; echo "kernel tests rc=$?" >> $LOGS/summary.txt; }
for p in "${pids[@]}"; do wait $p; echo "job pid $p rc=$?" >> $LOGS/summary.txt; done
pack
[ -n "${SKIP_BENCH:-}" ] && { cat $LOGS/summary.txt; exit 0; }

# B. the benchmark, alone on the GPU
timeout "${BENCH_TIMEOUT:-150}" python3 /tmp/bin/harmoq_bench --json results/bench/bench.json --warmup 5 --iters 30 ${BENCH_ARGS:-} > $LOGS/bench.log 2>&1
echo "harmoq_bench rc=$?" >> $LOGS/summary.txt
pack; cat $LOGS/summary.txt
true
