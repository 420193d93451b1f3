#!/usr/bin/env python
"""Time and peak memory of the README's main command (`harmoq_compare` with its defaults) under glibc allocator settings.

    python experiments/readme_command_time.py --variants mmap128k,none,mmap4m --out results/ci/readme_main_command_time.json

Each variant runs in a fresh process, one after the other, on this checkout's code: `harmoq_compare(json='', quiet=True)`
with the variant's glibc setting made before the command starts. Variants: `none` (glibc's default, dynamic mmap
threshold: what harmoq does), `mmap128k` (`harmoq.calibration.return_freed_memory`: allocations over 128 KiB by mmap),
`mmap1m`, `mmap4m`, `mmap16m` (other thresholds), `trim` (`malloc_trim(0)` after each distillation step). Each row records wall, user
and system seconds and the peak resident set (`ru_maxrss`); rows are appended to the output as they finish, with the
CPU model and flags and the provenance. Run it alone on the machine: the system time is what the variants change.
"""
import argparse, ctypes, json, os, resource, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {'none': "glibc's default (dynamic mmap threshold): harmoq's default", 'mmap128k': 'return_freed_memory (mmap threshold 128 KiB) from the start',
            'mmap1m': 'mmap threshold 1 MiB', 'mmap4m': 'mmap threshold 4 MiB', 'mmap16m': 'mmap threshold 16 MiB', 'trim': 'malloc_trim(0) after each distillation step'}
THRESHOLDS = {'mmap128k': 128 << 10, 'mmap1m': 1 << 20, 'mmap4m': 4 << 20, 'mmap16m': 16 << 20}

def run_variant(mode:str) -> dict:
    "Run the README's main command in this process with allocator variant `mode`; its times and peak RSS."
    import torch
    libc = ctypes.CDLL('libc.so.6')
    if mode in THRESHOLDS: libc.mallopt(-3, THRESHOLDS[mode])   # M_MMAP_THRESHOLD
    elif mode not in ('none', 'trim'): raise SystemExit(f'unknown variant {mode!r}')
    if mode == 'trim':
        sched = torch.optim.lr_scheduler.CosineAnnealingLR
        step = sched.step
        def trimmed(self, *a, **k):
            r = step(self, *a, **k); libc.malloc_trim(0); return r
        sched.step = trimmed
    from harmoq.cli import harmoq_compare
    t0 = time.time()
    harmoq_compare(json='', quiet=True)
    r = resource.getrusage(resource.RUSAGE_SELF)
    return dict(key=mode, variant=VARIANTS[mode], code='FakeQuantFunction', wall_s=round(time.time() - t0), user_s=round(r.ru_utime), sys_s=round(r.ru_stime), peak_rss_mib=round(r.ru_maxrss / 1024),
                torch_threads=torch.get_num_threads())

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--variants', default='none,mmap128k')
    p.add_argument('--out', default=str(ROOT/'results'/'ci'/'readme_main_command_time.json'))
    p.add_argument('--keep', action='store_true', help="keep the output file's 'earlier' measurements")
    p.add_argument('--one', default=None, help=argparse.SUPPRESS)   # internal: run one variant, print its row
    a = p.parse_args()
    if a.one: print(json.dumps(run_variant(a.one)), flush=True); return
    from harmoq.core import provenance, write_json
    from harmoq.bench import cpu_info
    rec = dict(kind='readme_main_command_time', what="the README's main command, harmoq_compare with its defaults (DAT-light x4, fp,minmax,harmoq, "
               "W4A4, quick preset, the embedded photographs), calibration data from HARMOQ_DATA if set, one fresh process per variant, run one after the other",
               env=dict(cpu_info(), HARMOQ_DATA=os.environ.get('HARMOQ_DATA')), provenance=provenance('cpu', argv=sys.argv), rows=[])
    if a.keep and Path(a.out).exists(): rec['earlier'] = json.loads(Path(a.out).read_text()).get('earlier', [])
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT)] + [q for q in os.environ.get('PYTHONPATH', '').split(os.pathsep) if q])}
    for mode in a.variants.split(','):
        out = subprocess.run([sys.executable, __file__, '--one', mode], capture_output=True, text=True, env=env, cwd=os.getcwd())
        if out.returncode: sys.exit(f'{mode} failed:\n{out.stderr[-2000:]}')
        rec['rows'].append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rec['rows'][-1], flush=True)
        write_json(rec, a.out)

if __name__ == '__main__': main()
