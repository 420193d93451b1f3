"""HarmoQ+ settings and ablation on held-out calibration patches (never on a test set): DAT-light, run from the repository root with HARMOQ_DATA set.

Same protocol as experiments/harmoq_variants.py (so HarmoQ's and 2DQuant's held-out rows of results/harmoq/variants_dat-light_x4_w3a3.json
compare directly): SunHays80 (a stand-in for DIV2K) split by image, every fifth image held out; the cpu preset's LR 24x24 calibration
patches from the other 64 images (128 since commit 9640348; the heldout_ files were run with the 32 of the earlier preset), 16 LR
48x48 / HR 192x192 held-out patches; PSNR on Y, border = scale. Each run is one row of
results/harmoq_plus/heldout_dat-light_x<scale>_w<b>a<b>.json (or --json), written when it finishes (an interrupted run resumes at the
next row). Every run starts from HarmoQPlusConfig.preset('cpu') and changes the switches its RUNS entry names
(calib_domain_probe.budget_setup, as the Set5 probe builds its budgets).

    python experiments/harmoq_plus.py --bits 3 --runs harmoq+,no_adaround,no_block,no_qdrop [--steps 50 --batch 4] [--threads 2]
    # the ablation of the preset of 2026-12-02 (QDrop off, round_lr 0.1, output term on), each ingredient switched in turn:
    python experiments/harmoq_plus.py --bits 3 --runs harmoq+,no_adaround,no_block,with_qdrop,no_output --json results/harmoq_plus/ablation_dat-light_x4_w3a3.json
    # the channel shift against the preset of 2026-12-02, at the two goal cells it is chosen on (rule, fixed before the runs:
    # adopted into the cpu preset if it is closer to the FP network's output on the held-out patches in both cells):
    python experiments/harmoq_plus.py --bits 4 --runs harmoq+,channel_shift
    python experiments/harmoq_plus.py --scale 2 --bits 3 --runs harmoq+,channel_shift
"""
import argparse, json, statistics, time, torch
from pathlib import Path
from harmoq.core import provenance, write_json
from harmoq.data import calibration_patches
from harmoq.baselines import PRESETS
from harmoq.models import load_model
from harmoq.methods import quantize
from heldout import sunhays_split, HeldOut   # experiments/heldout.py (run from the repository root: python experiments/...)
from calib_domain_probe import BUDGETS, budget_setup   # the longer budgets that the goal cells' probe runs on Set5

