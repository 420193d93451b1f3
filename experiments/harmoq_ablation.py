"""HarmoQ ablations like the paper's Table 2 (SRC / HSO / ABR on and off) and Table 3 (SRC projections), DAT-light W3A3 on Set5.

Run from the repository root with HARMOQ_DATA set:

    python experiments/harmoq_ablation.py --scale 4 [--table components|projections] [--reconstruction output|none] [--preset cpu|paper]

On a machine with many cores (or one GPU shared by several processes) split a table into slices, one file each, then
join them (the joined file is the default path; its rows follow the table's order):

    python experiments/harmoq_ablation.py --scale 4 --only 1,2 --json /tmp/part1.json --device cuda
    python experiments/harmoq_ablation.py --scale 4 --merge /tmp/part1.json /tmp/part2.json ...

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
ap.add_argument('--preset', default='cpu', choices=['cpu', 'paper', 'quick'])   # quick: a smoke test of the script, not a measurement
ap.add_argument('--sets', default='Set5')
ap.add_argument('--device', default='auto')
ap.add_argument('--only', default=None, help='comma-separated row numbers (1 = first row of the table) to run')
ap.add_argument('--json', default=None, help='result file (default: results/harmoq/ablation_<table>_dat-light_x<scale>_w<b>a<b>_<reconstruction>.json)')
ap.add_argument('--merge', nargs='+', default=None, help='join these result files of slices into --json (or the default path) and stop')
args = ap.parse_args()
default_path = Path(f'results/harmoq/ablation_{args.table}_dat-light_x{args.scale}_w{args.bits}a{args.bits}_{args.reconstruction}.json')
path = Path(args.json) if args.json else default_path
SETUP = ('model', 'scale', 'bits', 'preset', 'reconstruction', 'calibration')
if args.table == 'components':
    rows = {f"SRC {'on' if s else 'off'}, HSO {'on' if h else 'off'}, ABR {'on' if a else 'off'}": dict(src=s, hso='channel' if h else None, abr=a)
            for s, h, a in itertools.product((False, True), repeat=3)}
else:
    rows = {f'projection {k}': dict(projection=k) for k in ('identity', 'laplacian', 'sobel', 'dct_highpass', 'learned', 'random')}

if args.merge:
    parts = [json.loads(Path(f).read_text()) for f in args.merge]
    out = json.loads(path.read_text()) if path.exists() else dict(parts[0], rows={})
    for row in out['rows'].values(): row.setdefault('provenance', out.get('provenance'))
    for f, part in zip(args.merge, parts):
        diff = [k for k in SETUP if part.get(k) != out.get(k)]
        if diff: raise SystemExit(f'{f} holds another setup ({", ".join(diff)}): not merged')
        for name, row in part['rows'].items():
            row.setdefault('provenance', part.get('provenance'))      # files made before rows carried their own provenance
            out['rows'].setdefault(name, row)
    out.pop('provenance', None)
    out['rows'] = {n: out['rows'][n] for n in rows if n in out['rows']}   # the table's order
    write_json(out, path)
    print(f'{len(out["rows"])} rows in {path}')
    raise SystemExit(0)

dev = _pick_device(args.device)
dat = load_model('dat-light', args.scale, dev).eval()
p = get_preset(args.preset, args.scale)
files = calibration_source(None, None)
lr, _ = calibration_patches(files, p.patches, p.lr_patch(args.scale) * args.scale, args.scale, p.seed)
lr = lr.to(dev)
sets = [benchmark(s, args.scale) for s in args.sets.split(',')]
recon = None if args.reconstruction == 'none' else args.reconstruction
out = json.loads(path.read_text()) if path.exists() else dict(rows={})
setup = dict(model='dat-light', scale=args.scale, bits=args.bits, preset=args.preset, reconstruction=args.reconstruction,
             calibration=f'{len(lr)} LR patches {tuple(lr.shape[-2:])} from {len(files)} images of '
                         f'{Path(files[0]).parent.name} (DIV2K stand-in), seed {p.seed}')
diff = [k for k in SETUP if out['rows'] and out.get(k) != setup[k]]
if diff: raise SystemExit(f'{path} holds another setup ({", ".join(diff)}): use another --json or delete it')
out.update(setup)
prov = provenance(dev, seed=p.seed)
names = list(rows)
if args.only:
    try: pick = [names[int(i) - 1] for i in args.only.split(',')]
    except (ValueError, IndexError): raise SystemExit(f'--only takes row numbers 1..{len(names)} of the {args.table} table, not {args.only!r}')
    rows = {n: rows[n] for n in pick}
for name, kw in rows.items():
    if name in out['rows']: continue
    cfg = HarmoQConfig.preset(args.preset, w_bits=args.bits, a_bits=args.bits, reconstruction=recon, calib_preset=p.name, seed=p.seed, **kw)
    q, log = quantize(dat, lr, cfg)
    res = {ds.name: evaluate(q, ds, progress=False) for ds in sets}
    out['rows'][name] = dict(config=kw, provenance=prov, calib_seconds=log['calib_seconds'], L_total=[log['initial']] + [r['L_total'] for r in log['iterations']],
                             **{k: dict(psnr=v['psnr'], ssim=v['ssim']) for k, v in res.items()})
    write_json(out, path)
    print(name, {k: round(v['psnr'], 2) for k, v in res.items()}, f"{log['calib_seconds']} s", flush=True)
print('ABLATION DONE', path)
