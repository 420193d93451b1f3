"""The command-line defects of issue 13, each checked on a tiny model and a folder of small images (seconds).

Each test names the defect it catches; all fail on the code before issue 13 (no harmoq.cli, flags spelled by
fastcore's version, checks after calibration, results written per set, nothing said about calibration data).
"""
import json, os, re, select, shlex, signal, subprocess, sys, time, importlib.util
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, 'PYTHONPATH': os.pathsep.join([str(ROOT)] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]),
       'OMP_NUM_THREADS': '1', 'PYTHONWARNINGS': 'ignore'}

def command_argv(name:str, *args, image_delay:float=0.) -> list:
    "How a console script runs `harmoq.cli.<name>`: `sys.exit(f())`, f reading sys.argv; `image_delay` seconds added to each evaluated image."
    # with image_delay (the Ctrl-C tests) the child also takes SIGINT as a terminal user's Ctrl-C even when this test runs
    # in a background job, whose children inherit SIGINT ignored (and Python then keeps it ignored)
    slow = (f'import time, signal, harmoq.evaluate as e; signal.signal(signal.SIGINT, signal.default_int_handler); sr = e.super_resolve; '
            f'e.super_resolve = lambda *a, **k: (time.sleep({image_delay}), sr(*a, **k))[1]; ') if image_delay else ''
    return [sys.executable, '-c', f'{slow}import sys; sys.argv[0] = {name!r}; from harmoq.cli import {name} as f; sys.exit(f())', *map(str, args)]

def run(name, *args, env=None, timeout=120, cwd=None):
    r = subprocess.run(command_argv(name, *args), capture_output=True, text=True, timeout=timeout, env={**ENV, **(env or {})}, cwd=cwd)
    return r.returncode, r.stdout, r.stderr

@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    "A tiny random IMDN x2 checkpoint and a folder set of eight 96x96 crops (LR 48x48)."
    from harmoq.imdn import IMDN
    from harmoq.models import save_checkpoint
    from harmoq.core import asset_path
    d = tmp_path_factory.mktemp('tiny')
    torch.manual_seed(0)
    ckpt = save_checkpoint(IMDN(nf=16, num_modules=2, upscale=2).eval(), d/'tiny_x2.safetensors')
    (d/'Tiny'/'HR').mkdir(parents=True)
    photo = Image.open(asset_path('images', 'astronaut.png')).convert('RGB')
    for i in range(8): photo.crop((20 * i, 10 * i, 20 * i + 96, 10 * i + 96)).save(d/'Tiny'/'HR'/f'img_{i}.png')
    return dict(dir=d, model=str(ckpt), set=str(d/'Tiny'))

@pytest.fixture(scope='module')
def many(tiny):
    "The tiny model with a set of 64 crops (the Ctrl-C test interrupts it after the first image)."
    d = tiny['dir']/'Many'/'HR'; d.mkdir(parents=True)
    from harmoq.core import asset_path
    photo = Image.open(asset_path('images', 'astronaut.png')).convert('RGB')
    for i in range(64): photo.crop((5 * i, 3 * i, 5 * i + 96, 3 * i + 96)).save(d/f'img_{i}.png')
    return dict(tiny, set=str(d.parent))

# --- defect: README flags spelled --w_bits fail with fastcore 2.x (--w-bits), and the reverse with fastcore 1.x ----------
def test_both_flag_spellings_parse():
    from harmoq.script import parse_args
    from harmoq.cli import harmoq_eval, harmoq_quantize, harmoq_compare
    for fn in (harmoq_eval, harmoq_compare):
        for flag in ('--w_bits', '--w-bits'):
            kw = parse_args(fn.__wrapped__, [flag, '3', '--a-bits', '2'])
            assert (kw['w_bits'], kw['a_bits']) == (3, 2)
    kw = parse_args(harmoq_quantize.__wrapped__, ['o.safetensors', '--w-bits', '2', '--a_bits', '3', '--integer'])
    assert (kw['out'], kw['w_bits'], kw['a_bits'], kw['integer']) == ('o.safetensors', 2, 3, True)

