"""Speed of harmoq's ONNX graphs in ONNX Runtime on the CPU: the fp32 graph against QDQ graphs at W8A8 and W4A4
(MinMax-calibrated DAT-light x4 and IMDN x4), in both QDQ forms, with and without Q/DQ on the attention products,
at 1 and 2 threads, in interleaved rounds (median and spread; the load average is recorded, the CPU is shared).

    HARMOQ_DATA=/path/to/data HARMOQ_WEIGHTS=/path/to/weights python experiments/onnx_speed.py [--rounds 5] [--size 64]

Reuses the calibrated models and graphs cached by experiments/onnx_check.py (--work); writes results/onnx/speed.json."""
from __future__ import annotations
import argparse, json, os, statistics, sys, time
from collections import Counter
from pathlib import Path
import numpy as np
import torch

from harmoq.core import HarmoqError, provenance, write_json
from harmoq.models import load_model
from harmoq.onnx_export import require_onnx

sys.path.insert(0, str(Path(__file__).parent))
from onnx_check import calibrated, export_graph, cpu_flags

INTEGER_OPS = ('QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'MatMulIntegerToFloat', 'ConvInteger', 'QGemm', 'DynamicQuantizeLinear',
               'QLinearAdd', 'QLinearMul', 'MatMulNBits')


def session(graph: Path, threads: int, optimized: Path | None = None):
    "An onnxruntime CPU session with `threads` intra-op threads (and the optimized graph saved to `optimized`)."
    import onnxruntime as ort
    o = ort.SessionOptions()
    o.intra_op_num_threads, o.inter_op_num_threads = threads, 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if optimized is not None: o.optimized_model_filepath = str(optimized)
    return ort.InferenceSession(str(graph), o, providers=['CPUExecutionProvider'])


