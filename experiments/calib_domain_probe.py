"""Issue 17: how much of HarmoQ+'s distance to full precision on Set5 is the calibration data?

The goal cells (results/goals/) calibrate on SunHays80, a stand-in for DIV2K. This probe calibrates the same goal
configuration (HarmoQ+, cpu preset, seed 0) on two other folders and scores Set5:
  - B100 HR: benchmark-style photographs (BSD), disjoint from Set5;
  - Set5 HR: Set5 itself, an oracle. It is a diagnostic of how far the best possible calibration data could go,
    never a result: no setting is chosen from it.
`--calib sunhays80` repeats the goal cells' own calibration on the probe's machine: a calibration on another CPU
ends in another model (float rounding), so the comparisons are read between runs of one machine.
Each run is one `harmoq_eval` result file (with its own provenance) under results/harmoq_plus/probe_calib_domain/;
a finished file is not rerun, so an interrupted probe resumes.

`--budget 4x`: the same, with four times the reconstruction steps per block and four times the output term's steps
(`steps=240, output_steps=900`; harmoq_eval has no such option, so this calibrates and scores Set5 in-process and
writes a file of the same shape, with `budget` and the calibration's `config` recording it). Also for `--calib sunhays80` (the goal cells'
data), so that data and budget can be read as a 2 x 2. `--budget 4x_512`: 4x on 512 calibration patches instead of the cpu
preset's 128 (more data against the stall of more steps on the same patches).

Longer budgets (issue 17's distance goals; `--device cuda`, one process per cell and budget, `experiments/jobs_issue17.txt`):
`16x` (960 reconstruction steps per block, 3600 output-term steps, the cpu preset's patches; 46 minutes of calibration
on two CPU cores at x2 W3A3) and `paper` (the sizes of
`HarmoQPlusConfig.preset('paper')`: 2000 steps of 32 patches per block, two Algorithm 1 iterations, 300 ABR steps, 8192
rows, and the paper preset's 1000 calibration patches of 128x128 HR pixels; with the cpu preset's held-out choices, QDrop
off, rounding lr 0.1, the output term (3000 steps, HarmoQ's paper budget) and the channel shift). Neither has been timed on
a GPU: the jobs run side by side, each writes its file when it finishes, and the progress in its log says how far one
got that ran out of time. The same budget on a GPU and on a CPU ends in different models (float rounding), so read
a GPU file against the others of its run.
"""
import argparse, json, os, subprocess
from pathlib import Path

CELLS = {'x4_w4a4': (4, 4), 'x2_w3a3': (2, 3), 'x2_w2a2': (2, 2), 'x4_w2a2': (4, 2)}
CALIB = {'b100': 'benchmark/B100/HR', 'set5': 'benchmark/Set5/HR', 'sunhays80': 'calib/SunHays80'}
BUDGETS = {'4x': dict(steps=240, output_steps=900), '16x': dict(steps=960, output_steps=3600),
           '4x_512': dict(steps=240, output_steps=900, patches=512),   # 4x, on four times the cpu preset's calibration patches
           'paper': dict(steps=2000, batch=32, harmoq_iterations=2, abr_steps=300, max_rows=8192, calib_preset='paper', output_steps=3000)}

def finished(f:Path) -> bool:
    try: return len(json.loads(f.read_text())['results']['Set5']['images']) == 5
    except (OSError, ValueError, KeyError): return False

def budget_setup(s:int, b:int, budget:dict) -> tuple:
    "`(preset, cfg, overrides, patches)` of `budget` at x`s` W`b`A`b`: the calibration-data preset (with `budget`'s patch count), the HarmoQ+ config, the config overrides, the patch count or None."
    import dataclasses
    from harmoq.baselines import get_preset
    from harmoq.methods import method_config
    budget = dict(budget)
    patches = budget.pop('patches', None)   # a calibration-data size, not a HarmoQPlusConfig field
    preset = get_preset(budget.get('calib_preset', 'cpu'), s)
    if patches: preset = dataclasses.replace(preset, patches=patches)
    return preset, dataclasses.replace(method_config('harmoq+', b, b, 'cpu', 0), **budget).check(), budget, patches

