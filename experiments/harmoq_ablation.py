"""HarmoQ ablations like the paper's Table 2 (SRC / HSO / ABR on and off) and Table 3 (SRC projections), DAT-light W3A3 on Set5.

Run from the repository root with HARMOQ_DATA set:

    python experiments/harmoq_ablation.py --scale 4 [--table components|projections] [--reconstruction output|none] [--preset cpu|paper]

Calibration: the patches `harmoq_eval --method harmoq` uses (the preset's seeded patches from $HARMOQ_DATA/calib, a DIV2K
stand-in). Settings were fixed beforehand on held-out calibration data (nbs/43_algorithm.ipynb); Set5 is only evaluated.
Each row is written to results/harmoq/ablation_<table>_dat-light_x<scale>_w<b>a<b>_<reconstruction>.json as it finishes,
so an interrupted run resumes where it stopped.
"""
import argparse, itertools, json, time
from pathlib import Path
import torch
from harmoq.core import provenance, write_json
from harmoq.models import load_model
from harmoq.data import benchmark, calibration_patches
from harmoq.baselines import get_preset
from harmoq.evaluate import evaluate, calibration_source, _pick_device
from harmoq.algorithm import quantize, HarmoQConfig

ap = argparse.ArgumentParser()
ap.add_argument('--scale', type=int, default=4)
ap.add_argument('--bits', type=int, default=3)
ap.add_argument('--table', default='components', choices=['components', 'projections'])
ap.add_argument('--reconstruction', default='output', choices=['output', 'none'])
ap.add_argument('--preset', default='cpu', choices=['cpu', 'paper'])
ap.add_argument('--sets', default='Set5')
ap.add_argument('--device', default='auto')
args = ap.parse_args()

dev = _pick_device(args.device)
dat = load_model('dat-light', args.scale, dev).eval()
p = get_preset(args.preset, args.scale)
files = calibration_source(None, None)
lr, _ = calibration_patches(files, p.patches, p.lr_patch(args.scale) * args.scale, args.scale, p.seed)
lr = lr.to(dev)
sets = [benchmark(s, args.scale) for s in args.sets.split(',')]
recon = None if args.reconstruction == 'none' else args.reconstruction
if args.table == 'components':
    rows = {f"SRC {'on' if s else 'off'}, HSO {'on' if h else 'off'}, ABR {'on' if a else 'off'}": dict(src=s, hso='channel' if h else None, abr=a)
            for s, h, a in itertools.product((False, True), repeat=3)}
else:
    rows = {f'projection {k}': dict(projection=k) for k in ('identity', 'laplacian', 'sobel', 'dct_highpass', 'learned', 'random')}
path = Path(f'results/harmoq/ablation_{args.table}_dat-light_x{args.scale}_w{args.bits}a{args.bits}_{args.reconstruction}.json')
out = json.loads(path.read_text()) if path.exists() else dict(rows={})
out.update(provenance=provenance(dev, seed=p.seed), model='dat-light', scale=args.scale, bits=args.bits, preset=args.preset,
           reconstruction=args.reconstruction, calibration=f'{len(lr)} LR patches {tuple(lr.shape[-2:])} from {len(files)} images of '
           f'{Path(files[0]).parent.name} (DIV2K stand-in), seed {p.seed}')
for name, kw in rows.items():
    if name in out['rows']: continue
    cfg = HarmoQConfig.preset(args.preset, w_bits=args.bits, a_bits=args.bits, reconstruction=recon, calib_preset=p.name, seed=p.seed, **kw)
    q, log = quantize(dat, lr, cfg)
    res = {ds.name: evaluate(q, ds, progress=False) for ds in sets}
    out['rows'][name] = dict(config=kw, calib_seconds=log['calib_seconds'], L_total=[log['initial']] + [r['L_total'] for r in log['iterations']],
                             **{k: dict(psnr=v['psnr'], ssim=v['ssim']) for k, v in res.items()})
    write_json(out, path)
    print(name, {k: round(v['psnr'], 2) for k, v in res.items()}, f"{log['calib_seconds']} s", flush=True)
print('ABLATION DONE', path)
