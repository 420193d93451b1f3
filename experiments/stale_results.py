#!/usr/bin/env python
"""List the result files under results/ whose recorded commit computed them with different code than HEAD's
harmoq/, and optionally rerun them.

Only the modules that the recorded command reaches through its imports count (found statically from HEAD's
sources, function-level imports included): a change to the analysis notebooks does not make a full-precision
evaluation stale. A command that is not a harmoq console command or an experiments/ script (a notebook cell)
depends on all of harmoq/.

"Different code" compares the abstract syntax trees of the modules with docstrings removed, so a change of
wording in a docstring or comment does not make a result stale, while any change to what runs does. A commit
recorded with `-dirty` had uncommitted changes: the tree that ran is unknown, so such a record is listed as
`dirty` (stale unless shown otherwise). Records without a commit, or whose commit this clone does not have,
are listed as `unknown`.

    python experiments/stale_results.py                  # table: file, commit, status, changed modules
    python experiments/stale_results.py --json out.json  # the same as JSON
    python experiments/stale_results.py --rerun --only results/harmoq/dat-light_x4_harmoq_w4a4.json

`--rerun` runs the recorded command of each stale file that names a harmoq console command or a script in
experiments/ (notebook cells are listed, not run: rerun the notebook's flagged cell); the commands write their
files themselves, with new provenance.
"""
import argparse, ast, json, shlex, subprocess, sys
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ('harmoq_eval', 'harmoq_compare', 'harmoq_quantize', 'harmoq_bench', 'harmoq_analysis_fig1',
            'harmoq_analysis_fig2', 'harmoq_analysis_fig3', 'harmoq_analysis_fig5')


def git(*args) -> subprocess.CompletedProcess:
    return subprocess.run(['git', '-C', str(ROOT), *args], capture_output=True, text=True)


def code_of(source: str) -> str:
    "The module's syntax tree without docstrings, as text (equal for two sources that differ only in docs/comments)."
    try: tree = ast.parse(source)
    except SyntaxError: return source
    for node in ast.walk(tree):
        body = getattr(node, 'body', None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
           isinstance(getattr(body[0], 'value', None), ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


@lru_cache(None)
def modules_at(commit: str) -> dict:
    "`{path: code}` of the Python files under harmoq/ at `commit` ('HEAD' included); None if the commit is unknown."
    ls = git('ls-tree', '-r', '--name-only', commit, '--', 'harmoq')
    if ls.returncode: return None
    out = {}
    for p in ls.stdout.split():
        if p.endswith('.py') and not p.endswith('_modidx.py'):
            out[p] = code_of(git('show', f'{commit}:{p}').stdout)
    return out


def changed_modules(commit: str) -> list | None:
    "Modules of harmoq/ whose code differs between `commit` and HEAD (None if the commit is unknown here)."
    old, new = modules_at(commit), modules_at('HEAD')
    if old is None: return None
    return sorted(p for p in set(old) | set(new) if old.get(p) != new.get(p))


def _module_path(name: str) -> str | None:
    "harmoq/... path of the dotted module `name` at HEAD (a module file or a package's __init__)."
    base = name.replace('.', '/')
    for p in (f'{base}.py', f'{base}/__init__.py'):
        if (ROOT / p).is_file(): return p
    return None


def _imports(path: str) -> set:
    "Dotted names of the harmoq modules `path` imports anywhere (top level or inside functions)."
    pkg = path[:-3].replace('/', '.').removesuffix('.__init__')
    if not path.endswith('__init__.py'): pkg = pkg.rpartition('.')[0]
    out, tree = set(), ast.parse((ROOT / path).read_text())
    for f in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == '__getattr__']:
        f.body = [ast.Pass()]    # a module's lazy attributes are imported only when asked for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import): out |= {a.name for a in node.names if a.name.split('.')[0] == 'harmoq'}
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ''
            if node.level:
                base = pkg.split('.')[:len(pkg.split('.')) - node.level + 1]
                mod = '.'.join(base + ([mod] if mod else []))
            if mod.split('.')[0] != 'harmoq': continue
            out.add(mod)
            out |= {f'{mod}.{a.name}' for a in node.names}   # `from harmoq import algorithm` names a module
    return out


@lru_cache(None)
def closure(entry: str) -> frozenset:
    "Paths of the modules that the module or script `entry` reaches through imports, itself included."
    todo, seen = [entry], set()
    while todo:
        p = todo.pop()
        if p in seen: continue
        seen.add(p)
        for name in _imports(p):
            parts = name.split('.')
            for i in range(1, len(parts) + 1):     # a package's __init__ runs too
                q = _module_path('.'.join(parts[:i]))
                if q and q not in seen: todo.append(q)
    return frozenset(seen)


def console_scripts() -> dict:
    "`{command: module path}` from settings.ini's console_scripts."
    import configparser
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT / 'settings.ini')
    out = {}
    for item in cfg['DEFAULT'].get('console_scripts', '').split():
        name, _, target = item.partition('=')
        p = _module_path(target.split(':')[0])
        if p: out[name] = p
    return out


