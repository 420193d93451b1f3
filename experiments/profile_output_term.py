"""Where a step of HarmoQ's output term spends its time: DAT-light x4, W3A3 MinMax bounds, 4 LR 24x24 patches per step (the cpu
preset's batch), blocks not checkpointed (the cpu preset), torch.profiler over a few steps, plus the float and fake-quant forwards alone.
Run alone from the repository root with HARMOQ_DATA set; writes results/harmoq/profile_output_term_dat-light_x4.json.

    python experiments/profile_output_term.py [--steps 4] [--threads 2]
"""
import argparse, time, torch
from pathlib import Path
from torch.profiler import profile, ProfilerActivity
from harmoq.core import provenance, write_json, data_root
from harmoq.models import load_model
from harmoq.quant import quantize_model, QuantConfig
from harmoq.baselines import minmax, PRESETS, _bound_params
from harmoq.data import image_files, calibration_patches
from harmoq.calibration import distill_bounds

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--steps', type=int, default=4)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--json', default='results/harmoq/profile_output_term_dat-light_x4.json')
args = ap.parse_args()
torch.set_num_threads(args.threads)
dat = load_model('dat-light', 4).eval()
lr, _ = calibration_patches(image_files(data_root() / 'calib' / 'SunHays80'), PRESETS['cpu'].patches, 96, 4, seed=0)
q = quantize_model(dat, QuantConfig(3, 3)); minmax(q, dat, lr, PRESETS['cpu'])
distill_bounds(q, dat, lr, _bound_params(q), 2, 4, checkpoint=False)     # warm-up
t0 = time.time()
with profile(activities=[ProfilerActivity.CPU]) as p:
    distill_bounds(q, dat, lr, _bound_params(q), args.steps, 4, checkpoint=False, seed=1)
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
x = lr[:4]
fq_back = next(e for e in ev if e.key == 'FakeQuantFunctionBackward')
out = dict(setup=f'DAT-light x4, MinMax W3A3 bounds, distill_bounds (the output term) with 4 LR 24x24 patches per step, no block checkpointing; '
                 f'{args.steps} profiled steps after 2 warm-up steps',
           seconds_per_step_profiled=round(step_s, 3), self_cpu_total_s=total / 1e6,
           fake_quant_backward_share=fq_back.cpu_time_total / total, fake_quant_backward_s_per_step=fq_back.cpu_time_total / 1e6 / args.steps,
           float_forward_s=forward_seconds(lambda: dat(x)), fake_quant_forward_no_grad_s=forward_seconds(lambda: q(x)), top_ops=ops,
           provenance=provenance(argv=['experiments/profile_output_term.py', '--steps', str(args.steps), '--threads', str(args.threads)], seed=1))
write_json(out, Path(args.json))
print({k: v for k, v in out.items() if k not in ('top_ops', 'provenance')})
