#!/usr/bin/env python
"""Probe (issue 17): where does a calibrated DAT-light lose its PSNR on Set5? HarmoQ's Set5 loss is concentrated on
three images (butterfly, bird, woman), while on held-out calibration patches it is a third of it. This script
calibrates the goal cell the way `harmoq_eval` does (cpu preset, seed 0, all 80 SunHays80 photographs, a stand-in for
DIV2K), and for every Set5 image, the calibration patches and 16 held-out-style patches counts, over all activation
quantizers, the share of values outside the calibrated bounds (clipped) and the quantization error split into its
clipping and rounding parts, relative to the signal.

    HARMOQ_DATA=/path/to/data python experiments/clip_probe.py --scale 4 --bits 4
"""
import argparse, statistics, torch
from pathlib import Path
from harmoq.core import provenance, write_json, data_root
from harmoq.data import image_files, calibration_patches, BenchmarkSet
from harmoq.cli import calibration_data
from harmoq.calibration import batches
from harmoq.metrics import psnr
from harmoq.evaluate import super_resolve
from harmoq.metrics import to_uint8
from harmoq.models import load_model
from harmoq.methods import quantize, method_config
from harmoq.quant import quantizers, fake_quant

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--scale', type=int, default=4)
ap.add_argument('--bits', type=int, default=4)
ap.add_argument('--method', default='harmoq')
ap.add_argument('--json', default=None)
args = ap.parse_args()
torch.set_num_threads(2)
S, B = args.scale, args.bits
net = load_model('dat-light', S).eval()
lr_cal, line, files = calibration_data(None, None, 'cpu', S, 0)
q, info = quantize(net, lr_cal, method_config(args.method, B, B, 'cpu', 0))
q.eval()
acts = quantizers(q, 'activations')
stats = {}


def hook(name, mod):
    def f(m, inp):
        x = inp[0].detach()
        lo, hi = (b.detach() for b in m.bounds())
        c = x.clamp(lo, hi)
        s = stats.setdefault(name, dict(n=0, clipped=0, clip_err=0., round_err=0., energy=0.))
        s['n'] += x.numel(); s['clipped'] += ((x < lo) | (x > hi)).sum().item()
        s['clip_err'] += ((c - x) ** 2).sum().item(); s['round_err'] += ((fake_quant(x, lo, hi, m.bits) - c) ** 2).sum().item()
        s['energy'] += (x ** 2).sum().item()
    return mod.register_forward_pre_hook(f)


hooks = [hook(n, m) for n, m in acts]


def measure(imgs) -> dict:
    "Totals of the forwards run on `imgs` (none: of the forwards run since `stats` was last cleared)."
    if imgs:
        stats.clear()
        with torch.no_grad():
            for x in imgs: q(x)
    n = sum(s['n'] for s in stats.values())
    rel_clip = [s['clip_err'] / max(s['energy'], 1e-30) for s in stats.values()]
    rel_round = [s['round_err'] / max(s['energy'], 1e-30) for s in stats.values()]
    worst = sorted(stats, key=lambda k: -stats[k]['clip_err'] / max(stats[k]['energy'], 1e-30))[:5]
    return dict(clipped_share=sum(s['clipped'] for s in stats.values()) / n,
                median_rel_clip_err=statistics.median(rel_clip), median_rel_round_err=statistics.median(rel_round),
                mean_rel_clip_err=statistics.mean(rel_clip), mean_rel_round_err=statistics.mean(rel_round),
                quantizers_clip_dominant=sum(c > r for c, r in zip(rel_clip, rel_round)),
                worst_clip=[(k, round(stats[k]['clipped'] / stats[k]['n'], 5), round(stats[k]['clip_err'] / max(stats[k]['energy'], 1e-30), 5)) for k in worst])


out = dict(provenance=provenance(argv=['experiments/clip_probe.py', f'--scale={S}', f'--bits={B}', f'--method={args.method}'], device='cpu', seed=0),
           calibration=line, method=args.method, quantizers=len(acts), images={})
out['calibration_patches'] = measure(batches(lr_cal, 8))
held = files[::5]    # every fifth photograph, as the held-out patches of the other probes (here the calibration drew from all 80)
lr_h, _ = calibration_patches(held, 16, 48 * S, S, seed=1)
out['other_crops_48'] = measure(batches(lr_h, 4))
print('calib', out['calibration_patches'], '\nother crops', out['other_crops_48'], flush=True)
for pair in BenchmarkSet(data_root() / 'benchmark' / 'Set5', S):
    with torch.no_grad():
        stats.clear(); sr_q = to_uint8(super_resolve(q, pair.lr)); m = measure([])   # the hooks count this forward
        sr_f = to_uint8(super_resolve(net, pair.lr))
    out['images'][pair.name] = dict(m, psnr_q=psnr(sr_q, pair.hr, S), psnr_fp=psnr(sr_f, pair.hr, S))
    print(pair.name, out['images'][pair.name], flush=True)
    write_json(out, Path(args.json or f'results/harmoq_plus/probe_clipping_dat-light_x{S}_w{B}a{B}.json'))
print('DONE')
