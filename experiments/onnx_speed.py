"""Speed of harmoq's ONNX graphs in ONNX Runtime on the CPU, in one run: the fp32 graph against QDQ graphs at W8A8 and W4A4
(MinMax-calibrated DAT-light x4 and IMDN x4) in both QDQ forms, with and without Q/DQ on the attention products,
beside torch fp32 eager and harmoq's own integer model (harmoq.fast.fast_integer of harmoq.deploy.to_integer, eager;
--compiled adds harmoq.fast.compile_fast for the models it names), at 1 and 2 threads, in interleaved rounds (median and spread; the load
average of every measurement and before/after the run is recorded: the CPU may be shared).

    HARMOQ_DATA=/path/to/data HARMOQ_WEIGHTS=/path/to/weights python experiments/onnx_speed.py [--rounds 5] [--size 64]

Every graph is exported for the fixed --size input with the TorchScript exporter (to_onnx(..., dynamic=False): one
exporter for both models; seconds to a minute each). Reuses the calibrated models and graphs cached by
experiments/onnx_check.py (--work); writes results/onnx/speed.json."""
from __future__ import annotations
import argparse, json, os, statistics, sys, time
from collections import Counter
from pathlib import Path
import numpy as np
import torch

from harmoq.core import HarmoqError, provenance, write_json
from harmoq.bench import cpu_info, load_average
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
    o.add_session_config_entry('session.intra_op.allow_spinning', '0')   # idle sessions' threads must not spin on the shared cores
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.log_severity_level = 3   # errors only
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


