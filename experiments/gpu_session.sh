#!/usr/bin/env bash
# One prepared GPU call (the device budget is ~15 minutes). Run from the repository root on the GPU machine; what comes
# back is $OUT/results.tar.gz (result files and logs) and $OUT/summary.txt. Phases:
#   A. the commands of a job file (JOBS, one per line; each writes its result files under /tmp/jobs), all at once,
#      while the kernel notebooks run on CUDA with poisoned outputs (an element a kernel does not write fails the
#      comparison; the outcome is written to /tmp/harmoq_logs/gpu_tests.json);
#   B. harmoq_bench alone on the GPU (it rewrites its file after every measurement, so a timeout keeps what finished).
# SKIP_KERNELS=1 and SKIP_BENCH=1 leave out the kernel notebooks and phase B.
# The lent machines have torch, triton, numpy, safetensors, tqdm and pillow but not fastcore or the nbdev toolchain, and
# no network: carry them as wheels in .whl/ and the data the jobs need in .gpudata3/ (both git-ignored; how to make
# them: experiments/README.md), e.g.
#   run(command="HARMOQ_COMMIT=<sha> JOBS=experiments/jobs_issue4.txt SKIP_BENCH=1 bash experiments/gpu_session.sh",
#       carry=[".whl", ".gpudata3"])
set -uo pipefail
OUT=${OUT:-/tmp/harmoq_gpu_out}; mkdir -p "$OUT"
LOGS=/tmp/harmoq_logs; mkdir -p $LOGS /tmp/bin /tmp/jobs
nvidia-smi > $LOGS/nvidia-smi.txt 2>&1
if ! python3 -c "import fastcore, nbdev, execnb" 2>/dev/null; then
  [ -d .whl ] || { echo "fastcore/nbdev missing and no .whl/ carried"; exit 1; }
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PATH=/tmp/site/bin:$PATH PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1      # harmoq from this checkout, without installing it
[ -d .gpudata3/data ] && export HARMOQ_DATA=$PWD/.gpudata3/data
# console scripts named as installed (/tmp/bin/<name>), so that provenance records the command a user would type
for cli in harmoq_bench:bench harmoq_analysis_fig1:analysis.weight_vs_activation harmoq_eval:cli; do
  printf 'from harmoq.%s import %s\n%s()\n' "${cli#*:}" "${cli%%:*}" "${cli%%:*}" > /tmp/bin/${cli%%:*}
done
pack() { tar czf "$OUT/results.tar.gz" -C / tmp/harmoq_logs tmp/jobs "$(pwd | cut -c2-)/results/bench" 2>/dev/null; cp $LOGS/summary.txt "$OUT/"; }
python3 -c "import torch, triton, PIL.features as f; print('torch', torch.__version__, 'triton', triton.__version__, 'cuda', torch.cuda.is_available(), 'webp', f.check('webp'))" | tee $LOGS/summary.txt

# A. the job file's commands, beside the kernel notebooks
pids=()
if [ -n "${JOBS:-}" ]; then
  i=0
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
if [ -z "${SKIP_KERNELS:-}" ]; then
  timeout "${KERNEL_TIMEOUT:-300}" bash -c "$(declare -f kernel_tests); LOGS=$LOGS kernel_tests"; echo "kernel tests rc=$?" >> $LOGS/summary.txt
  python3 - <<'EOF'   # the outcome as a result file (results/kernels/gpu_tests.json once committed)
import json, re, sys, torch, triton
from harmoq.core import provenance
s = open('/tmp/harmoq_logs/summary.txt').read()
nbs = [dict(notebook=f'{n}.ipynb', rc=int(rc), seconds=int(t)) for n, rc, t in re.findall(r'^(\d\d_\w+) rc=(\d+) (\d+)s$', s, re.M)]
rec = dict(kind='kernel notebooks on a GPU', provenance=provenance('cuda' if torch.cuda.is_available() else 'cpu', ['nbdev_test', '--path', 'nbs/<notebook>', '(HARMOQ_POISON=1, experiments/gpu_session.sh)']),
           triton=triton.__version__, poisoned_outputs=True, notebooks=nbs)
json.dump(rec, open('/tmp/harmoq_logs/gpu_tests.json', 'w'), indent=1)
EOF
fi
for p in "${pids[@]}"; do wait $p; echo "job pid $p rc=$?" >> $LOGS/summary.txt; done
pack
[ -n "${SKIP_BENCH:-}" ] && { cat $LOGS/summary.txt; exit 0; }

# B. the benchmark, alone on the GPU
timeout "${BENCH_TIMEOUT:-150}" python3 /tmp/bin/harmoq_bench --json results/bench/bench.json --warmup 5 --iters 30 ${BENCH_ARGS:-} > $LOGS/bench.log 2>&1
echo "harmoq_bench rc=$?" >> $LOGS/summary.txt
pack; cat $LOGS/summary.txt
true
