"""Fidelity of harmoq's ONNX export: DAT-light x4 and IMDN x4, MinMax and HarmoQ (quick preset), W8A8 and W4A4, both QDQ
forms, checked in onnxruntime against harmoq's fake-quant model on Set5 and the embedded photographs.

    HARMOQ_DATA=/path/to/data HARMOQ_WEIGHTS=/path/to/weights python experiments/onnx_check.py [--imdn PATH] [--out results/onnx/fidelity.json]

Models in --per_size (default dat-light) run through one fixed-size graph per input size (TorchScript exporter,
harmoq.onnx_export.PerSizeOnnx: about a minute per size, where the dynamic dynamo export of DAT-light took about 40);
the others through one dynamic graph. --optimization is onnxruntime's graph optimization level of the sessions.
Calibrated models and exported graphs are cached under --work (not committed); results/onnx/fidelity.json is
rewritten after every row, and a rerun skips the rows it already holds."""
from __future__ import annotations
import argparse, json, os, sys, time
from collections import Counter
from pathlib import Path
import torch

from harmoq.core import HarmoqError, provenance, write_json
from harmoq.data import benchmark, default_images
from harmoq.evaluate import calibrated_model
import harmoq.algorithm   # registers the 'harmoq' method with harmoq.baselines.calibrate
from harmoq.models import load_model
from harmoq.quant import save_quantized
from harmoq.onnx_export import to_onnx, load_onnx, compare_outputs, export_module, qdq_summary, require_onnx, PerSizeOnnx


def cpu_flags() -> list:
    "The SIMD flags of this CPU that matter to integer kernels (avx2, avx512*, vnni, amx)."
    try: line = next(l for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('flags'))
    except (OSError, StopIteration): return []
    return sorted(f for f in line.split(':', 1)[1].split() if f.startswith(('avx', 'amx', 'fma', 'sse4', 'vnni')) or 'vnni' in f)


def calibrated(model: str, scale: int, method: str, bits: tuple, seed: int, work: Path):
    "The calibrated fake-quant model (cached as safetensors in `work`) and its calibration info."
    name = Path(model).stem.lower()
    cache = work / f'{name}_{method}_w{bits[0]}a{bits[1]}_s{seed}.safetensors'
    info_file = cache.with_suffix('.json')
    if cache.is_file() and info_file.is_file():
        return load_model(cache, scale).eval(), json.loads(info_file.read_text())
    net = load_model(model, scale).eval()
    q, info = calibrated_model(net, method, bits[0], bits[1], None, os.environ.get('HARMOQ_DATA'), 'quick', seed)
    info = {k: v for k, v in info.items() if k in ('method', 'preset', 'patches', 'lr_patch', 'calib_seconds', 'calib_images', 'calib_source', 'iterations')}
    save_quantized(q.eval(), cache, harmoq_method=method)
    info_file.write_text(json.dumps(info))
    return q.eval(), info


def export_graph(q, graph: Path, form: str, attention: bool = True, allow_float: bool = False, dynamic: bool = True, size: int = 64) -> float | None:
    "Export `q` to `graph` unless it is cached there; the export time in seconds (from the sidecar file for a cached graph)."
    side = graph.with_suffix('.seconds')
    if not graph.is_file():
        t0 = time.time()
        to_onnx(q, graph, input_size=(size, size), form=form, attention=attention, allow_float=allow_float, dynamic=dynamic)
        side.write_text(str(round(time.time() - t0, 1)))
    return float(side.read_text()) if side.is_file() else None