RUNS = {   # name: the switches that differ from HarmoQPlusConfig's defaults
    'harmoq+': dict(),
    'no_adaround': dict(adaround=False),
    'no_block': dict(block_reconstruction=False),
    'no_qdrop': dict(qdrop=0.),
    'qdrop_0.25': dict(qdrop=0.25),
    'with_output': dict(output_steps=150),   # HarmoQ's output term (150 steps, as its cpu preset) after the reconstruction
    'round_lr_0.1': dict(round_lr=0.1),      # rounding variables 10x faster: at 60 steps Adam moves V by at most ~0.6 at 1e-2
    'round_lr_0.1_weight_0.1': dict(round_lr=0.1, round_weight=0.1),
    'round_lr_0.1_no_qdrop': dict(round_lr=0.1, qdrop=0.),   # the two held-out findings of the ablation and the rounding rate
    'round_lr_0.1_no_qdrop_with_output': dict(round_lr=0.1, qdrop=0., output_steps=150),   # ... and HarmoQ's output term (its cpu preset's)
    'with_qdrop': dict(qdrop=0.5),          # QDrop on (the class default), for the preset of 2026-12-02 that has it off
    'no_output': dict(output_steps=0),      # HarmoQ's output term off, for the preset of 2026-12-02 that has it on
    'channel_shift': dict(channel_shift=True),   # LayerNorm outputs centred before qkv/fc1 (Outlier Suppression+), folded into the biases
    'no_channel_shift': dict(channel_shift=False),
    'budget_4x': BUDGETS['4x'],     # four times the reconstruction and output-term steps (calib_domain_probe.py --budget 4x)
    'budget_16x': BUDGETS['16x'],   # sixteen times them
    'budget_4x_512': BUDGETS['4x_512'],   # 4x on 512 calibration patches (patches: the run's data, not a config switch)
}
ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument('--bits', type=int, default=3, help='W and A bits')
ap.add_argument('--scale', type=int, default=4)
ap.add_argument('--runs', default='harmoq+', help=f'comma-separated names from {", ".join(RUNS)}')
ap.add_argument('--steps', type=int, default=None, help='reconstruction steps per unit (default: the cpu preset)')
ap.add_argument('--batch', type=int, default=None, help='patches per reconstruction step (default: the cpu preset)')
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--json', default=None)
args = ap.parse_args()
torch.set_num_threads(args.threads)
s = args.scale
dat = load_model('dat-light', s).eval()
cal_files, held_files = sunhays_split()
preset = PRESETS['cpu']
lr_cal, _ = calibration_patches(cal_files, preset.patches, preset.patch * s, s, seed=preset.seed)
held_out = HeldOut(dat, s, held_files).score
path = Path(args.json or f'results/harmoq_plus/heldout_dat-light_x{s}_w{args.bits}a{args.bits}.json')
out = json.loads(path.read_text()) if path.exists() else dict(runs={})
out.update(fp=held_out(dat), bits=args.bits, scale=s,
           calibration=f'SunHays80 (a stand-in for DIV2K): {preset.patches} LR {preset.patch}x{preset.patch} patches from the 64 non-held-out images (cpu preset)',
           evaluation=f'16 LR 48x48 / HR {48 * s}x{48 * s} patches from the 16 held-out SunHays80 images (every fifth); PSNR Y, border {s}')
for name in args.runs.split(','):
    kw = dict(RUNS[name])
    if args.steps: kw['steps'] = args.steps
    if args.batch: kw['batch'] = args.batch
    key = name + ''.join(f' {k}={kw[k]}' for k in ('steps', 'batch') if k in kw)
    if key in out['runs']: print('done already:', key); continue
    run_preset, cfg, _, _ = budget_setup(s, args.bits, kw)   # a budget's `patches` sizes the data, the rest is the config
    lr_run = lr_cal if (run_preset.patches, run_preset.lr_patch(s)) == (preset.patches, preset.lr_patch(s)) else \
        calibration_patches(cal_files, run_preset.patches, run_preset.lr_patch(s) * s, s, seed=run_preset.seed)[0]
    qm, log = quantize(dat, lr_run, cfg)
    units = log['units'].values()
    row = dict(held_out(qm), switches=dict(adaround=cfg.adaround, block_reconstruction=cfg.block_reconstruction, qdrop=cfg.qdrop,
                                         round_lr=cfg.round_lr, output_steps=cfg.output_steps, channel_shift=cfg.channel_shift), patches=len(lr_run),
               steps=cfg.steps, batch=cfg.batch, calib_seconds=log['calib_seconds'], harmoq_seconds=log['harmoq']['calib_seconds'],
               reconstruction_seconds=log['reconstruction_seconds'], output_seconds=log.get('output_seconds'), units=len(log['units']),
               unit_error_before=statistics.mean(u['error_before'] for u in units), unit_error_after=statistics.mean(u['error_after'] for u in units),
               undecided_rounding=statistics.mean(u['undecided'] for u in units) if cfg.adaround else None,
               config=log['config'], provenance=provenance(argv=['experiments/harmoq_plus.py', '--bits', str(args.bits), '--scale', str(s), '--runs', name]
                                                            + ([f'--steps', str(args.steps)] if args.steps else []) + ([f'--batch', str(args.batch)] if args.batch else [])
                                                            + ['--threads', str(args.threads)] + (['--json', args.json] if args.json else []), seed=cfg.seed))
    out = json.loads(path.read_text()) if path.exists() else out
    out['runs'][key] = row; write_json(out, path)
    print(key, {k: row[k] for k in ('psnr', 'psnr_vs_fp', 'calib_seconds', 'unit_error_before', 'unit_error_after', 'undecided_rounding')}, flush=True)
