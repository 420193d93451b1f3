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
data), so that data and budget can be read as a 2 x 2.
"""
import argparse, json, os, subprocess
from pathlib import Path

CELLS = {'x4_w4a4': (4, 4), 'x2_w3a3': (2, 3), 'x2_w2a2': (2, 2), 'x4_w2a2': (4, 2)}
CALIB = {'b100': 'benchmark/B100/HR', 'set5': 'benchmark/Set5/HR', 'sunhays80': 'calib/SunHays80'}
BUDGETS = {'4x': dict(steps=240, output_steps=900)}

def finished(f:Path) -> bool:
    try: return len(json.loads(f.read_text())['results']['Set5']['images']) == 5
    except (OSError, ValueError, KeyError): return False

def run_in_process(f:Path, s:int, b:int, calib:Path, budget:dict):
    "HarmoQ+ cpu preset with `budget` overrides, calibrated on `calib` as harmoq_eval does, scored on Set5; written to `f`."
    import dataclasses, sys, torch
    from harmoq.core import provenance, write_json
    from harmoq.cli import calibration_data
    from harmoq.data import benchmark
    from harmoq.evaluate import evaluate
    from harmoq.methods import method_config, quantize
    from harmoq.models import load_model
    torch.manual_seed(0)
    net = load_model('dat-light', s)
    lr, line, _ = calibration_data(str(calib), None, 'cpu', s, 0)
    cfg = dataclasses.replace(method_config('harmoq+', b, b, 'cpu', 0), **budget).check()
    print(f'calibrating harmoq+ W{b}A{b} with {budget} on {line}', flush=True)
    q, info = quantize(net, lr, cfg)   # what harmoq_eval's calibration does, with cfg's budget
    info.update(calib=line)
    r = evaluate(q.eval(), benchmark('Set5', s), progress=False)
    rec = dict(model='dat-light', scale=s, method='harmoq+', w_bits=b, a_bits=b, preset='cpu', budget=budget,
               provenance=provenance('cpu', sys.argv, seed=0), quant=q.quant_config.as_dict(), calibration=info,
               results=dict(Set5=dict(psnr=r['psnr'], ssim=r['ssim'], images=r['images'])))
    write_json(rec, f)
    print(f"Set5 {r['psnr']:.3f} dB, calibrated in {info['calib_seconds']} s", flush=True)

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--cells', default='x4_w4a4,x2_w3a3', help=f'comma-separated, of {list(CELLS)}')
    p.add_argument('--calib', default='set5,b100', help=f'comma-separated, of {list(CALIB)}')
    p.add_argument('--budget', default=None, help=f'None (the cpu preset, through harmoq_eval) or one of {list(BUDGETS)}')
    p.add_argument('--out', default='results/harmoq_plus/probe_calib_domain')
    a = p.parse_args()
    data = Path(os.environ['HARMOQ_DATA'])
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    for cell in a.cells.split(','):
        s, b = CELLS[cell]
        for c in a.calib.split(','):
            f = out / f"dat-light_{cell}_harmoqplus_calib-{c}{'' if a.budget is None else '_budget' + a.budget}.json"
            if finished(f): print('done:', f); continue
            f.unlink(missing_ok=True)   # harmoq_eval's per-image resume would recalibrate: start an unfinished cell afresh
            if a.budget is not None: run_in_process(f, s, b, data / CALIB[c], BUDGETS[a.budget]); continue
            cmd = ['harmoq_eval', '--model', 'dat-light', '--scale', str(s), '--sets', 'Set5', '--method', 'harmoq+',
                   '--w_bits', str(b), '--a_bits', str(b), '--preset', 'cpu', '--device', 'cpu', '--quiet',
                   '--calib', str(data / CALIB[c]), '--json', str(f)]
            print(' '.join(cmd), flush=True)
            subprocess.run(cmd, check=True)

if __name__ == '__main__': main()
