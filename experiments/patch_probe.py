#!/usr/bin/env python
"""Probe (issue 17): does the calibration patch size matter for DAT-light? The cpu preset's 24x24 LR patches are
smaller than DAT's 8x32 / 32x8 attention windows, so DAT zero-pads q, k and v to 32x32 and about 44% of every attention
window that calibration sees is padding; the paper preset's 128x128 HR patches are 32x32 LR at x4 (no padding).
HarmoQ's cpu preset with LR patches of 24 (32 patches, the preset), 32 (18 patches: the same pixels) and 32 (32
patches), scored on held-out SunHays80 patches (a stand-in for DIV2K; every fifth image held out) of 48x48 LR (the
protocol of experiments/harmoq_variants.py) and 64x64 LR (no padding).

    HARMOQ_DATA=/path/to/data python experiments/patch_probe.py --scale 4 --bits 4
"""
import argparse, time, torch
from dataclasses import replace
from pathlib import Path
from harmoq.core import provenance, write_json
from harmoq.data import calibration_patches
from harmoq.algorithm import quantize, HarmoQConfig
from heldout import probe_setup, HeldOut   # experiments/heldout.py

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--runs', default='24x32,32x18,32x32', help='LR patch side x number of patches, comma-separated')
args, S, B, dat, cal_files, held_files = probe_setup(ap, bits=4)
held = {side: HeldOut(dat, S, held_files, side) for side in (48, 64)}


def held_out(model) -> dict:
    return {f'psnr_{side}': h.score(model)['psnr'] for side, h in held.items()}


path = Path(args.json or f'results/harmoq_plus/probe_patch_size_dat-light_x{S}_w{B}a{B}.json')
res = dict(provenance=provenance(argv=['experiments/patch_probe.py', f'--scale={S}', f'--bits={B}', f'--runs={args.runs}'], device='cpu', seed=0),
           method='harmoq, cpu preset', calibration='SunHays80 (DIV2K stand-in), 64 non-held-out images, seed 0',
           evaluation='16 held-out SunHays80 patches per size (48x48 and 64x64 LR), PSNR Y, border = scale',
           fp=held_out(dat), runs={})
print('fp', res['fp'], flush=True)
for run in args.runs.split(','):
    side, n = map(int, run.split('x'))
    lr_cal, _ = calibration_patches(cal_files, n, side * S, S, seed=0)
    t0 = time.time()
    q, lg = quantize(dat, lr_cal, HarmoQConfig.preset('cpu', w_bits=B, a_bits=B))
    res['runs'][f'lr patch {side}, {n} patches'] = dict(held_out(q), calib_seconds=round(time.time() - t0, 1), lr_patch=side, patches=n)
    print(run, res['runs'][f'lr patch {side}, {n} patches'], flush=True)
    write_json(res, path)
print('DONE')
