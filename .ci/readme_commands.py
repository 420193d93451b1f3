#!/usr/bin/env python
"""The shell commands README.md prints in its ```sh blocks, one per line, so that CI runs each of them from the wheel.

Continuation lines (`\\`) are joined and comments dropped. Lines with `pip install` are install recipes that CI runs
in its own steps (.ci/run checks they are the two it knows) and `export` lines set the environment CI already has:
both are left out. Standard library only (CI runs it before anything is installed).
"""
import re, shlex, sys
from pathlib import Path

def sh_blocks(markdown:str) -> list:
    "The bodies of the ```sh (and ```bash, ```shell) fenced blocks of `markdown`."
    return re.findall(r'^```(?:sh|bash|shell)[ \t]*\n(.*?)^```', markdown, flags=re.M | re.S)

def commands(markdown:str, installs:bool=False) -> list:
    "Each command line of the sh blocks (comments removed, continuations joined); with `installs`, only the `pip install`/`export` lines."
    out = []
    for block in sh_blocks(markdown):
        for line in block.replace('\\\n', ' ').splitlines():
            words = shlex.split(line, comments=True)
            if not words: continue
            setup = 'pip install' in ' '.join(words) or words[0] == 'export'
            if setup == installs: out.append(' '.join(words) if setup else shlex.join(words))
    return out

if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    text = Path(args[0] if args else 'README.md').read_text(encoding='utf-8')
    print('\n'.join(commands(text, installs='--installs' in sys.argv)))