def run_in_process(f:Path, s:int, b:int, calib:Path, budget:dict, device:str='cpu'):
    "HarmoQ+ cpu preset with `budget` overrides, calibrated on `calib` as harmoq_eval does (the patches of `budget`'s calib_preset), scored on Set5 on `device`; written to `f`."
    import sys, torch
    from harmoq.core import provenance, write_json
    from harmoq.cli import calibration_data
    from harmoq.data import benchmark
    from harmoq.evaluate import evaluate
    from harmoq.methods import quantize
    from harmoq.models import load_model
    torch.manual_seed(0)
    net = load_model('dat-light', s).to(device)
    preset, cfg, budget, patches = budget_setup(s, b, budget)
    lr, line, _ = calibration_data(str(calib), None, preset, s, 0)
    print(f'calibrating harmoq+ W{b}A{b} with {budget} on {line}', flush=True)
    q, info = quantize(net, lr, cfg, progress=device != 'cpu')   # what harmoq_eval's calibration does, with cfg's budget; a GPU job's log shows how far it got
    root = os.environ.get('HARMOQ_DATA')
    info.update(calib=line.replace(str(Path(root).expanduser()), '$HARMOQ_DATA') if root else line)   # no machine's absolute data path in a committed file
    r = evaluate(q.eval(), benchmark('Set5', s), progress=False)
    rec = dict(model='dat-light', scale=s, method='harmoq+', w_bits=b, a_bits=b, preset=budget.get('calib_preset', 'cpu'),
               budget=dict(budget, patches=patches) if patches else budget,
               provenance=provenance(device, sys.argv, seed=0), quant=q.quant_config.as_dict(), calibration=info,
               results=dict(Set5=dict(psnr=r['psnr'], ssim=r['ssim'], images=r['images'])))
    write_json(rec, f)
    print(f"Set5 {r['psnr']:.3f} dB, calibrated in {info['calib_seconds']} s", flush=True)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--cells', default='x4_w4a4,x2_w3a3', help=f'comma-separated, of {list(CELLS)}')
    p.add_argument('--calib', default='set5,b100', help=f'comma-separated, of {list(CALIB)}')
    p.add_argument('--budget', default=None, help=f'None (the cpu preset, through harmoq_eval) or one of {list(BUDGETS)}')
    p.add_argument('--device', default='cpu', help="'cpu' or 'cuda' (with --budget)")
    p.add_argument('--out', default='results/harmoq_plus/probe_calib_domain')
    a = p.parse_args()
    if a.device != 'cpu' and a.budget is None: p.error('--device needs --budget (harmoq_eval runs the cpu preset on the CPU)')
    data = Path(os.environ['HARMOQ_DATA'])
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    for cell in a.cells.split(','):
        s, b = CELLS[cell]
        for c in a.calib.split(','):
            f = out / f"dat-light_{cell}_harmoqplus_calib-{c}{'' if a.budget is None else '_budget' + a.budget}.json"
            if finished(f): print('done:', f); continue
            f.unlink(missing_ok=True)   # harmoq_eval's per-image resume would recalibrate: start an unfinished cell afresh
            if a.budget is not None: run_in_process(f, s, b, data / CALIB[c], BUDGETS[a.budget], a.device); continue
            cmd = ['harmoq_eval', '--model', 'dat-light', '--scale', str(s), '--sets', 'Set5', '--method', 'harmoq+',
                   '--w_bits', str(b), '--a_bits', str(b), '--preset', 'cpu', '--device', 'cpu', '--quiet',
                   '--calib', str(data / CALIB[c]), '--json', str(f)]
            print(' '.join(cmd), flush=True)
            subprocess.run(cmd, check=True)

if __name__ == '__main__': main()