def test_every_readme_command_parses():
    "Every harmoq command in README.md's sh blocks parses with the parser of the function it names (docs cannot drift)."
    spec = importlib.util.spec_from_file_location('readme_commands', ROOT/'.ci'/'readme_commands.py')
    rc = importlib.util.module_from_spec(spec); spec.loader.exec_module(rc)
    import harmoq.cli
    from harmoq.script import parse_args
    cmds = [shlex.split(c) for c in rc.commands((ROOT/'README.md').read_text())]
    cmds += [w for w in (shlex.split(c.split('&&')[-1]) for c in rc.commands((ROOT/'README.md').read_text(), installs=True)) if w[0].startswith('harmoq_')]
    checked = 0
    for words in cmds:
        fn = getattr(harmoq.cli, words[0], None)
        if fn is None: continue
        parse_args(fn.__wrapped__, words[1:], prog=words[0])   # SystemExit(2) on an unknown flag
        checked += 1
    assert checked >= 5

def test_error_messages_name_real_flags():
    "harmoq's own error messages name only flags the commands have."
    import harmoq.cli
    from harmoq.script import make_parser
    opts = {o for f in (harmoq.cli.harmoq_eval, harmoq.cli.harmoq_quantize, harmoq.cli.harmoq_compare)
            for a in make_parser(f.__wrapped__)._actions for o in a.option_strings}
    named = set(re.findall(r"(--[a-z][a-z_]+)", Path(harmoq.cli.__file__).read_text()))
    assert named - opts - {'--help'} == set()

# --- defect: arguments checked after the long work (--w-bits 1 after 56 s, --preset nosuch after 47 s, --json after calibration)
@pytest.mark.parametrize('args, message', [(['--w_bits', '1'], 'unsupported weight bit-width 1'),
                                           (['--w-bits', '9'], 'unsupported weight bit-width 9'),
                                           (['--preset', 'nosuch'], "unknown preset 'nosuch'"),
                                           (['--methods', 'fp,bogus'], "unknown method 'bogus'"),
                                           (['--json', '/proc/harmoq/r.json'], 'cannot write --json'),
                                           (['--sets', 'Set5', '--data', '/nonexistent'], 'does not exist'),
                                           (['--calib', '/nonexistent'], 'does not exist')])
def test_compare_checks_before_work(args, message, tmp_path, capsys, monkeypatch):
    "In-process (the command's `.main`, what the console script runs), timed: the error comes before any model work."
    from harmoq.cli import harmoq_compare
    monkeypatch.chdir(tmp_path)
    t0 = time.time()
    with pytest.raises(SystemExit) as e: harmoq_compare.main(args, prog='harmoq_compare')
    err = capsys.readouterr().err
    assert (e.value.code, err.count('\n'), 'Traceback' in err) == (2, 2, False), err   # the first line says what it does, then the error
    assert message in err and time.time() - t0 < 10

def test_compare_checks_before_work_as_a_process(tmp_path):
    t0 = time.time()
    code, out, err = run('harmoq_compare', '--w_bits', '1', timeout=40, cwd=tmp_path)
    assert code == 2 and err.strip().endswith('unsupported weight bit-width 1: harmoq quantizes to 2-8 bits (32 = full precision)')
    assert time.time() - t0 < 30

def test_eval_quantize_check_outputs_first(tiny, tmp_path):
    code, _, err = run('harmoq_eval', '--model', tiny['model'], '--scale', '2', '--sets', tiny['set'], '--method', 'minmax', '--json', '/proc/harmoq/r.json')
    assert code == 2 and 'cannot write --json' in err and 'calibrating' not in err
    code, _, err = run('harmoq_quantize', '/proc/harmoq/q.safetensors', '--model', tiny['model'], '--scale', '2', '--method', 'minmax')
    assert code == 2 and 'cannot write output' in err and 'calibrating' not in err
    code, _, err = run('harmoq_quantize', tmp_path/'q.pt', '--model', tiny['model'], '--scale', '2')
    assert code == 2 and 'must end in .safetensors' in err

