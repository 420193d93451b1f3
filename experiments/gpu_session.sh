#!/usr/bin/env bash
# One prepared GPU call (the device budget is ~15 minutes): the kernel checks on CUDA, then harmoq_bench.
# Run from the repository root on the GPU machine; results are copied to $OUT (the device tool brings that folder
# back). Tested on the CPU with --dry_run only: see nbs/56_bench.ipynb.
# The lent machines have torch, triton, numpy, safetensors, tqdm and pillow but not fastcore or the nbdev toolchain, and
# no network: carry them as wheels in .whl/ (git-ignored; how to make it: experiments/README.md), e.g.
#   run(command="bash experiments/gpu_session.sh", carry=[".whl"])
set -uo pipefail
OUT=${OUT:-/tmp/harmoq_gpu_out}; mkdir -p "$OUT"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
if ! python3 -c "import fastcore, nbdev, execnb" 2>/dev/null; then
  [ -d .whl ] || { echo "fastcore/nbdev missing and no .whl/ carried"; exit 1; }
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PATH=/tmp/site/bin:$PATH PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}      # harmoq from this checkout, without installing it
harmoq_bench() { python3 -c "from harmoq.bench import harmoq_bench; harmoq_bench()" "$@"; }
python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__, 'cuda', torch.cuda.is_available())" | tee "$OUT/versions.txt"
# 1. Kernel notebooks on CUDA (each test cell runs on the GPU when one is present); outputs poisoned so that an
#    element a kernel does not write fails the comparison.
for nb in 50_kernels 51_fake_quant_kernel 52_packing 53_int_linear 54_layernorm_quant 55_deploy; do
  s=$(date +%s)
  HARMOQ_POISON=1 timeout 300 nbdev_test --path "nbs/$nb.ipynb" > "$OUT/test_$nb.log" 2>&1
  echo "$nb rc=$? $(( $(date +%s) - s ))s" | tee -a "$OUT/kernel_tests.txt"
done
# 2. The benchmark (writes after every measurement, so a timeout keeps what finished).
timeout "${BENCH_TIMEOUT:-420}" harmoq_bench --json results/bench/bench.json --warmup 5 --iters 30 ${BENCH_ARGS:-} > "$OUT/bench.log" 2>&1
echo "harmoq_bench rc=$?" | tee -a "$OUT/kernel_tests.txt"
mkdir -p "$OUT/results/bench" && cp -f results/bench/*.json "$OUT/results/bench/" 2>/dev/null
true
