"""How far harmoq's fake-quant model itself moves when its arithmetic moves by float rounding: Set5 PSNR of a calibrated
model on the LR images and on the LR images plus uniform noise of +-eps (1e-6: far below one uint8 level, about the size
of the differences between onnxruntime's and torch's float kernels). The control for experiments/onnx_check.py.

    HARMOQ_DATA=/path/to/data HARMOQ_WEIGHTS=/path/to/weights python experiments/onnx_sensitivity.py [--models dat-light] [--bits 4]

Reuses the calibrated models cached by onnx_check.py (--work); writes results/onnx/sensitivity.json after every row."""
from __future__ import annotations
import argparse, json, os, sys, time
from pathlib import Path
import torch

from harmoq.core import HarmoqError, provenance, write_json
from harmoq.data import benchmark
from harmoq.metrics import psnr, to_uint8

sys.path.insert(0, str(Path(__file__).parent))
from onnx_check import calibrated, cpu_flags


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--imdn', default=str(Path(os.environ.get('HARMOQ_WEIGHTS', '.')) / 'IMDN_x4.pth'))
    ap.add_argument('--out', default='results/onnx/sensitivity.json')
    ap.add_argument('--work', default=os.environ.get('HARMOQ_ONNX_WORK', '/tmp/harmoq_onnx_work'))
    ap.add_argument('--models', default='dat-light')
    ap.add_argument('--methods', default='minmax')
    ap.add_argument('--bits', default='4')
    ap.add_argument('--eps', type=float, default=1e-6)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=1, help='noise draws per image (more than 1: a row of its own with every draw)')
    ap.add_argument('--images', default='', help='Set5 images to use (comma-separated names; default all)')
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    rec = dict(provenance=dict(provenance('cpu', sys.argv, a.seed), cpu_flags=cpu_flags()), eps=a.eps, rows=[])
    if out.is_file():   # keep the rows already there, and the provenance of the runs that wrote them
        disk = json.loads(out.read_text())
        rec['rows'] = disk['rows']
        rec['provenance_parts'] = [p for p in disk.get('provenance_parts', [disk['provenance']]) if p != rec['provenance']] + [rec['provenance']]
    models = {'dat-light': ('dat-light', 4), 'imdn': (a.imdn, 4)}
    gen = torch.Generator().manual_seed(a.seed)
    for m in a.models.split(','):
        for method in a.methods.split(','):
            for b in (int(x) for x in a.bits.split(',')):
                if any((r['model'], r['method'], r['w_bits'], r.get('repeats', 1)) == (m, method, b, a.repeats) for r in rec['rows']): continue
                q, _ = calibrated(*models[m], method, (b, b), a.seed, Path(a.work))
                t0, rows = time.time(), []
                for pair in benchmark('Set5', 4):
                    if a.images and pair.name not in a.images.split(','): continue
                    x = pair.lr.float().div(255)[None]
                    with torch.no_grad(): y0 = q(x)[0]
                    p0, draws = psnr(to_uint8(y0), pair.hr, 4), []
                    for _ in range(a.repeats):
                        noise = (torch.rand(x.shape, generator=gen) * 2 - 1) * a.eps
                        with torch.no_grad(): y1 = q(x + noise)[0]
                        draws.append(dict(psnr_perturbed=psnr(to_uint8(y1), pair.hr, 4), max_abs_diff=(y0 - y1).abs().max().item()))
                    rows.append(dict(name=pair.name, psnr=p0, **draws[0]) if a.repeats == 1 else dict(name=pair.name, psnr=p0, draws=draws))
                    if a.repeats > 1: print(f"{pair.name}: {[round(d['psnr_perturbed'] - p0, 3) for d in draws]}", flush=True)
                if a.repeats > 1:
                    rec['rows'].append(dict(model=m, method=method, w_bits=b, a_bits=b, set='Set5', repeats=a.repeats, seconds=round(time.time() - t0, 1), images=rows))
                    write_json(rec, out)
                    continue
                mean = lambda k: sum(r[k] for r in rows) / len(rows)
                rec['rows'].append(dict(model=m, method=method, w_bits=b, a_bits=b, set='Set5', psnr=mean('psnr'), psnr_perturbed=mean('psnr_perturbed'),
                                        delta_db=mean('psnr_perturbed') - mean('psnr'), max_abs_diff=max(r['max_abs_diff'] for r in rows),
                                        seconds=round(time.time() - t0, 1), images=rows))
                write_json(rec, out)
                print(f"{m} {method} W{b}A{b}: Set5 {mean('psnr'):.3f} dB, perturbed by +-{a.eps:g}: {mean('psnr_perturbed'):.3f} dB", flush=True)


if __name__ == '__main__':
    try: main()
    except HarmoqError as e: print(f'onnx_sensitivity: error: {e}', file=sys.stderr); sys.exit(2)