def torch_runner(model, threads: int):
    "A call of `model` on a numpy input with `threads` torch threads (set before every call: the rounds interleave thread counts)."
    def run(x):
        torch.set_num_threads(threads)
        with torch.no_grad(): return model(torch.from_numpy(x))
    return run


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
    ap.add_argument('--compiled', default='', help="models whose integer model is also timed compiled (harmoq.fast.compile_fast), e.g. 'imdn'")
    a = ap.parse_args(argv)
    require_onnx()
    from harmoq.fast import fast_integer, compile_fast
    from harmoq.deploy import to_integer
    load_before = load_average()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    models = {'dat-light': ('dat-light', 4), 'imdn': (a.imdn, 4)}
    threads = [int(t) for t in a.threads.split(',')]
    x = np.random.RandomState(a.seed).rand(1, 3, a.size, a.size).astype(np.float32)
    how = f'TorchScript exporter, fixed {a.size}x{a.size} input'
    configs = []   # dict(model, config, bits, kind, ...) with a 'make(threads)' giving a callable on the numpy input
    for m in a.models.split(','):
        path, scale = models[m]
        sfx = f'_static{a.size}'
        fp = load_model(path, scale).eval()
        g = work / f'{m}_fp32{sfx}.onnx'
        export_graph(fp, g, 'exact', allow_float=True, dynamic=False, size=a.size)
        configs.append(dict(model=m, config='torch fp32 eager', bits=32, engine='torch', make=lambda t, fp=fp: torch_runner(fp, t)))
        configs.append(dict(model=m, config='ORT fp32', bits=32, engine='onnxruntime', graph=g, export=how))
        for b in (8, 4):
            q = calibrated(path, scale, 'minmax', (b, b), a.seed, work)[0]
            fast = fast_integer(to_integer(q))
            configs.append(dict(model=m, config=f'W{b}A{b} harmoq integer (fast_integer, eager)', bits=b, engine='torch',
                                make=lambda t, f=fast: torch_runner(f, t)))
            if m in a.compiled.split(','):
                t0 = time.time()
                comp = compile_fast(fast_integer(to_integer(q)), torch.from_numpy(x))
                with torch.no_grad(): comp(torch.from_numpy(x))
                configs.append(dict(model=m, config=f'W{b}A{b} harmoq integer (compile_fast)', bits=b, engine='torch', compile_seconds=round(time.time() - t0, 1),
                                    make=lambda t, c=comp: torch_runner(c, t)))
            variants = [('exact', True), ('standard', True)] + ([('standard', False)] if m == 'dat-light' else [])
            for form, att in variants:
                g = work / (f'{m}_minmax_w{b}a{b}_{form}{sfx}.onnx' if att else f'{m}_minmax_w{b}a{b}_{form}_noattn{sfx}.onnx')
                export_graph(q, g, form, attention=att, dynamic=False, size=a.size)
                name = f'W{b}A{b} ORT QDQ {form}' + ('' if m != 'dat-light' else ', attention in float' if not att else ', attention quantized too')
                configs.append(dict(model=m, config=name, bits=b, engine='onnxruntime', form=form, attention=att, graph=g, export=how))
        print(f'{m}: models and graphs ready', flush=True)
    rows = []
    for c in configs:
        for t in threads:
            if c['engine'] == 'onnxruntime':
                s = session(c['graph'], t)
                name = s.get_inputs()[0].name
                run = (lambda s, name: lambda x: s.run(None, {name: x}))(s, name)
                extra = dict(graph_bytes=c['graph'].stat().st_size, ort_ops=optimized_ops(c['graph'], work))
            else:
                run, extra = c['make'](t), {}
            t0 = time.perf_counter(); run(x); first = time.perf_counter() - t0   # warm-up
            rows.append(dict({k: (str(v) if isinstance(v, Path) else v) for k, v in c.items() if k not in ('make', 'graph')}, threads=t, **extra,
                             warmup_s=first, reps=max(1, int(a.min_seconds / max(first, 1e-4))), times=[], loadavg=[], _run=run))
    rec = dict(provenance=dict(provenance('cpu', sys.argv, a.seed), cpu_flags=cpu_flags(), onnxruntime=__import__('onnxruntime').__version__),
               cpu=cpu_info(), load_average_before=load_before,
               setup=dict(input=[1, 3, a.size, a.size], output=[1, 3, 4 * a.size, 4 * a.size], rounds=a.rounds,
                          calibration="MinMax, preset 'quick' on $HARMOQ_DATA/calib (as onnx_check.py)",
                          onnxruntime_session='CPUExecutionProvider, ORT_ENABLE_ALL, sequential, intra-op threads = threads, no spinning',
                          order='interleaved: every round runs every (configuration, threads) once, in a fresh random order',
                          time='seconds per call: the mean of `reps` back-to-back calls, one value per round'), rows=rows)
    rng = np.random.RandomState(a.seed)
    for r in range(a.rounds):
        for i in rng.permutation(len(rows)):
            row = rows[i]
            row['loadavg'].append(round(os.getloadavg()[0], 2))
            t0 = time.perf_counter()
            for _ in range(row['reps']): row['_run'](x)
            row['times'].append((time.perf_counter() - t0) / row['reps'])
        print(f'round {r + 1}/{a.rounds} done, load {os.getloadavg()[0]:.2f}', flush=True)
    for row in rows:
        ts = row['times']
        row.update(median_s=statistics.median(ts), min_s=min(ts), max_s=max(ts), spread=(max(ts) - min(ts)) / statistics.median(ts))
        del row['_run']
    for row in rows:
        base = next((b for b in rows if b['model'] == row['model'] and b['config'] == 'ORT fp32' and b['threads'] == row['threads']), None)
        row['speedup_vs_ort_fp32'] = base['median_s'] / row['median_s'] if base else None
        base = next((b for b in rows if b['model'] == row['model'] and b['config'] == 'torch fp32 eager' and b['threads'] == row['threads']), None)
        row['speedup_vs_torch_fp32'] = base['median_s'] / row['median_s'] if base else None
    rec['load_average_after'] = load_average()
    write_json(rec, a.out)
    for row in rows: print(f"{row['model']:10} {row['config']:58} {row['threads']} thr: {row['median_s'] * 1e3:8.1f} ms "
                           f"(x{row['speedup_vs_ort_fp32'] or float('nan'):.2f} vs ORT fp32, spread {row['spread']:.0%})")


if __name__ == '__main__':
    try: main()
    except HarmoqError as e: print(f'onnx_speed: error: {e}', file=sys.stderr); sys.exit(2)
