#!/usr/bin/env python
"""Peak memory of a harmoq command: run it in a subprocess and write `results/memory/<name>.json`.

    python experiments/peak_memory.py --name harmoq_compare_quick -- harmoq_compare
    python experiments/peak_memory.py --name harmoq_eval_cpu_w4a4 -- harmoq_eval --method harmoq --sets Set5 --preset cpu

The peak is the maximum resident set size of the command's process, as the kernel counts it
(`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` after it ends: the largest of this script's finished children, and
this script starts only the one). The RSS is also sampled every second from /proc, so the file shows when the peak
happens. A harmoq console-script name (`harmoq_compare`, ...) runs the function of `settings.ini`'s console_scripts from
the code importable here (a checkout with PYTHONPATH, or the installed package), so the measured code is the
checkout's even where the installed console scripts point elsewhere. The file records the command, the commit, the
CPU model and flags, torch threads, date, exit status and wall time.
"""
import argparse, configparser, os, resource, subprocess, sys, threading, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def entry_points() -> dict:
    "`{console script: 'module:function'}` from settings.ini."
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT/'settings.ini')
    return dict(s.split('=', 1) for s in cfg['DEFAULT'].get('console_scripts', '').split())

def runnable(cmd:list) -> list:
    "The argv that runs `cmd`: a harmoq console script through its function (here importable), anything else as given."
    eps = entry_points()
    if cmd and cmd[0] in eps:
        mod, fn = eps[cmd[0]].split(':')
        return [sys.executable, '-c', f'import sys; sys.argv[0] = {cmd[0]!r}; from {mod} import {fn} as f; sys.exit(f())', *cmd[1:]]
    return cmd

def cpu() -> dict:
    "CPU model, logical cores and flags from /proc/cpuinfo."
    info = {'model': None, 'logical_cores': os.cpu_count(), 'flags': None}
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            k, _, v = line.partition(':')
            if k.strip() == 'model name' and not info['model']: info['model'] = v.strip()
            if k.strip() == 'flags' and not info['flags']: info['flags'] = v.strip()
    except OSError: pass
    return info

def rss_mb(pid:int) -> float|None:
    try:
        for line in Path(f'/proc/{pid}/status').read_text().splitlines():
            if line.startswith('VmRSS:'): return int(line.split()[1]) / 1024
    except (OSError, ValueError): return None

def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--name', required=True, help='result file name: results/memory/<name>.json')
    p.add_argument('--out_dir', '--out-dir', default=str(ROOT/'results'/'memory'))
    p.add_argument('--cwd', default=None, help='folder to run the command in (default: a fresh temporary folder)')
    p.add_argument('command', nargs=argparse.REMAINDER, help='the command, after --')
    a = p.parse_args()
    cmd = a.command[1:] if a.command[:1] == ['--'] else a.command
    if not cmd: p.error('no command: give it after --')
    import tempfile
    from harmoq.core import provenance, write_json
    cwd = a.cwd or tempfile.mkdtemp(prefix='harmoq-memory-')
    samples, t0 = [], time.time()
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT)] + [q for q in os.environ.get('PYTHONPATH', '').split(os.pathsep) if q])}
    proc = subprocess.Popen(runnable(cmd), cwd=cwd, stderr=subprocess.PIPE, text=True, env=env)   # this checkout's harmoq
    lines = []
    def relay():   # the command's stderr goes on to ours, and its lines (not progress-bar redraws) into the record
        for line in proc.stderr:
            sys.stderr.write(line); sys.stderr.flush()
            lines.append(line.rstrip('\n').split('\r')[-1])
    relay_th = threading.Thread(target=relay, daemon=True); relay_th.start()
    stop = threading.Event()
    def sample():
        while not stop.wait(1.0):
            r = rss_mb(proc.pid)
            if r is not None: samples.append((round(time.time() - t0, 1), round(r, 1)))
    th = threading.Thread(target=sample, daemon=True); th.start()
    code = proc.wait(); stop.set(); th.join(); relay_th.join()
    wall = time.time() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # Linux reports KiB
    import signal
    ended = 'finished' if code >= 0 else f'killed by {signal.Signals(-code).name}' + (' (the kernel\'s OOM killer sends SIGKILL when the machine runs out of memory; the peak is then a lower bound)' if code == -9 else '')
    rec = dict(name=a.name, command=' '.join(cmd), exit_status=code, ended=ended, peak_rss_mb=round(peak_mb, 1), peak_rss_gb=round(peak_mb / 1024, 2),
               wall_seconds=round(wall, 1), env={k: os.environ.get(k) for k in ('HARMOQ_DATA', 'OMP_NUM_THREADS', 'HARMOQ_CHECK_ONLY')},
               stderr_lines=[l for l in lines if l.strip()][:40],
               rss_mb_every_second=samples[::max(1, len(samples) // 400)], cpu=cpu(),
               provenance=provenance('cpu', argv=cmd),
               how='peak = resource.getrusage(RUSAGE_CHILDREN).ru_maxrss of the one child process after it ended; samples from /proc/<pid>/status VmRSS')
    out = write_json(rec, Path(a.out_dir)/f'{a.name}.json')
    print(f'{a.name}: peak RSS {rec["peak_rss_gb"]} GB ({rec["peak_rss_mb"]} MB), {rec["wall_seconds"]} s, exit {code} -> {out}')
    sys.exit(code)

if __name__ == '__main__': main()
