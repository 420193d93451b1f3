#!/usr/bin/env bash
# One prepared GPU call (the device budget is ~15 minutes): the kernel checks on CUDA, then harmoq_bench.
# Run from the repository root on the GPU machine, with harmoq installed (pip install -e ".[dev]"); results are copied
# to $OUT (the device tool brings that folder back). Tested on the CPU with --dry_run only: see nbs/56_bench.ipynb.
set -uo pipefail
OUT=${OUT:-/tmp/harmoq_gpu_out}; mkdir -p "$OUT"
nvidia-smi > "$OUT/nvidia-smi.txt" 2>&1
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
