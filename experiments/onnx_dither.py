"""ONNX fidelity where the model itself is chaotic: Set5 PSNR of harmoq's fake-quant model (torch) and of its exported
graph (onnxruntime) on the same LR images moved by K independent uniform draws of +-eps, paired per draw.

A change of the input far below one uint8 level (1e-6) moves DAT-light MinMax W4A4 by about 0.07 dB on Set5
(results/onnx/sensitivity.json): thousands of values sit within float rounding of a 4-bit code boundary
(results/onnx/ties.json), so the two engines' float kernels, which sum in different orders, flip different codes.
One pass of each engine then compares one draw of a random variable with another; the mean over K paired draws
compares what each engine computes on average, and its standard error says how far chance alone moves that mean.

    HARMOQ_DATA=/path/to/data python experiments/onnx_dither.py [--models dat-light] [--methods minmax] [--bits 4] [--draws 32]

The graphs are those of onnx_check.py's counted row (exact form, one fixed-size graph per input size, onnxruntime level
'all', 2 threads), from the same cache (--work). results/onnx/dither.json is rewritten after every draw, and a rerun
continues where the last one stopped."""
from __future__ import annotations
import argparse, json, math, os, sys, time
from pathlib import Path
import torch

from harmoq.core import HarmoqError, provenance, write_json
from harmoq.data import benchmark
from harmoq.metrics import psnr, to_uint8
from harmoq.onnx_export import PerSizeOnnx, require_onnx

sys.path.insert(0, str(Path(__file__).parent))
from onnx_check import calibrated, cpu_flags


def summary(draws: list) -> dict:
    "Mean Set5 PSNR of each engine over the perturbed draws, the mean paired difference and its standard error."
    d = [r['delta_db'] for r in draws]
    k = len(d)
    mean = sum(d) / k
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (k - 1)) if k > 1 else None
    return dict(draws=k, psnr_fake_quant=sum(r['psnr_fake_quant'] for r in draws) / k, psnr_onnx=sum(r['psnr_onnx'] for r in draws) / k,
                delta_db=mean, delta_sd=sd, delta_se=sd / math.sqrt(k) if sd is not None else None,
                delta_min=min(d), delta_max=max(d))


def one_pass(q, om, pairs, noise) -> dict:
    "Set5 PSNR of `q` and `om` on the LR images plus `noise` (one tensor per image, or None)."
    rows = []
    for pair, e in zip(pairs, noise):
        x = pair.lr.float().div(255)[None]
        if e is not None: x = x + e
        with torch.no_grad(): a, b = q(x)[0], om(x)[0]
        rows.append(dict(name=pair.name, psnr_fake_quant=psnr(to_uint8(a), pair.hr, 4), psnr_onnx=psnr(to_uint8(b), pair.hr, 4)))
    mean = lambda key: sum(r[key] for r in rows) / len(rows)
    return dict(psnr_fake_quant=mean('psnr_fake_quant'), psnr_onnx=mean('psnr_onnx'), delta_db=mean('psnr_onnx') - mean('psnr_fake_quant'), images=rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--imdn', default=str(Path(os.environ.get('HARMOQ_WEIGHTS', '.')) / 'IMDN_x4.pth'))
    ap.add_argument('--out', default='results/onnx/dither.json')
    ap.add_argument('--work', default=os.environ.get('HARMOQ_ONNX_WORK', '/tmp/harmoq_onnx_work'))
    ap.add_argument('--models', default='dat-light')
    ap.add_argument('--methods', default='minmax')
    ap.add_argument('--bits', default='4')
    ap.add_argument('--draws', type=int, default=32)
    ap.add_argument('--eps', type=float, default=1e-6)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args(argv)
    require_onnx()
    import onnxruntime
    torch.set_num_threads(a.threads)
    work, out = Path(a.work), Path(a.out)
    work.mkdir(parents=True, exist_ok=True)
    rec = dict(provenance=dict(provenance('cpu', sys.argv, a.seed), cpu_flags=cpu_flags()),
               setup=dict(eps=a.eps, noise='uniform in [-eps, eps], independent per pixel, image and draw (generator seeded by seed and draw)',
                          graphs="exact form, one fixed-size graph per input size (harmoq.onnx_export.PerSizeOnnx), onnxruntime level 'all'",
                          calibration="onnx_check.calibrated: preset 'quick' (16 LR patches of 24x24 from $HARMOQ_DATA/calib, SunHays80, a DIV2K stand-in)",
                          threads=a.threads, onnxruntime=onnxruntime.__version__), rows=[])
    if out.is_file():   # resume: keep every row and draw already measured
        disk = json.loads(out.read_text())
        rec['rows'] = disk['rows']
        rec['provenance_parts'] = [p for p in disk.get('provenance_parts', [disk['provenance']]) if p != rec['provenance']] + [rec['provenance']]
    models = {'dat-light': ('dat-light', 4), 'imdn': (a.imdn, 4)}
    pairs = list(benchmark('Set5', 4))
    for m in a.models.split(','):
        for method in a.methods.split(','):
            for b in (int(x) for x in a.bits.split(',')):
                key = dict(model=m, method=method, w_bits=b, a_bits=b, set='Set5', form='exact', graphs='per-size', ort_optimization='all', eps=a.eps, seed=a.seed)
                row = next((r for r in rec['rows'] if all(r.get(k) == v for k, v in key.items())), None)
                if row is None: row = dict(key, unperturbed=None, draws=[]); rec['rows'].append(row)
                if len(row['draws']) >= a.draws: continue
                q, info = calibrated(*models[m], method, (b, b), a.seed, work)
                row['calibration'] = info
                om = PerSizeOnnx(q, work / 'per_size', f'{m}_{method}_w{b}a{b}', 'exact', threads=a.threads, optimization='all')
                for p in pairs: om.graph(*p.lr.shape[-2:])   # export every size first: the timings below are the passes only
                if row['unperturbed'] is None:
                    row['unperturbed'] = one_pass(q, om, pairs, [None] * len(pairs))
                    write_json(rec, out)
                    print(f"{m} {method} W{b}A{b} unperturbed: delta {row['unperturbed']['delta_db']:+.4f} dB", flush=True)
                while len(row['draws']) < a.draws:
                    k = len(row['draws'])
                    gen = torch.Generator().manual_seed(a.seed * 100003 + k)
                    noise = [(torch.rand((1, *p.lr.shape), generator=gen) * 2 - 1) * a.eps for p in pairs]
                    t0 = time.time()
                    r = dict(draw=k, **one_pass(q, om, pairs, noise), seconds=round(time.time() - t0, 1))
                    row['draws'].append(r)
                    row['summary'] = summary(row['draws'])
                    write_json(rec, out)
                    s = row['summary']
                    print(f"{m} {method} W{b}A{b} draw {k}: delta {r['delta_db']:+.4f}; mean of {s['draws']}: {s['delta_db']:+.4f}"
                          + (f" +- {s['delta_se']:.4f} (se)" if s['delta_se'] is not None else '') + f" ({r['seconds']} s)", flush=True)


if __name__ == '__main__':
    try: main()
    except HarmoqError as e: print(f'onnx_dither: error: {e}', file=sys.stderr); sys.exit(2)
