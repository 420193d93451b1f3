"""Where a step of HarmoQ's output term spends its time: DAT-light x4, W3A3 MinMax bounds, 4 LR 24x24 patches per step (the cpu
preset's batch before 2026-12-02; --batch 2 is today's), blocks not checkpointed (the cpu preset), torch.profiler over a few steps,
plus the float and fake-quant forwards alone. Then, in the same process and interleaved (rounds of A, B, C, then reversed),
seconds per step with `FakeQuantFunction`'s backward as shipped (large per-tensor inputs fused by torch.compile), its bit-exact
eager backward alone (HARMOQ_COMPILE=0) and its formulas as first written (one full-size tensor per formula, nbs/30 before
2026-12-02). The compile happens in the warm-up, and the teacher's targets are computed once before the rounds (distill_bounds
would compute them at every call), so the rounds time the steps alone.
Run alone from the repository root with HARMOQ_DATA set; adds a run (keyed by commit) to results/harmoq/profile_output_term_dat-light_x4.json.

    python experiments/profile_output_term.py [--steps 4] [--batch 4] [--threads 2] [--rounds 3]
"""
import argparse, json, os, statistics, time, torch
from pathlib import Path
from torch.profiler import profile, ProfilerActivity
from harmoq.core import provenance, write_json, data_root
from harmoq.models import load_model
from harmoq.quant import quantize_model, QuantConfig
from harmoq.baselines import minmax, PRESETS, _bound_params
from harmoq.data import image_files, calibration_patches
from harmoq.calibration import distill_bounds
from harmoq.quant import FakeQuantFunction
from harmoq.bench import cpu_info

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--steps', type=int, default=4)
ap.add_argument('--batch', type=int, default=4, help='patches per step')
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--rounds', type=int, default=3, help='interleaved rounds of the backward comparison')
ap.add_argument('--json', default='results/harmoq/profile_output_term_dat-light_x4.json')
args = ap.parse_args()
torch.set_num_threads(args.threads)
dat = load_model('dat-light', 4).eval()
lr, _ = calibration_patches(image_files(data_root() / 'calib' / 'SunHays80'), PRESETS['cpu'].patches, 96, 4, seed=0)
q = quantize_model(dat, QuantConfig(3, 3)); minmax(q, dat, lr, PRESETS['cpu'])
distill_bounds(q, dat, lr, _bound_params(q), 2, args.batch, checkpoint=False)     # warm-up (and torch.compile's first call)
t0 = time.time()
with profile(activities=[ProfilerActivity.CPU]) as p:
    distill_bounds(q, dat, lr, _bound_params(q), args.steps, args.batch, checkpoint=False, seed=1)
step_s = (time.time() - t0) / args.steps
ev = p.key_averages()
total = sum(e.self_cpu_time_total for e in ev)
ops = sorted(({'name': e.key, 'self_s': e.self_cpu_time_total / 1e6, 'total_s': e.cpu_time_total / 1e6, 'calls': e.count} for e in ev),
             key=lambda r: -r['self_s'])[:25]
def forward_seconds(f, reps=3):
    with torch.no_grad():
        f(); t = time.time()
        for _ in range(reps): f()
        return (time.time() - t) / reps
x = lr[:args.batch]
fq_back = next(e for e in ev if e.key == 'FakeQuantFunctionBackward')
out = dict(setup=f'DAT-light x4, MinMax W3A3 bounds, distill_bounds (the output term) with {args.batch} LR 24x24 patches per step, no block checkpointing; '
                 f'{args.steps} profiled steps after 2 warm-up steps',
           seconds_per_step_profiled=round(step_s, 3), self_cpu_total_s=total / 1e6,
           fake_quant_backward_share=fq_back.cpu_time_total / total, fake_quant_backward_s_per_step=fq_back.cpu_time_total / 1e6 / args.steps,
           float_forward_s=forward_seconds(lambda: dat(x)), fake_quant_forward_no_grad_s=forward_seconds(lambda: q(x)), top_ops=ops, cpu=cpu_info(),
           provenance=provenance(argv=['experiments/profile_output_term.py', '--steps', str(args.steps), '--batch', str(args.batch), '--threads', str(args.threads), '--rounds', str(args.rounds)], seed=1))