# --- defect: harmoq_compare prints nothing for minutes; columns unexplained -------------------------------------------------
def test_compare_speaks_within_10_seconds(tmp_path):
    "The README's main command, as printed: its first line comes within 10 s (then it is stopped)."
    p = subprocess.Popen(command_argv('harmoq_compare'), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV, cwd=tmp_path)
    try:
        t0 = time.time()
        ready, _, _ = select.select([p.stdout], [], [], 10)
        line = p.stdout.readline() if ready else ''
        assert line.strip() and time.time() - t0 < 10, 'nothing printed within 10 s'
        assert line.startswith('harmoq_compare: ') and p.poll() is None, line   # a progress line of a run that goes on, not an error
    finally:
        p.send_signal(signal.SIGINT)
        try: p.wait(30)
        except subprocess.TimeoutExpired: p.kill(); p.wait()

def test_compare_table_has_legend(tiny, tmp_path):
    code, out, err = run('harmoq_compare', '--model', tiny['model'], '--scale', '2', '--sets', f"{tiny['set']},default", '--methods', 'fp,minmax',
                         '--w-bits', '8', '--a-bits', '8', '--json', tmp_path/'c.json', '--quiet')
    assert code == 0, err
    for text in ['calib s  seconds the method spent calibrating', "'default' = the three photographs shipped with harmoq", 'minmax: MinMax', 'fp: full precision']:
        assert text in out

# --- defect: no line says what calibrates; with an empty HARMOQ_DATA the shipped photograph is used silently ---------------
def test_quantize_says_it_uses_the_shipped_photograph(tiny, tmp_path):
    code, out, err = run('harmoq_quantize', tmp_path/'q.safetensors', '--model', tiny['model'], '--scale', '2', '--method', 'minmax',
                         '--w_bits', '8', '--a_bits', '8', '--preset', 'quick', env={'HARMOQ_DATA': ''})
    assert code == 0, err
    assert 'calibrating minmax W8A8 (quick preset) on 16 patches of 48x48 HR pixels (24x24 LR) from the shipped photograph rocket.jpg' in err

def test_quantize_help_states_real_default():
    code, out, err = run('harmoq_quantize', '--help')
    assert code == 0 and 'else the shipped photograph rocket.jpg' in ' '.join(out.split())

# --- defect: Ctrl-C loses everything (compare) or a whole set (eval); results must be written per image and resumed --------
def _interrupt_after_first_image(argv, result, count_images, cwd):
    "Start `argv`, send SIGINT once `result` holds one image, return the exit status and the file's content then (the tests slow each image by 0.2 s, so the signal lands before the last image however loaded the machine is)."
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=cwd)
    t0, rec = time.time(), None
    while time.time() - t0 < 120 and p.poll() is None:
        if result.is_file():
            try: rec = json.loads(result.read_text())
            except ValueError: rec = None
            if rec and count_images(rec) >= 1:
                p.send_signal(signal.SIGINT); break
        time.sleep(0.02)
    p.communicate(timeout=60)
    return p.returncode, json.loads(result.read_text())

def test_eval_ctrl_c_keeps_images_and_resumes(many, tmp_path):
    args = ['--model', many['model'], '--scale', '2', '--sets', many['set'], '--json', tmp_path/'r.json', '--quiet']
    n = lambda rec: len(rec['results'].get('Many', {}).get('images', []))
    code, rec = _interrupt_after_first_image(command_argv('harmoq_eval', *args, image_delay=0.2), tmp_path/'r.json', n, tmp_path)
    assert code == 130 and 1 <= n(rec) < 64 and rec['results']['Many']['partial']       # a valid file with the images done
    kept = rec['results']['Many']['images']
    code, out, err = run('harmoq_eval', *args)
    assert code == 0, err
    again = json.loads((tmp_path/'r.json').read_text())
    assert again['resumed'] == {'Many': len(kept)} and again['results']['Many']['images'][:len(kept)] == kept
    assert n(again) == 64 and 'partial' not in again['results']['Many']

