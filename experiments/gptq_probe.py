#!/usr/bin/env python
"""Probe (issue 17): does error-compensating rounding (GPTQ, Frantar et al., ICLR 2023) after HarmoQ's layer-wise
stage help, on held-out calibration patches? Same protocol as experiments/harmoq_variants.py (SunHays80, a stand-in
for DIV2K: 64 images give 32 calibration patches, the cpu preset's count when this probe ran, every fifth image 16 held-out 48x48 LR patches).

    HARMOQ_DATA=/path/to/data python experiments/gptq_probe.py --scale 4 --bits 2
"""
import argparse, copy, statistics, time, torch
from dataclasses import replace
from pathlib import Path
from harmoq.core import provenance, write_json
from harmoq.data import calibration_patches
from harmoq.baselines import PRESETS
from harmoq.calibration import distill_bounds
from harmoq.algorithm import quantize, HarmoQConfig
from harmoq.abr import capture_layer_inputs, quant_layers
from harmoq.quant import quantizers, fake_quant
from harmoq.src import quantized_input, _weight_matrix, effective_weight
from heldout import probe_setup, HeldOut   # experiments/heldout.py

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--rows', type=int, default=8192, help='captured input rows per layer for H')
ap.add_argument('--damp', type=float, default=0.01, help="H's damping, a share of its mean diagonal")
args, S, B, dat, cal_files, held_files = probe_setup(ap, bits=2)
preset = PRESETS['cpu']
lr_cal, _ = calibration_patches(cal_files, 32, preset.patch * S, S, seed=preset.seed)   # the cpu preset's count when this probe ran
held_out = HeldOut(dat, S, held_files).score


def gptq_round(W, H, lo, hi, bits, damp=0.01, act_order=True):
    "Round W (out, in) to its per-row grids column by column, each column's error spread over the later columns (OBS update with H^-1)."
    W, H = W.clone(), H.clone()
    d = H.diagonal().clone()
    dead = d <= 0
    H[dead, dead] = 1.
    H += damp * d[~dead].mean() * torch.eye(len(H), dtype=H.dtype)
    perm = torch.argsort(H.diagonal(), descending=True) if act_order else torch.arange(len(H))
    W, H = W[:, perm], H[perm][:, perm]
    U = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    Q = torch.empty_like(W)
    for j in range(W.shape[1]):
        q = fake_quant(W[:, j], lo, hi, bits)
        Q[:, j] = q
        e = (W[:, j] - q) / U[j, j]
        W[:, j + 1:] -= e[:, None] * U[j, j + 1:][None, :]
    return Q[:, torch.argsort(perm)]


@torch.no_grad()
def gptq_(qmodel, calib, rows, damp) -> dict:
    names = quant_layers(qmodel)
    X = capture_layer_inputs(qmodel, calib, names, rows, 8, 0)
    out = {}
    for n in names:
        layer = qmodel.get_submodule(n)
        s = getattr(layer, 'input_scale', None)
        xq = quantized_input(layer, X[n].to(layer.weight.dtype)).double()
        W = _weight_matrix(layer).detach().double()
        if s is not None: xq, W = xq / s.double(), W * s.double()    # the scaled domain: Q(W s) @ Q(x / s)
        lo, hi = (b.detach().double() for b in layer.w_quant.bounds())
        H = xq.T @ xq / len(xq)
        Wn = effective_weight(layer).double() * (1 if s is None else s.double())
        before = ((xq @ (Wn - W).T) ** 2).mean().item()
        Q = gptq_round(W, H, lo, hi, layer.w_quant.bits, damp)
        after = ((xq @ (Q - W).T) ** 2).mean().item()
        Wnew = Q if s is None else Q / s.double()
        layer.weight.data.copy_(Wnew.view_as(layer.weight).to(layer.weight))
        check = (effective_weight(layer).double() * (1 if s is None else s.double()) - Q).abs().max().item()
        out[n] = dict(before=before, after=after, regrid=check)
    return out


cfg = HarmoQConfig.preset('cpu', w_bits=B, a_bits=B)
path = Path(args.json or f'results/harmoq_plus/probe_gptq_dat-light_x{S}_w{B}a{B}.json')
res = dict(provenance=provenance(argv=['experiments/gptq_probe.py'] + [f'--scale={S}', f'--bits={B}', f'--rows={args.rows}', f'--damp={args.damp}'],
                                 device='cpu', seed=0), fp=held_out(dat), runs={})
t0 = time.time()
q0, lg = quantize(dat, lr_cal, replace(cfg, reconstruction=None))
res['runs']['harmoq layer-wise'] = dict(held_out(q0), seconds=round(time.time() - t0, 1)); print(res['runs'], flush=True)
t0 = time.time()
q1 = copy.deepcopy(q0)
g = gptq_(q1, lr_cal, args.rows, args.damp)
res['runs']['harmoq layer-wise + gptq'] = dict(held_out(q1), seconds=round(time.time() - t0, 1),
                                               layer_err_ratio=statistics.median(v['after'] / v['before'] for v in g.values()),
                                               max_regrid=max(v['regrid'] for v in g.values()))
print(res['runs'], flush=True); write_json(res, path)


def output_term(q, kind):
    params = [p for n, qq in quantizers(q) if kind == 'all' or not n.endswith('w_quant') for p in qq.parameters()]
    t0 = time.time()
    distill_bounds(q, dat, lr_cal, params, cfg.output_steps, cfg.output_batch, lr=cfg.output_lr, feature_loss='2dquant',
                   feature_grad=cfg.output_feature_grad, checkpoint=cfg.output_checkpoint, seed=cfg.seed)
    return round(time.time() - t0, 1)


for name, q, kind in (('harmoq (+ output term)', q0, 'all'), ('harmoq + gptq (+ output term, all bounds)', copy.deepcopy(q1), 'all'),
                      ('harmoq + gptq (+ output term, activation bounds only)', q1, 'act')):
    sec = output_term(q, kind)
    res['runs'][name] = dict(held_out(q), output_seconds=sec); print(name, res['runs'][name], flush=True); write_json(res, path)
print('DONE')