def backward_as_written(ctx, g):
    "FakeQuantFunction.backward as first written: derivatives.yaml's formulas, one full-size tensor each (the reference of the comparison)."
    x, lo, hi = ctx.saved_tensors
    need_x, need_lo, need_hi = ctx.needs_input_grad[:3]
    bounds = need_lo or need_hi
    step = (hi - lo) / ctx.n
    m = torch.maximum(x, lo)
    u = torch.minimum(m, hi) - lo
    g_t = g * step
    if bounds:
        gs = (g * torch.round(u / step)).sum_to_size(step.shape)
        gs = gs + (-g_t * ((u / step) / step)).sum_to_size(step.shape)
    g_u = g_t / step
    g_lo = g_hi = g_x = None
    if need_lo: g_lo = g.sum_to_size(lo.shape) + (-g_u).sum_to_size(lo.shape)
    tie = m == hi
    if need_hi: g_hi = torch.where(tie, g_u / 2, g_u).masked_fill_(m < hi, 0).sum_to_size(hi.shape)
    g_m = torch.where(tie, g_u / 2, g_u).masked_fill_(m > hi, 0)
    tie = x == lo
    if need_x: g_x = torch.where(tie, g_m / 2, g_m).masked_fill_(x < lo, 0)
    if need_lo: g_lo = g_lo + torch.where(tie, g_m / 2, g_m).masked_fill_(x > lo, 0).sum_to_size(lo.shape)
    if bounds:
        gd = gs / ctx.n
        if need_hi: g_hi = g_hi + gd
        if need_lo: g_lo = g_lo + (-gd)
    return g_x, g_lo, g_hi, None

import harmoq.calibration as calibration
targets = calibration.teacher_targets(dat, lr, calibration.block_names(q), args.batch)
teacher_targets, calibration.teacher_targets = calibration.teacher_targets, lambda *a, **k: targets   # the same patches in every round
shipped = FakeQuantFunction.backward
variants = {'as shipped': (shipped, '1'), 'bit-exact eager (HARMOQ_COMPILE=0)': (shipped, '0'),
            'as first written': (staticmethod(backward_as_written), '0')}
times, losses = {k: [] for k in variants}, {}
env = os.environ.get('HARMOQ_COMPILE')
for r in range(args.rounds):
    for k, (bw, comp) in (variants.items() if r % 2 == 0 else reversed(list(variants.items()))):
        FakeQuantFunction.backward = bw; os.environ['HARMOQ_COMPILE'] = comp
        qk = quantize_model(dat, QuantConfig(3, 3)); qk.load_state_dict(q.state_dict())
        t = time.time(); h = distill_bounds(qk, dat, lr, _bound_params(qk), args.steps, args.batch, checkpoint=False, seed=2)
        times[k].append((time.time() - t) / args.steps); losses[k] = h
FakeQuantFunction.backward = shipped; calibration.teacher_targets = teacher_targets
if env is None: os.environ.pop('HARMOQ_COMPILE', None)
else: os.environ['HARMOQ_COMPILE'] = env
out['backward_comparison'] = dict(rounds=args.rounds, teacher_targets='computed once, outside the timed rounds', steps_per_round=args.steps, seconds_per_step=times,
                                  median=dict((k, statistics.median(v)) for k, v in times.items()),
                                  same_losses_eager=losses['bit-exact eager (HARMOQ_COMPILE=0)'] == losses['as first written'],
                                  max_loss_difference_fused=max(abs(a - b) for a, b in zip(losses['as shipped'], losses['as first written'])))
path = Path(args.json)
runs = json.loads(path.read_text()).get('runs', {}) if path.exists() else {}
runs[out['provenance']['commit'][:12]] = out
write_json(dict(runs=runs), path)
print({k: v for k, v in out.items() if k not in ('top_ops', 'provenance')})