def split_command(command: str) -> list:
    "The argv of a recorded command; commands recorded unquoted (an apostrophe in an argument) split on spaces."
    try: return shlex.split(command or '')
    except ValueError: return (command or '').split()


def dependencies(command: str) -> frozenset | None:
    "The harmoq modules the recorded `command` runs (None: unknown, e.g. a notebook cell: all modules count)."
    argv = split_command(command)
    if not argv: return None
    scripts = console_scripts()
    if argv[0] in scripts: return closure(scripts[argv[0]])
    script = ROOT / 'experiments' / Path(argv[0]).name
    if argv[0].endswith('.py') and script.is_file(): return closure(str(script.relative_to(ROOT)))
    return None


def provenances(obj):
    "Every provenance-like record (a dict with 'commit' and 'command') inside a result file."
    if isinstance(obj, dict):
        if 'commit' in obj and 'command' in obj: yield obj
        for v in obj.values(): yield from provenances(v)
    elif isinstance(obj, list):
        for v in obj: yield from provenances(v)


def status(path: Path) -> dict:
    "Stale-or-current status of one result file, over all the provenance records it holds."
    try: data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e: return dict(file=str(path.relative_to(ROOT)), status='unreadable', why=str(e))
    recs = list(provenances(data))
    row = dict(file=str(path.relative_to(ROOT)), commits=sorted({str(r.get('commit')) for r in recs}),
               commands=sorted({str(r.get('command')) for r in recs}))
    verdicts, changed = [], set()
    for r in recs:
        c = r.get('commit')
        if not c: verdicts.append('unknown'); continue
        dirty, sha = c.endswith('-dirty'), c.removesuffix('-dirty')
        mods = changed_modules(sha)
        if mods is None: verdicts.append('unknown'); continue
        deps = dependencies(r.get('command'))
        if deps is not None: mods = [m for m in mods if m in deps]
        changed |= set(mods)
        verdicts.append('stale' if mods else ('dirty' if dirty else 'current'))
    order = ['stale', 'dirty', 'unknown', 'current']
    row['status'] = min(verdicts, key=order.index) if verdicts else 'unknown'
    row['changed'] = sorted(changed)
    return row


def rerun_command(row: dict) -> list | None:
    "The argv that recomputes a file, if its recorded command is a harmoq command or an experiments/ script."
    if len(row['commands']) != 1: return None
    argv = split_command(row['commands'][0])
    if not argv: return None
    if argv[0] in COMMANDS: return argv
    script = ROOT / 'experiments' / Path(argv[0]).name
    if argv[0].endswith('.py') and script.is_file(): return [sys.executable, str(script), *argv[1:]]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--only', nargs='*', help='result files to consider (default: every JSON file under results/)')
    ap.add_argument('--json', help='also write the table as JSON here')
    ap.add_argument('--rerun', action='store_true', help='rerun the recorded command of each stale file that has one')
    a = ap.parse_args()
    files = [Path(f).resolve() for f in a.only] if a.only else sorted((ROOT / 'results').rglob('*.json'))
    rows = [status(f) for f in files]
    for r in rows:
        print(f"{r['status']:<8} {r['file']:<62} {','.join(c[:7] for c in r.get('commits', []))[:30]:<30} "
              f"{' '.join(Path(m).stem for m in r.get('changed', []))[:80]}")
    counts = {s: sum(r['status'] == s for r in rows) for s in ('current', 'stale', 'dirty', 'unknown', 'unreadable')}
    print('; '.join(f'{n} {s}' for s, n in counts.items() if n))
    if a.json: Path(a.json).write_text(json.dumps(rows, indent=1))
    if a.rerun:
        for r in rows:
            if r['status'] == 'current': continue
            argv = rerun_command(r)
            if argv is None: print(f"not rerun (no runnable command recorded): {r['file']}"); continue
            print('rerun:', shlex.join(argv), flush=True)
            subprocess.run(argv, cwd=ROOT, check=False)


if __name__ == '__main__':
    main()
