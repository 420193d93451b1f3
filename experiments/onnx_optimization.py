"""Which onnxruntime session settings reproduce harmoq's fake-quant model best: Set5 PSNR of the exported graph (exact
form) at each graph optimization level ('none' = ORT_DISABLE_ALL, 'basic' = ORT_ENABLE_BASIC, 'all' = ORT_ENABLE_ALL,
onnxruntime's default), for the dynamic graph (dynamo exporter) and the per-size graphs (TorchScript exporter,
`harmoq.onnx_export.PerSizeOnnx`), beside the fake-quant model itself run with another number of torch threads (a
control: torch against torch, summation order only).

    HARMOQ_DATA=/path/to/data HARMOQ_WEIGHTS=/path/to/weights python experiments/onnx_optimization.py [--models dat-light] [--methods minmax] [--bits 4]

Reuses the calibrated models and dynamic graphs cached by experiments/onnx_check.py (--work); writes
results/onnx/optimization.json after every row, and a rerun skips the rows it already holds."""
from __future__ import annotations
import argparse, json, os, sys, time
from pathlib import Path
import torch

from harmoq.core import HarmoqError, provenance, write_json
from harmoq.data import benchmark
from harmoq.evaluate import super_resolve
from harmoq.metrics import psnr, to_uint8
from harmoq.onnx_export import OnnxModel, PerSizeOnnx, require_onnx

sys.path.insert(0, str(Path(__file__).parent))
from onnx_check import calibrated, cpu_flags


def compare(ref: list, model, data, scale: int) -> dict:
    "Set5 PSNR of `model` beside the reference outputs `ref` (the fake-quant model's, same order), per image and mean."
    rows = []
    with torch.no_grad():
        for (pair, a) in zip(data, ref):
            b = super_resolve(model, pair.lr)
            ua, ub = to_uint8(a), to_uint8(b)
            rows.append(dict(name=pair.name, psnr_fake_quant=psnr(ua, pair.hr, scale), psnr_other=psnr(ub, pair.hr, scale),
                             max_abs_diff=(a - b).abs().max().item(), uint8_pixels_differing=(ua != ub).float().mean().item()))
    mean = lambda k: sum(r[k] for r in rows) / len(rows)
    return dict(psnr_fake_quant=mean('psnr_fake_quant'), psnr_other=mean('psnr_other'), delta_db=mean('psnr_other') - mean('psnr_fake_quant'),
                max_abs_diff=max(r['max_abs_diff'] for r in rows), images=rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--imdn', default=str(Path(os.environ.get('HARMOQ_WEIGHTS', '.')) / 'IMDN_x4.pth'))
    ap.add_argument('--out', default='results/onnx/optimization.json')
    ap.add_argument('--work', default=os.environ.get('HARMOQ_ONNX_WORK', '/tmp/harmoq_onnx_work'))
    ap.add_argument('--models', default='dat-light')
    ap.add_argument('--methods', default='minmax')
    ap.add_argument('--bits', default='4')
    ap.add_argument('--graphs', default='torch,dynamic,per-size', help="'torch' (the control), 'dynamic', 'per-size'")
    ap.add_argument('--levels', default='none,basic,all')
    ap.add_argument('--threads', type=int, default=1, help='torch threads of the reference run')
    ap.add_argument('--control_threads', type=int, default=2, help='torch threads of the control run')
    ap.add_argument('--ort_threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args(argv)
    require_onnx()
    work, out = Path(a.work), Path(a.out)
    rec = dict(provenance=dict(provenance('cpu', sys.argv, a.seed), cpu_flags=cpu_flags(), onnxruntime=__import__('onnxruntime').__version__),
               setup=dict(reference=f'the fake-quant model in torch, {a.threads} thread(s), whole Set5 x4 LR images',
                          levels="onnxruntime GraphOptimizationLevel: none = ORT_DISABLE_ALL, basic = ORT_ENABLE_BASIC, all = ORT_ENABLE_ALL (the default)",
                          ort_threads=a.ort_threads, control=f'the same fake-quant model in torch with {a.control_threads} threads'), rows=[])
    if out.is_file(): rec['rows'] = json.loads(out.read_text())['rows']
    done = {(r['model'], r['method'], r['w_bits'], r['graphs'], r['level']) for r in rec['rows']}
    models = {'dat-light': ('dat-light', 4), 'imdn': (a.imdn, 4)}
    data = list(benchmark('Set5', 4))
    for m in a.models.split(','):
        for method in a.methods.split(','):
            for b in (int(x) for x in a.bits.split(',')):
                q, info = calibrated(*models[m], method, (b, b), a.seed, work)
                torch.set_num_threads(a.threads)
                with torch.no_grad(): ref = [super_resolve(q, p.lr) for p in data]
                for kind in a.graphs.split(','):
                    for level in ([f'{a.control_threads} threads'] if kind == 'torch' else a.levels.split(',')):
                        key = (m, method, b, kind, level)
                        if key in done: continue
                        t0, extra = time.time(), {}
                        if kind == 'torch':
                            torch.set_num_threads(a.control_threads)
                            other = q
                        elif kind == 'dynamic':
                            g = work / f'{m}_{method}_w{b}a{b}_exact.onnx'
                            if not g.is_file(): print(f'{key}: no dynamic graph {g} (run onnx_check.py first), skipped', flush=True); continue
                            other = OnnxModel(g, a.ort_threads, level)
                            if g.with_suffix('.template.json').is_file(): extra['graph_from_template'] = True
                        else:
                            other = PerSizeOnnx(q, work / 'per_size', f'{m}_{method}_w{b}a{b}', threads=a.ort_threads, optimization=level)
                        r = compare(ref, other, data, 4)
                        torch.set_num_threads(a.threads)
                        if kind == 'per-size':
                            extra['export_seconds'] = {f'{h}x{w}': s for (h, w), s in other.export_seconds.items()}
                            for (h, w), s in other.export_seconds.items(): other.graph_path(h, w).with_suffix('.seconds').write_text(str(s))   # as onnx_check.py
                        rec['rows'].append(dict(model=m, method=method, w_bits=b, a_bits=b, graphs=kind, level=level, set='Set5',
                                                seconds=round(time.time() - t0, 1), **extra, **r))
                        write_json(rec, out)
                        print(f"{m} {method} W{b}A{b} {kind} {level}: delta {r['delta_db']:+.4f} dB "
                              f"(per image {[round(i['psnr_other'] - i['psnr_fake_quant'], 3) for i in r['images']]}), max|diff| {r['max_abs_diff']:.3f}", flush=True)


if __name__ == '__main__':
    try: main()
    except HarmoqError as e: print(f'onnx_optimization: error: {e}', file=sys.stderr); sys.exit(2)
