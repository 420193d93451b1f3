"""Issue 17: how much of HarmoQ+'s distance to full precision on Set5 is the calibration data?

The goal cells (results/goals/) calibrate on SunHays80, a stand-in for DIV2K. This probe calibrates the same goal
configuration (HarmoQ+, cpu preset, seed 0) on two other folders and scores Set5:
  - B100 HR: benchmark-style photographs (BSD), disjoint from Set5;
  - Set5 HR: Set5 itself, an oracle. It is a diagnostic of how far the best possible calibration data could go,
    never a result: no setting is chosen from it.
Each run is one `harmoq_eval` result file (with its own provenance) under results/harmoq_plus/probe_calib_domain/;
a finished file is not rerun, so an interrupted probe resumes.
"""
import argparse, json, os, subprocess
from pathlib import Path

CELLS = {'x4_w4a4': (4, 4), 'x2_w3a3': (2, 3), 'x2_w2a2': (2, 2), 'x4_w2a2': (4, 2)}
CALIB = {'b100': 'benchmark/B100/HR', 'set5': 'benchmark/Set5/HR'}

def finished(f:Path) -> bool:
    try: return len(json.loads(f.read_text())['results']['Set5']['images']) == 5
    except (OSError, ValueError, KeyError): return False

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--cells', default='x4_w4a4,x2_w3a3', help=f'comma-separated, of {list(CELLS)}')
    p.add_argument('--calib', default='set5,b100', help=f'comma-separated, of {list(CALIB)}')
    p.add_argument('--out', default='results/harmoq_plus/probe_calib_domain')
    a = p.parse_args()
    data = Path(os.environ['HARMOQ_DATA'])
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    for cell in a.cells.split(','):
        s, b = CELLS[cell]
        for c in a.calib.split(','):
            f = out / f'dat-light_{cell}_harmoqplus_calib-{c}.json'
            if finished(f): print('done:', f); continue
            f.unlink(missing_ok=True)   # harmoq_eval's per-image resume would recalibrate: start an unfinished cell afresh
            cmd = ['harmoq_eval', '--model', 'dat-light', '--scale', str(s), '--sets', 'Set5', '--method', 'harmoq+',
                   '--w_bits', str(b), '--a_bits', str(b), '--preset', 'cpu', '--device', 'cpu', '--quiet',
                   '--calib', str(data / CALIB[c]), '--json', str(f)]
            print(' '.join(cmd), flush=True)
            subprocess.run(cmd, check=True)

if __name__ == '__main__': main()
