#!/usr/bin/env python
"""Issue 17's result cells, one resumable `harmoq_eval` file per cell (cpu preset, seed 0, calibrated on SunHays80, a
stand-in for DIV2K), in phases:

- `goals`: the DAT-light Set5 cells that the issue's goals compare, in results/goals/: HarmoQ and 2DQuant at W3A3 and
  W2A2 (x4 and x2; the +0.3 dB goal), HarmoQ+ at its four goal cells, then HarmoQ and 2DQuant at W4A4;
- the grid of the paper's Table 1 as far as a CPU allows, in results/grid/, in the order of what each CPU-hour buys:
  `imdn` (IMDN x4, every method, cheap), `x3-set5` (DAT-light x3 on Set5, every method), `x3` (Set14 and B100 added to
  the same files), `x2` (DAT-light x2 on Set14/B100) and `urban100` (Urban100 x4), the last two for 2DQuant, HarmoQ and
  HarmoQ+.

Each cell writes {folder}/{model}_x{scale}_{method}_w{b}a{b}.json after every image. A file computed by other code
(experiments/stale_results.py's test) is moved to {folder}/stale/ and recomputed; a file from today's code is kept and
only its missing sets are evaluated, so the runner resumes where it stopped, across sessions. A later phase that asks
a finished file for more sets (DAT-light x3: Set5 first, then Set5, Set14 and B100) moves it to {folder}/first_pass/
and evaluates all its sets from one calibration, so the two Set5 numbers check that a calibration repeats (same code,
seed and machine). nbs/44 renders both folders and checks that each comes from one commit.

    HARMOQ_DATA=/path/to/data python experiments/grid_cells.py                # every phase, in order
    HARMOQ_DATA=/path/to/data python experiments/grid_cells.py --phases goals --methods harmoq,2dquant
    HARMOQ_DATA=/path/to/data python experiments/grid_cells.py --phases imdn --dry-run
"""
import argparse, json, shlex, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'experiments'))
from stale_results import changed_modules   # noqa: E402

EVERY = ('minmax', 'percentile', 'dobi', '2dquant', 'dbdc_pac', 'harmoq', 'harmoq+')
BEST = ('2dquant', 'harmoq', 'harmoq+')
BITS = (4, 3, 2)
GOALS = [(s, b, m) for b in (3, 2) for s in (4, 2) for m in ('harmoq', '2dquant')] + \
        [(4, 4, 'harmoq+'), (2, 3, 'harmoq+'), (2, 2, 'harmoq+'), (4, 2, 'harmoq+')] + \
        [(s, 4, m) for s in (4, 2) for m in ('harmoq', '2dquant')]     # (scale, bits, method): the goal cells, in order
PHASES = {   # name: [(model, scale, method, bits, sets)], run in this order; the goal cells go to results/goals/
    'goals': [('dat-light', s, m, b, 'Set5') for s, b, m in GOALS],
    'imdn': [('imdn', 4, m, b, 'Set5,Set14') for b in BITS for m in EVERY],
    'x3-set5': [('dat-light', 3, m, b, 'Set5') for b in BITS for m in EVERY],
    'x3': [('dat-light', 3, m, b, 'Set5,Set14,B100') for b in BITS for m in EVERY],
    'x2': [('dat-light', 2, m, b, 'Set5,Set14,B100') for b in BITS for m in BEST],
    'urban100': [('dat-light', 4, m, b, 'Urban100') for b in (4, 2) for m in BEST],
}


def path_of(model: str, scale: int, method: str, bits: int, folder: str = 'grid') -> Path:
    return ROOT / 'results' / folder / f"{model}_x{scale}_{method.replace('+', 'plus')}_w{bits}a{bits}.json"


def same_code(path: Path) -> bool:
    "The file's commit ran the same harmoq/ code as HEAD (not a -dirty tree)."
    commit = json.loads(path.read_text())['provenance']['commit'] or '-dirty'
    return not commit.endswith('-dirty') and changed_modules(commit) == []


def complete(path: Path, sets: str) -> bool:
    "Every set of `sets` is in the file, with all its images."
    res = json.loads(path.read_text()).get('results', {})
    return all(res.get(s) and not res[s].get('partial') for s in sets.split(','))


def sets_asked(record: dict) -> set:
    "The sets that the command which wrote `record` asked for."
    cmd = shlex.split(record['provenance']['command'])
    return set(cmd[cmd.index('--sets') + 1].split(',')) if '--sets' in cmd else set()


def model_arg(model: str) -> str:
    "IMDN's official weights come from $HARMOQ_WEIGHTS (evaluation only, never shipped)."
    if model != 'imdn': return model
    import os
    return str(Path(os.environ.get('HARMOQ_WEIGHTS', '../shared/weights')) / 'IMDN_x4.pth')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--phases', default=','.join(PHASES), help=f"comma-separated phases (default: all): {', '.join(PHASES)}")
    ap.add_argument('--methods', default=','.join(EVERY), help='comma-separated methods to run (default: all)')
    ap.add_argument('--dry-run', action='store_true', help='print the commands only')
    args = ap.parse_args()
    for phase in args.phases.split(','):
        for model, scale, method, bits, sets in PHASES[phase]:
            if method not in args.methods.split(','): continue
            path = path_of(model, scale, method, bits, 'goals' if phase == 'goals' else 'grid')
            same = path.exists() and same_code(path)
            if same and complete(path, sets): print('current:', path.relative_to(ROOT), sets, flush=True); continue
            aside = None   # where an existing file goes before the run: kept for the record, out of harmoq_eval's resume logic
            if path.exists() and not same: aside = 'stale'   # computed by other code
            elif path.exists():
                old = json.loads(path.read_text())
                res = old['results']
                # an interrupted run (inside a set, or between sets it was asked for): harmoq_eval resumes it, keeping its
                # finished images; the same seed on the same CPU repeats the calibration (the first_pass/ pairs show it)
                if any(r.get('partial') for r in res.values()) or set(sets.split(',')) <= sets_asked(old):
                    sets = ','.join(dict.fromkeys(list(res) + sets.split(',')))
                else: aside = 'first_pass'   # a finished first pass (Set5 only): all sets again, from one calibration
            cmd = ['harmoq_eval', '--model', model_arg(model), '--scale', str(scale), '--sets', sets, '--method', method,
                   '--w_bits', str(bits), '--a_bits', str(bits), '--preset', 'cpu', '--device', 'cpu', '--quiet',
                   '--json', str(path.relative_to(ROOT))]
            print(shlex.join(cmd) + (f'   (the file before goes to {aside}/)' if aside else ''), flush=True)
            if args.dry_run: continue
            if aside:
                (path.parent / aside).mkdir(parents=True, exist_ok=True)
                path.rename(path.parent / aside / path.name)
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(cmd, check=True, cwd=ROOT)


if __name__ == '__main__': main()
