"Offline compile check of every Triton kernel for sm_80 and sm_90a (no GPU needed): no spills, tensor cores in the GEMM."
import importlib, json, pkgutil
from pathlib import Path
import pytest
pytest.importorskip('triton')
import harmoq.kernels
from harmoq.kernels.check import ptx_check, check_problems, kernel_cases, ptxas_path, ARCHS, RESULT
from harmoq.kernels.int_linear import INT_LINEAR_CONFIGS

needs_ptxas = pytest.mark.skipif(any(ptxas_path(a) is None for a in ARCHS),
                                 reason="triton's ptxas/cuobjdump are missing (an install without the NVIDIA backend): the offline compile check cannot run")

@pytest.fixture(scope='module')
def rows(): return ptx_check()

@needs_ptxas
def test_no_kernel_spills_and_the_gemm_uses_tensor_cores(rows):
    assert check_problems(rows) == []
    gemm = [r for r in rows if r['gemm']]
    assert gemm and all(r['mma'] + r['wgmma'] > 0 for r in gemm)

@needs_ptxas
def test_every_gemm_configuration_is_compiled_for_both_architectures(rows):
    label = 'BM={BM} BN={BN} BK={BK} w{num_warps} s{num_stages}'
    done = {(r['config'].split(' W')[0], r['arch']) for r in rows if r['kernel'] == 'int_linear_kernel'}
    for c in INT_LINEAR_CONFIGS:
        for arch in ('sm_80', 'sm_90a'): assert (label.format(**c), arch) in done

def test_every_kernel_has_a_case():
    # a new @triton.jit kernel in harmoq.kernels must be added to kernel_cases (helpers called from kernels are inlined)
    covered, seen = {c.kernel for c in kernel_cases()}, 0
    for m in pkgutil.iter_modules(harmoq.kernels.__path__):
        mod = importlib.import_module(f'harmoq.kernels.{m.name}')
        for name, v in vars(mod).items():
            if name.endswith('_kernel') and getattr(getattr(v, 'fn', None), '__module__', None) == mod.__name__:
                assert f'harmoq.kernels.{m.name}:{name}' in covered, f'{name} is not in kernel_cases()'
                seen += 1
    assert seen == len(covered)   # every case names a kernel that exists

def test_committed_result_is_current():
    res = json.loads((Path(__file__).parent.parent / RESULT).read_text())
    assert res['problems'] == [] and res['provenance']['commit']
    want = {(c.kernel.split(':')[1], c.config) for c in kernel_cases()}
    assert {(r['kernel'], r['config']) for r in res['rows']} == want, 'rerun: python -c "from harmoq.kernels.check import main; main()"'
    assert len(res['rows']) == len(want) * len(ARCHS)
