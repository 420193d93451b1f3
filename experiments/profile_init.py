"""Where HarmoQ's cpu preset spends its first phase (HSO and the initial bounds, `hso_and_init` in results/harmoq/cpu_time_*.json)
at 32 and at 128 calibration patches: DAT-light x4 W3A3, the calibration patches of experiments/harmoq_cpu_time.py (SunHays80, a
stand-in for DIV2K; the 64 non-held-out images; LR 24x24). The preset's first phase is three passes over the patches
(harmonized_scale_optimization's statistics, DOBI's activation observation in calibrate_scaled, capture_layer_inputs); each is timed
alone, DOBI's observation apart from its searches, beside a plain float forward over the same patches. The two patch counts alternate
(32, 128, then 128, 32, ...), so a drifting machine favours neither. Run alone from the repository root with HARMOQ_DATA set:

    python experiments/profile_init.py [--rounds 2] [--threads 2]

Writes results/harmoq/profile_init_dat-light_x4_w3a3.json (one run per commit, keyed by it).
"""
import argparse, json, statistics, time, torch
from pathlib import Path
import harmoq.baselines as baselines
from harmoq.core import provenance, write_json, data_root
from harmoq.data import image_files, calibration_patches
from harmoq.calibration import batches
from harmoq.models import load_model
from harmoq.quant import quantize_model
from harmoq.hso import harmonized_scale_optimization, calibrate_scaled
from harmoq.abr import capture_layer_inputs, quant_layers
from harmoq.algorithm import HarmoQConfig
from harmoq.bench import cpu_info

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--rounds', type=int, default=2)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--json', default='results/harmoq/profile_init_dat-light_x4_w3a3.json')
args = ap.parse_args()
torch.set_num_threads(args.threads)
dat = load_model('dat-light', 4).eval()
files = image_files(data_root() / 'calib' / 'SunHays80')
cal_files = [f for i, f in enumerate(files) if i % 5]
preset = baselines.PRESETS['cpu']
calib = {n: calibration_patches(cal_files, n, preset.patch * 4, 4, seed=preset.seed)[0] for n in (32, 128)}
cfg = HarmoQConfig.preset('cpu', w_bits=3, a_bits=3)

observe = baselines.observe_activations
spent = {}
def timed_observe(*a, **kw):   # DOBI's activation observation, timed apart from its searches
    t = time.perf_counter(); out = observe(*a, **kw); spent['observe'] = time.perf_counter() - t; return out
baselines.observe_activations = timed_observe

def phases(x) -> dict:
    "Seconds of each pass of the first phase on patches `x`, as harmoq_calibrate_ runs them."
    s = {}
    t = time.perf_counter()
    with torch.no_grad():
        for b in batches(x, cfg.batch_size): dat(b)
    s['float_forward'] = time.perf_counter() - t
    q = quantize_model(dat, cfg.quant_config())
    t = time.perf_counter()
    harmonized_scale_optimization(q, x, mode=cfg.hso, alpha=cfg.alpha, quant_bounds='fixed', batch_size=cfg.batch_size)
    s['hso'] = time.perf_counter() - t
    t = time.perf_counter()
    calibrate_scaled(q, dat, x, cfg.init, cfg.calib_preset)
    s['init_bounds'] = time.perf_counter() - t
    s['init_bounds_observation'] = spent.pop('observe')
    t = time.perf_counter()
    capture_layer_inputs(q, x, quant_layers(q), cfg.max_rows, cfg.batch_size, cfg.seed)
    s['capture_layer_inputs'] = time.perf_counter() - t
    return {k: round(v, 2) for k, v in s.items()}

phases(calib[32][:8])   # warm-up
rows = {32: [], 128: []}
for r in range(args.rounds):
    for n in ((32, 128) if r % 2 == 0 else (128, 32)): rows[n].append(phases(calib[n])); print(n, rows[n][-1], flush=True)
median = {n: {k: round(statistics.median(row[k] for row in rs), 2) for k in rs[0]} for n, rs in rows.items()}
prov = provenance(argv=['experiments/profile_init.py', '--rounds', str(args.rounds), '--threads', str(args.threads)] +
                       (['--json', args.json] if args.json != ap.get_default('json') else []), seed=preset.seed)
path = Path(args.json)
out = json.loads(path.read_text()) if path.exists() else dict(runs={})
out['runs'][prov['commit']] = dict(setup=f'DAT-light x4 W3A3, HarmoQConfig.preset("cpu") first phase; LR {preset.patch}x{preset.patch} patches, '
                                         f'batches of {cfg.batch_size}; {args.rounds} alternated rounds per patch count',
                                   seconds={str(n): rs for n, rs in rows.items()}, median={str(n): m for n, m in median.items()},
                                   cpu=cpu_info(), provenance=prov)
write_json(out, path)
print(json.dumps(median, indent=1))
