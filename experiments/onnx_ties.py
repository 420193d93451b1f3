"""Why some images move when the float arithmetic around the quantizers moves by rounding: for each Set5 image, how many
activation values of the fake-quant model sit within `tol` steps of a rounding boundary of their quantizer (a value
there changes level when a kernel sums in another order), how many of those are repeats of one value (a flat image
region gives the same activation at many positions, which then flip together), and which quantizer holds most.

    HARMOQ_DATA=/path/to/data HARMOQ_WEIGHTS=/path/to/weights python experiments/onnx_ties.py [--models dat-light] [--methods minmax] [--bits 4]

Reuses the calibrated models cached by experiments/onnx_check.py (--work); writes results/onnx/ties.json after every row."""
from __future__ import annotations
import argparse, json, os, sys, time
from pathlib import Path
import torch

from harmoq.core import HarmoqError, provenance, write_json
from harmoq.data import benchmark
from harmoq.quant import quantizers

sys.path.insert(0, str(Path(__file__).parent))
from onnx_check import calibrated, cpu_flags


def near_ties(q, data, tols: tuple) -> list:
    "Per image: activation values in range, values within each `tol` (in steps) of a rounding boundary, distinct such values, the top quantizer."
    stats = {}
    def hook(name):
        def f(mod, inp):
            x = inp[0].detach().float()
            lo, hi = (t.detach().float() for t in mod.bounds())
            step = (hi - lo) / (2 ** mod.bits - 1)
            inside = (x > lo) & (x < hi)
            u = (x - lo) / step
            d = (u - torch.floor(u) - 0.5).abs()   # distance (in steps) to the boundary between two levels
            s = stats.setdefault(name, dict(values=0, **{f'near_{t:g}': 0 for t in tols}, **{f'distinct_near_{t:g}': 0 for t in tols}))
            s['values'] += int(inside.sum())
            for t in tols:
                m = inside & (d < t)
                s[f'near_{t:g}'] += int(m.sum())
                s[f'distinct_near_{t:g}'] += int(torch.unique(x[m]).numel())
        return f
    handles = [mod.register_forward_pre_hook(hook(n)) for n, mod in quantizers(q, 'activations')]
    rows = []
    try:
        for pair in data:
            stats.clear()
            with torch.no_grad(): q(pair.lr.float().div(255)[None])
            t0 = tols[0]
            top = max(stats, key=lambda n: stats[n][f'near_{t0:g}'])
            tot = {k: sum(s[k] for s in stats.values()) for k in next(iter(stats.values()))}
            rows.append(dict(name=pair.name, **tot, top_quantizer=top, top=stats[top]))
    finally:
        for h in handles: h.remove()
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--imdn', default=str(Path(os.environ.get('HARMOQ_WEIGHTS', '.')) / 'IMDN_x4.pth'))
    ap.add_argument('--out', default='results/onnx/ties.json')
    ap.add_argument('--work', default=os.environ.get('HARMOQ_ONNX_WORK', '/tmp/harmoq_onnx_work'))
    ap.add_argument('--models', default='dat-light')
    ap.add_argument('--methods', default='minmax')
    ap.add_argument('--bits', default='4')
    ap.add_argument('--tols', default='1e-5,1e-4', help='distances to a rounding boundary, in steps')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    tols = tuple(float(t) for t in a.tols.split(','))
    rec = dict(provenance=dict(provenance('cpu', sys.argv, a.seed), cpu_flags=cpu_flags()), tols=tols, rows=[])
    if out.is_file(): rec['rows'] = json.loads(out.read_text())['rows']
    models = {'dat-light': ('dat-light', 4), 'imdn': (a.imdn, 4)}
    for m in a.models.split(','):
        for method in a.methods.split(','):
            for b in (int(x) for x in a.bits.split(',')):
                if any((r['model'], r['method'], r['w_bits']) == (m, method, b) for r in rec['rows']): continue
                q, _ = calibrated(*models[m], method, (b, b), a.seed, Path(a.work))
                t0 = time.time()
                rows = near_ties(q, benchmark('Set5', 4), tols)
                rec['rows'].append(dict(model=m, method=method, w_bits=b, a_bits=b, set='Set5', seconds=round(time.time() - t0, 1), images=rows))
                write_json(rec, out)
                for r in rows: print(m, method, b, r['name'], {k: v for k, v in r.items() if k not in ('name', 'top')}, flush=True)


if __name__ == '__main__':
    try: main()
    except HarmoqError as e: print(f'onnx_ties: error: {e}', file=sys.stderr); sys.exit(2)