def graph_from_template(template: Path, template_q, q, form: str, out: Path) -> dict:
    """Write `q`'s graph to `out` by putting its weights, bounds and codes into the initializers of `template` (exported from
    `template_q`: same architecture and quantized layers, exact form): every initializer equal to a tensor of `template_q`'s
    export module takes the matching tensor of `q`'s, and a Linear with an input scale (HSO) that the template lacks gets
    its Div in front of its input Clip. Seconds instead of a DAT-light export's minutes; checked against `q` after."""
    import numpy as np, onnx
    from onnx import numpy_helper, helper
    if form != 'exact': raise HarmoqError('templates are for the exact form (the standard form changes per quantizer)')
    old, new = (export_module(m, form) for m in (template_q, q))
    so, sn = old.state_dict(), new.state_dict()
    extra = [k for k in sn if k not in so]
    if any(k not in sn for k in so) or any(not k.endswith('.input_scale') for k in extra) or \
       any(so[k].shape != sn[k].shape or so[k].dtype != sn[k].dtype for k in so):
        raise HarmoqError('the template comes from a model with other quantized layers')
    by_value = {}
    for k, v in so.items(): by_value.setdefault((v.numel(), v.numpy().tobytes()), []).append(k)
    g = onnx.load(str(template))
    replaced = same = 0
    names_of = {}
    for init in g.graph.initializer:
        a = numpy_helper.to_array(init)
        keys = by_value.get((a.size, np.ascontiguousarray(a).reshape(-1).tobytes()), [])
        if not keys: continue
        for k in keys: names_of.setdefault(k, []).append(init.name)
        vals = {sn[k].numpy().tobytes() for k in keys}
        if len(vals) > 1 and init.name in keys: keys = [init.name]   # equal values before (e.g. LayerNorm weights of 1): its own name decides
        elif len(vals) > 1: raise HarmoqError(f'initializer {init.name} matches several tensors that now differ')
        b = sn[keys[0]].numpy().reshape(a.shape).astype(a.dtype)
        if np.array_equal(a, b): same += 1; continue
        init.CopyFrom(numpy_helper.from_array(b, init.name)); replaced += 1
    divs = 0
    for k in extra:   # 'layer.input_scale': x / s in front of the layer's input quantizer
        layer = k[:-len('.input_scale')]
        los = set(names_of.get(f'{layer}.a_quant.lo', []))
        clips = [n for n in g.graph.node if n.op_type == 'Clip' and len(n.input) > 1 and n.input[1] in los]
        if len(clips) != 1: raise HarmoqError(f'cannot find the input Clip of {layer} in the template ({len(clips)} candidates)')
        clip = clips[0]
        sname, oname = f'harmoq_input_scale_{divs}', f'harmoq_input_scaled_{divs}'
        g.graph.initializer.append(numpy_helper.from_array(sn[k].numpy().astype(np.float32), sname))
        pos = list(g.graph.node).index(clip)
        g.graph.node.insert(pos, helper.make_node('Div', [clip.input[0], sname], [oname], name=f'harmoq_input_scale_div_{divs}'))
        clip.input[0] = oname
        divs += 1
    meta = {p.key: p for p in g.metadata_props}
    cfg = getattr(q, 'quant_config', None)
    if 'harmoq_quant' in meta and cfg is not None: meta['harmoq_quant'].value = json.dumps(cfg.as_dict())
    if 'harmoq_qdq' in meta: meta['harmoq_qdq'].value = json.dumps(qdq_summary(new))
    onnx.save(g, str(out))
    onnx.checker.check_model(onnx.load(str(out)))
    x = torch.rand(1, 3, 40, 40)
    with torch.no_grad(): ref, ref_old = new(x), old(x)
    y = load_onnx(out, threads=1)(x)
    diff, moved = (y - ref).abs().max().item(), (ref - ref_old).abs().max().item()
    if diff > 0.1 or diff > moved / 10: out.unlink(); raise HarmoqError(f'the templated graph does not reproduce the model (max |diff| {diff:.3f})')
    return dict(template=template.name, initializers_replaced=replaced, initializers_unchanged=same, input_scale_divs=divs,
                check_input=[1, 3, 40, 40], check_max_abs_diff=diff, template_model_max_abs_diff=moved)


def row_key(r: dict) -> tuple: return (r['model'], r['method'], r['w_bits'], r['a_bits'], r['form'], r['set'], r.get('graphs', 'dynamic'), r.get('ort_optimization', 'all'))