def optimized_ops(graph: Path, work: Path) -> dict:
    "Counts of the node types (integer kernels, QDQ, MatMul/Conv left in float) in onnxruntime's optimized graph."
    import onnx
    opt = work / (graph.stem + '.ort_optimized.onnx')
    if not opt.is_file(): session(graph, 1, opt)
    ops = Counter(n.op_type for n in onnx.load(str(opt)).graph.node)
    keep = INTEGER_OPS + ('QuantizeLinear', 'DequantizeLinear', 'MatMul', 'Conv', 'FusedConv', 'FusedMatMul', 'Gemm')
    return {k: ops[k] for k in keep if ops[k]} | dict(nodes=sum(ops.values()))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--imdn', default=str(Path(os.environ.get('HARMOQ_WEIGHTS', '.')) / 'IMDN_x4.pth'))
    ap.add_argument('--out', default='results/onnx/speed.json')
    ap.add_argument('--work', default=os.environ.get('HARMOQ_ONNX_WORK', '/tmp/harmoq_onnx_work'))
    ap.add_argument('--models', default='dat-light,imdn')
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--size', type=int, default=64, help='LR input side in pixels')
    ap.add_argument('--min_seconds', type=float, default=0.5, help='each measurement repeats the call for at least this long')
    ap.add_argument('--threads', default='1,2')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--existing_only', action='store_true', help='time only the graphs already exported in --work (no export, no calibration)')
    ap.add_argument('--static', default='', help='models whose graphs are exported for the fixed --size input (TorchScript exporter, fast) instead of dynamic (dynamo)')
    a = ap.parse_args(argv)
    require_onnx()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    models = {'dat-light': ('dat-light', 4), 'imdn': (a.imdn, 4)}
    threads = [int(t) for t in a.threads.split(',')]
    configs = []   # (model, name, bits, form, attention, graph)
    static = [m for m in a.static.split(',') if m]
    for m in a.models.split(','):
        path, scale = models[m]
        st = dict(dynamic=m not in static, size=a.size)
        sfx = '' if st['dynamic'] else f'_static{a.size}'
        how = 'dynamo exporter, dynamic height/width' if st['dynamic'] else f'TorchScript exporter, fixed {a.size}x{a.size} input'
        g = work / f'{m}_fp32{sfx}.onnx'
        if not a.existing_only: export_graph(load_model(path, scale).eval(), g, 'exact', allow_float=True, **st)
        configs.append(dict(model=m, config='fp32', bits=32, form=None, attention=None, graph=g, export=how))
        for b in (8, 4):
            variants = [('exact', True), ('standard', True)] + ([('standard', False)] if m == 'dat-light' else [])
            for form, att in variants:
                g = work / (f'{m}_minmax_w{b}a{b}_{form}{sfx}.onnx' if att else f'{m}_minmax_w{b}a{b}_{form}_noattn{sfx}.onnx')
                if not a.existing_only: export_graph(calibrated(path, scale, 'minmax', (b, b), a.seed, work)[0], g, form, attention=att, **st)
                name = f'W{b}A{b} {form}' + ('' if att else ', attention in float')
                configs.append(dict(model=m, config=name, bits=b, form=form, attention=att, graph=g, export=how))
        print(f'{m}: graphs ready', flush=True)
    missing = [c for c in configs if not c['graph'].is_file()]
    if missing: print('not exported, left out: ' + ', '.join(f"{c['model']} {c['config']}" for c in missing), flush=True)
    configs = [c for c in configs if c['graph'].is_file()]
    if not any(c['config'] == 'fp32' for c in configs): raise HarmoqError('no fp32 graph to compare with')
    x = np.random.RandomState(a.seed).rand(1, 3, a.size, a.size).astype(np.float32)
    rows = []
    for c in configs:
        for t in threads:
            s = session(c['graph'], t)
            name = s.get_inputs()[0].name
            t0 = time.perf_counter(); s.run(None, {name: x}); first = time.perf_counter() - t0   # warm-up
            rows.append(dict({k: v for k, v in c.items() if k != 'graph'}, threads=t, graph_bytes=c['graph'].stat().st_size,
                             ort_ops=optimized_ops(c['graph'], work), reps=max(1, int(a.min_seconds / max(first, 1e-4))), times=[], loadavg=[],
                             _session=s, _input=name))
    rec = dict(provenance=dict(provenance('cpu', sys.argv, a.seed), cpu_flags=cpu_flags(), onnxruntime=__import__('onnxruntime').__version__),
               left_out=[f"{c['model']} {c['config']}" for c in missing],
               setup=dict(input=[1, 3, a.size, a.size], rounds=a.rounds, calibration="MinMax, preset 'quick' on $HARMOQ_DATA/calib (as onnx_check.py)",
                          order='interleaved: every round runs every (graph, threads) once, in a fresh random order',
                          time='seconds per call: the mean of `reps` back-to-back calls, one value per round'), rows=rows)
    rng = np.random.RandomState(a.seed)
    for r in range(a.rounds):
        for i in rng.permutation(len(rows)):
            row = rows[i]
            row['loadavg'].append(round(os.getloadavg()[0], 2))
            t0 = time.perf_counter()
            for _ in range(row['reps']): row['_session'].run(None, {row['_input']: x})
            row['times'].append((time.perf_counter() - t0) / row['reps'])
        print(f'round {r + 1}/{a.rounds} done, load {os.getloadavg()[0]:.2f}', flush=True)
    for row in rows:
        ts = row['times']
        row.update(median_s=statistics.median(ts), min_s=min(ts), max_s=max(ts), spread=(max(ts) - min(ts)) / statistics.median(ts))
        del row['_session'], row['_input']
    for row in rows:
        base = next((b for b in rows if b['model'] == row['model'] and b['config'] == 'fp32' and b['threads'] == row['threads']), None)
        row['speedup_vs_fp32'] = base['median_s'] / row['median_s'] if base else None
    write_json(rec, a.out)
    for row in rows: print(f"{row['model']:10} {row['config']:38} {row['threads']} thr: {row['median_s'] * 1e3:8.1f} ms (x{row['speedup_vs_fp32'] or float('nan'):.2f}, spread {row['spread']:.0%})")


if __name__ == '__main__':
    try: main()
    except HarmoqError as e: print(f'onnx_speed: error: {e}', file=sys.stderr); sys.exit(2)
