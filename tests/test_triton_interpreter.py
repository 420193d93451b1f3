"Triton's interpreter must be on before triton is first imported; torch.optim imports it. These run in fresh processes."
import subprocess, sys, textwrap
import pytest, torch

pytestmark = pytest.mark.skipif(torch.cuda.is_available(), reason='on a GPU the kernels compile; the interpreter is not used')
pytest.importorskip('triton')

def run(code:str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in __import__('os').environ.items() if k != 'TRITON_INTERPRET'}
    return subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=300)

def test_kernels_run_after_an_optimizer_was_created():
    # what a calibration does before a kernel runs: harmoq first, then Adam (which imports triton), then a kernel
    r = run('''
        import torch
        from harmoq.quant import fake_quant
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])
        from harmoq.kernels.fake_quant import fake_quant_triton
        x = torch.randn(3, 37, requires_grad=True)
        y = fake_quant_triton(x, torch.tensor(-1.), torch.tensor(1.), 4)
        y.sum().backward()
        assert torch.equal(y, fake_quant(x.detach(), torch.tensor(-1.), torch.tensor(1.), 4))
        print('ok')''')
    assert r.returncode == 0 and 'ok' in r.stdout, r.stderr[-2000:]

KERNEL = """
        from harmoq.quant import fake_quant
        from harmoq.kernels.fake_quant import fake_quant_triton
        from harmoq.kernels.core import quant_codes
        from harmoq.kernels.packing import pack_codes, unpack_codes_triton
        x = torch.randn(3, 37)
        assert torch.equal(fake_quant_triton(x, torch.tensor(-1.), torch.tensor(1.), 4), fake_quant(x, torch.tensor(-1.), torch.tensor(1.), 4))
        c = quant_codes(x, torch.tensor(-1.), torch.tensor(1.), 3)
        assert torch.equal(unpack_codes_triton(pack_codes(c, 3), 3, c.numel()).view_as(c), c)   # a kernel that calls tl library functions
        print('ok')"""

def test_kernels_run_when_triton_was_imported_first():
    # an earlier notebook (or torch.optim / torch.compile) imported triton before harmoq turned the interpreter on
    r = run('import torch, triton, triton.language' + textwrap.dedent(KERNEL))
    assert r.returncode == 0 and 'ok' in r.stdout, r.stderr[-2000:]

def test_kernels_run_when_an_optimizer_came_before_harmoq():
    r = run('import torch\ntorch.optim.Adam([torch.zeros(1, requires_grad=True)])' + textwrap.dedent(KERNEL))
    assert r.returncode == 0 and 'ok' in r.stdout, r.stderr[-2000:]

def test_interpreter_switched_off_gives_one_clear_line():
    env = dict(__import__('os').environ, TRITON_INTERPRET='0')
    code = """
        import torch
        from harmoq.core import HarmoqError
        from harmoq.kernels.fake_quant import fake_quant_triton
        try: fake_quant_triton(torch.randn(4), -1., 1., 4)
        except HarmoqError as e: print(e)"""
    r = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'TRITON_INTERPRET' in r.stdout and 'Traceback' not in r.stdout, r.stdout

def test_kernel_notebooks_after_a_notebook_that_imported_triton():
    # nbdev_test runs several notebooks in one worker: a notebook that created an optimizer, then the kernel notebooks
    from pathlib import Path
    nbs = Path(__file__).parent.parent / 'nbs'
    r = run(f"""
        import torch
        torch.optim.Adam([torch.zeros(1, requires_grad=True)])   # what an earlier calibration notebook does
        import os; os.chdir({str(nbs)!r})
        from nbdev.test import test_nb
        from pathlib import Path
        for nb in ('51_fake_quant_kernel.ipynb', '52_packing.ipynb'):
            ok, secs = test_nb(Path(nb), skip_flags=['notest', 'slow', 'gpu', 'data'])   # as nbdev_test runs them by default
            assert ok, nb
        print('ok')""")
    assert r.returncode == 0 and 'ok' in r.stdout, (r.stdout + r.stderr)[-3000:]