def save_merged(rec: dict, out: Path) -> dict:
    "Write `rec` to `out` together with the rows another process (same command, other --models/--methods) wrote there meanwhile."
    if out.is_file():
        disk = json.loads(out.read_text())
        mine = {row_key(r) for r in rec['rows']}
        rec['rows'] += [r for r in disk['rows'] if row_key(r) not in mine]
        parts = disk.get('provenance_parts', [disk['provenance']])
        if rec['provenance'] not in parts: parts.append(rec['provenance'])
        rec['provenance_parts'] = parts
    order = {m: i for i, m in enumerate(('imdn', 'dat-light'))}
    rec['rows'].sort(key=lambda r: (r['form'] != 'exact', order.get(r['model'], 9), r['method'], -r['w_bits'], r['set']))
    write_json(rec, out)
    return rec


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--imdn', default=str(Path(os.environ.get('HARMOQ_WEIGHTS', '.')) / 'IMDN_x4.pth'))
    ap.add_argument('--out', default='results/onnx/fidelity.json')
    ap.add_argument('--work', default=os.environ.get('HARMOQ_ONNX_WORK', '/tmp/harmoq_onnx_work'))
    ap.add_argument('--models', default='imdn,dat-light')
    ap.add_argument('--methods', default='minmax,harmoq')
    ap.add_argument('--bits', default='8,4')
    ap.add_argument('--forms', default='exact,standard')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--sets', default='Set5,default', help="'Set5' and/or 'default' (the embedded photographs)")
    ap.add_argument('--per_size', default='dat-light', help='models checked through per-size graphs (PerSizeOnnx) instead of one dynamic graph')
    ap.add_argument('--optimization', default='all', choices=['none', 'basic', 'all'], help="onnxruntime's graph optimization level")
    a = ap.parse_args(argv)
    require_onnx()
    import onnx
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    out = Path(a.out)
    rec = dict(provenance=dict(provenance('cpu', sys.argv, a.seed), cpu_flags=cpu_flags()),
               setup=dict(calibration="preset 'quick' (16 seeded LR patches of 24x24 from $HARMOQ_DATA/calib, a DIV2K stand-in: "
                                      "SunHays80 photographs), harmoq.evaluate.calibrated_model",
                          compare='harmoq.onnx_export.compare_outputs: BasicSR PSNR (Y, crop = scale) of both models, whole images',
                          onnxruntime=__import__('onnxruntime').__version__, onnx=onnx.__version__), rows=[])
    if out.is_file(): rec['rows'] = json.loads(out.read_text())['rows']   # resume: keep the rows already there
    done = {row_key(r) for r in rec['rows']}
    models = dict(imdn=(a.imdn, 4), **{'dat-light': ('dat-light', 4)})
    sets = [(n, f) for n, f in (('Set5', lambda: benchmark('Set5', 4)), ('default', lambda: default_images(4))) if n in a.sets.split(',')]
    forms = a.forms.split(',')
    for form in forms:
        for mname in a.models.split(','):
            path, scale = models[mname]
            for method in a.methods.split(','):
                for b in (int(x) for x in a.bits.split(',')):
                    kind = 'per-size' if mname in a.per_size.split(',') else 'dynamic'
                    keys = [(mname, method, b, b, form, s, kind, a.optimization) for s, _ in sets]
                    if all(k in done for k in keys): continue
                    row0 = dict(model=mname, method=method, w_bits=b, a_bits=b, form=form, graphs=kind, ort_optimization=a.optimization)
                    try:
                        q, info = calibrated(path, scale, method, (b, b), a.seed, work)
                    except HarmoqError as e:
                        print(f'{row0}: calibration failed: {e}', flush=True)
                        continue
                    if kind == 'dynamic':
                        graph = work / f'{mname}_{method}_w{b}a{b}_{form}.onnx'
                        export_s = export_graph(q, graph, form)
                        om = load_onnx(graph, threads=a.threads, optimization=a.optimization)
                    else:
                        om = PerSizeOnnx(q, work / 'per_size', f'{mname}_{method}_w{b}a{b}', form, threads=a.threads, optimization=a.optimization)
                    summary = qdq_summary(export_module(q, form))
                    for sname, make in sets:
                        done |= {row_key(r) for r in (json.loads(out.read_text())['rows'] if out.is_file() else [])}
                        if (mname, method, b, b, form, sname, kind, a.optimization) in done: continue
                        t0 = time.time()
                        data = make()
                        if kind == 'per-size':   # export (or find) every size's graph first: export time apart from the comparison
                            sizes = sorted({tuple(p.lr.shape[-2:]) for p in data})
                            for hw in sizes:
                                om.graph(*hw)
                                if hw in om.export_seconds: om.graph_path(*hw).with_suffix('.seconds').write_text(str(om.export_seconds[hw]))
                            secs = {f'{h}x{w}': float(om.graph_path(h, w).with_suffix('.seconds').read_text()) if om.graph_path(h, w).with_suffix('.seconds').is_file() else None
                                    for h, w in sizes}
                            export_s = dict(total=round(sum(v for v in secs.values() if v), 1), per_size=secs)
                            graph = om.graph_path(*sizes[0])
                            t0 = time.time()
                        g = onnx.load(str(graph))
                        onnx.checker.check_model(g)
                        ops = Counter(n.op_type for n in g.graph.node)
                        r = compare_outputs(q, om, data)
                        row = dict(row0, calibration=info, export_seconds=export_s, checker='ok',
                                   graph=dict(nodes=sum(ops.values()), QuantizeLinear=ops['QuantizeLinear'], DequantizeLinear=ops['DequantizeLinear'],
                                              Clip=ops['Clip'], bytes=graph.stat().st_size),
                                   qdq=summary, compare_seconds=round(time.time() - t0, 1), **r)
                        if kind == 'per-size': row['graph']['one_of'] = f'{len(sizes)} graphs, one per input size; the counts are those of {graph.name}'
                        templ = graph.with_suffix('.template.json')   # a graph made by graph_from_template (see there)
                        if templ.is_file(): row['graph_from_template'] = json.loads(templ.read_text())
                        rec['rows'].append(row)
                        rec = save_merged(rec, out)
                        print(f"{mname} {method} W{b}A{b} {form} {kind} {a.optimization} {sname}: fake-quant {r['psnr_fake_quant']:.3f} dB, onnx {r['psnr_onnx']:.3f} dB, "
                              f"delta {r['delta_db']:+.4f}, max|diff| {r['max_abs_diff']:.2e} (export {export_s} s)", flush=True)
    save_merged(rec, out)


if __name__ == '__main__':
    try: main()
    except HarmoqError as e: print(f'onnx_check: error: {e}', file=sys.stderr); sys.exit(2)
