#!/usr/bin/env python
"""The DAT-light Set5 cells that issue 17's goals compare, computed by one commit of the code: HarmoQ and 2DQuant at
W2A2 and W3A3 (x2 and x4; the +0.3 dB goal), HarmoQ+ at its four goal cells, then HarmoQ and 2DQuant at W4A4.

Each cell is one `harmoq_eval` run (cpu preset, calibrated on SunHays80, a stand-in for DIV2K) writing
results/goals/dat-light_x{scale}_{method}_w{b}a{b}.json with its provenance. A file that an earlier commit computed
with different code (experiments/stale_results.py's test) is moved aside to results/goals/stale/ and recomputed, so
that a finished run leaves every cell from the same code; a file from the same code is kept, so an interrupted run
resumes (harmoq_eval continues a partial file). nbs/44 renders the files and checks that they share one commit.

    HARMOQ_DATA=/path/to/data python experiments/goal_cells.py                 # all cells, in the order below
    HARMOQ_DATA=/path/to/data python experiments/goal_cells.py --methods harmoq,2dquant
"""
import argparse, json, shlex, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'experiments'))
from stale_results import changed_modules   # noqa: E402

CELLS = [(s, b, m) for b in (3, 2) for s in (4, 2) for m in ('harmoq', '2dquant')] + \
        [(4, 4, 'harmoq+'), (2, 3, 'harmoq+'), (2, 2, 'harmoq+'), (4, 2, 'harmoq+')] + \
        [(s, 4, m) for s in (4, 2) for m in ('harmoq', '2dquant')]     # (scale, bits, method), in the order they run


def path_of(scale: int, bits: int, method: str) -> Path:
    return ROOT / 'results' / 'goals' / f"dat-light_x{scale}_{method.replace('+', 'plus')}_w{bits}a{bits}.json"


def same_code(path: Path) -> bool:
    "The file's commit ran the same harmoq/ code as HEAD (not a -dirty tree)."
    commit = json.loads(path.read_text())['provenance']['commit'] or '-dirty'
    return not commit.endswith('-dirty') and changed_modules(commit) == []


def complete(path: Path) -> bool:
    r = json.loads(path.read_text())['results'].get('Set5')
    return bool(r) and not r.get('partial')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--methods', default='harmoq,2dquant,harmoq+', help='comma-separated methods to run (default: all)')
    ap.add_argument('--dry-run', action='store_true', help='print the commands only')
    args = ap.parse_args()
    methods = args.methods.split(',')
    for scale, bits, method in CELLS:
        if method not in methods: continue
        path = path_of(scale, bits, method)
        same = path.exists() and same_code(path)
        if same and complete(path): print('current:', path.relative_to(ROOT), flush=True); continue
        cmd = ['harmoq_eval', '--model', 'dat-light', '--scale', str(scale), '--sets', 'Set5', '--method', method, '--w_bits', str(bits),
               '--a_bits', str(bits), '--preset', 'cpu', '--device', 'cpu', '--quiet', '--json', str(path.relative_to(ROOT))]
        print(shlex.join(cmd), flush=True)
        if args.dry_run: continue
        if path.exists() and not same:   # computed by other code: keep it for the record, out of harmoq_eval's resume logic
            (path.parent / 'stale').mkdir(exist_ok=True)
            path.rename(path.parent / 'stale' / path.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(cmd, check=True, cwd=ROOT)


if __name__ == '__main__': main()