def test_compare_ctrl_c_keeps_results_and_resumes(tiny, tmp_path):
    args = ['--model', tiny['model'], '--scale', '2', '--sets', tiny['set'], '--methods', 'fp,minmax', '--w_bits', '8', '--a_bits', '8',
            '--json', tmp_path/'c.json', '--quiet']
    n = lambda rec: len((rec.get('fp') or {}).get('results', {}).get('Tiny', {}).get('images', []))
    code, rec = _interrupt_after_first_image(command_argv('harmoq_compare', *args, image_delay=0.2), tmp_path/'c.json', n, tmp_path)
    assert code == 130 and 1 <= n(rec) < 8
    code, out, err = run('harmoq_compare', *args)
    assert code == 0, err
    again = json.loads((tmp_path/'c.json').read_text())
    assert again['fp']['resumed'] == {'Tiny': n(rec)} and len(again['minmax']['results']['Tiny']['images']) == 8

# --- defect: --weights on an integer model reports "method calibrated" -------------------------------------------------------
def test_eval_integer_model_reports_bits_and_kind(tiny, tmp_path):
    from harmoq.models import load_model
    from harmoq.baselines import calibrate
    from harmoq.quant import QuantConfig
    from harmoq import deploy
    net = load_model(tiny['model'])
    q, _ = calibrate(net, 'minmax', QuantConfig(w_bits=8, a_bits=8), torch.rand(4, 3, 16, 16), 'quick')
    deploy.save(deploy.to_integer(q), tmp_path/'int.safetensors')          # saved from Python: no method recorded
    code, out, err = run('harmoq_eval', '--weights', tmp_path/'int.safetensors', '--scale', '2', '--sets', tiny['set'], '--quiet')
    assert code == 0, err
    assert 'method calibrated' not in out and 'W8A8 (integer model)' in out and 'method not recorded' in out
    deploy.save(deploy.to_integer(q), tmp_path/'int2.safetensors', method='minmax')
    code, out, err = run('harmoq_eval', '--weights', tmp_path/'int2.safetensors', '--scale', '2', '--sets', tiny['set'], '--quiet')
    assert 'method minmax W8A8 (integer model)' in out

# --- --onnx: a missing module or extra is one line ----------------------------------------------------------------------
def test_onnx_missing_is_one_line(tiny, tmp_path):
    code, out, err = run('harmoq_quantize', tmp_path/'q.safetensors', '--model', tiny['model'], '--scale', '2', '--onnx', tmp_path/'q.onnx',
                         env={'HARMOQ_CHECK_ONLY': '1'})
    try: import harmoq.onnx_export, onnx, onnxscript   # noqa: F401  (with the extra installed, the check passes)
    except ImportError: assert code == 2 and err.count('\n') == 1 and ('harmoq[onnx]' in err or 'no ONNX support' in err), err
    else: assert code == 0, err

# --- HARMOQ_CHECK_ONLY: CI runs the README commands up to the first real work -------------------------------------------
def test_check_only_stops_before_work(tiny, tmp_path):
    code, out, err = run('harmoq_eval', '--model', tiny['model'], '--scale', '2', '--sets', tiny['set'], '--method', 'harmoq', '--json', tmp_path/'r.json',
                         '--preset', 'quick', env={'HARMOQ_CHECK_ONLY': '1'})
    assert code == 0 and 'would now calibrate harmoq W4A4 on 16 patches' in out and not (tmp_path/'r.json').exists(), err
