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

def test_triton_imported_first_gives_one_clear_line():
    r = run('''
        import torch, triton
        from harmoq.core import HarmoqError
        from harmoq.kernels.fake_quant import fake_quant_triton
        try: fake_quant_triton(torch.randn(4), -1., 1., 4)
        except HarmoqError as e: print(e)''')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'import harmoq first' in r.stdout and 'TRITON_INTERPRET=1' in r.stdout, r.stdout
