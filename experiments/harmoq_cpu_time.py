"""Calibration time of HarmoQ's cpu preset at DAT-light x4 W3A3, per phase, with its held-out error: run alone on an idle machine.

The held-out protocol of experiments/harmoq_variants.py (SunHays80, a stand-in for DIV2K, split by image: the preset's LR 24x24 calibration
patches (32 until 2026-12-02, 128 since) from 64 images, 16 LR 48x48 / HR 192x192 patches from the 16 held-out images; PSNR Y, border 4). The harmoq that is imported
is timed, so an older commit is timed by putting its checkout first on the path (its commit is what the row records):

    python experiments/harmoq_cpu_time.py --label now                                  # this checkout, HarmoQConfig.preset('cpu')
    PYTHONPATH=/tmp/old python experiments/harmoq_cpu_time.py --label before           # a checkout of an older commit
    python experiments/harmoq_cpu_time.py --label fast --set output_steps=75,iterations=1   # a variant of the preset

Each row is written to results/harmoq/cpu_time_dat-light_x4_w3a3.json when it finishes (`--label` names it; a label already there is skipped).
"""
import argparse, json, os, resource, statistics, time, torch
from pathlib import Path
import harmoq
from harmoq.core import provenance, write_json, data_root
from harmoq.data import image_files, calibration_patches
from harmoq.baselines import PRESETS
from harmoq.calibration import batches
from harmoq.metrics import psnr
from harmoq.models import load_model
from harmoq.algorithm import quantize, HarmoQConfig

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--label', required=True, help='name of the row')
ap.add_argument('--set', default='', help='comma-separated field=value changes to the cpu preset (ints, floats or strings)')
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--json', default='results/harmoq/cpu_time_dat-light_x4_w3a3.json')
args = ap.parse_args()
path = Path(args.json)
out = json.loads(path.read_text()) if path.exists() else dict(runs={})
if args.label in out['runs']: raise SystemExit(f'{args.label} is done already')
torch.set_num_threads(args.threads)

def value(v):
    if v in ('True', 'False'): return v == 'True'
    for t in (int, float):
        try: return t(v)
        except ValueError: pass
    return None if v == 'None' else v
changes = {k: value(v) for k, v in (kv.split('=', 1) for kv in args.set.split(',') if kv)}

def cpu_flags() -> str:
    "The vector-instruction flags of this CPU (not harmoq.bench.cpu_info: the older checkouts timed here do not have it)."
    for line in Path('/proc/cpuinfo').read_text().splitlines():
        if line.startswith('flags'): return ' '.join(f for f in line.split(':', 1)[1].split() if f.startswith(('avx', 'amx', 'fma', 'sse4')))
    return ''

dat = load_model('dat-light', 4).eval()
files = image_files(data_root() / 'calib' / 'SunHays80')
cal_files, held_files = [f for i, f in enumerate(files) if i % 5], files[::5]
preset = PRESETS['cpu']
lr_cal, _ = calibration_patches(cal_files, preset.patches, preset.patch * 4, 4, seed=preset.seed)
lr_held, hr_held = calibration_patches(held_files, 16, 192, 4, seed=1)
with torch.no_grad(): fp_sr = torch.cat([dat(b) for b in batches(lr_held, 4)])
def held_out(model) -> dict:
    with torch.no_grad(): sr = torch.cat([model(b) for b in batches(lr_held, 4)])
    return dict(psnr=statistics.mean(psnr(a, h, 4) for a, h in zip(sr, hr_held)), psnr_vs_fp=statistics.mean(psnr(a, f, 4) for a, f in zip(sr, fp_sr)))

cfg = HarmoQConfig.preset('cpu', w_bits=3, a_bits=3, **changes)
def compile_cache() -> bool | None:
    "Whether torch.compile's kernel cache held anything when the run started (code that compiles pays for it only on a cold cache)."
    try: from torch._inductor.runtime.cache_dir_utils import cache_dir
    except ImportError: return None
    return Path(cache_dir()).is_dir() and any(Path(cache_dir()).iterdir())
warm_cache = compile_cache()
load = os.getloadavg()
t0 = time.time()
qm, log = quantize(dat, lr_cal, cfg)
wall = time.time() - t0
info = log.get('harmoq', log)
its = info.get('iterations', [])
phases = dict(hso_and_init=info.get('init_seconds'), src=sum(r.get('src_seconds', 0) for r in its), abr=sum(r.get('abr_seconds', 0) for r in its),
              output=info.get('output_seconds'), calibration=info.get('calib_seconds'), quantize_wall=round(wall, 1))
row = dict(held_out(qm), seconds=phases, peak_rss_mib=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), iterations=len(its), changes=changes, harmoq_file=harmoq.__file__,
           load_average_before=load, load_average_after=os.getloadavg(), cpu_flags=cpu_flags(), compile_cache_warm=warm_cache,
           compile=os.environ.get('HARMOQ_COMPILE', '1') != '0', config=log.get('config', info.get('config')),
           provenance=provenance(argv=['experiments/harmoq_cpu_time.py', '--label', args.label] + (['--set', args.set] if args.set else [])
                                 + ['--threads', str(args.threads)], seed=cfg.seed))
out = json.loads(path.read_text()) if path.exists() else out
out.update(calibration='SunHays80 (a stand-in for DIV2K): 32 LR 24x24 patches from the 64 non-held-out images (cpu preset patches)',
           evaluation='16 LR 48x48 / HR 192x192 patches from the 16 held-out SunHays80 images (every fifth); PSNR Y, border 4',
           fp=held_out(dat))
out['runs'][args.label] = row
write_json(out, path)
print(args.label, {k: row[k] for k in ('psnr', 'psnr_vs_fp', 'seconds')}, flush=True)
