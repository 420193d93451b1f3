"Each autotune configuration of the integer GEMM, run on its own under Triton's interpreter (autotune itself needs a GPU to time on)."
import pytest, torch
pytest.importorskip('triton')
from harmoq.kernels.core import quant_codes, use_triton
from harmoq.kernels.packing import pack_codes
from harmoq.kernels.int_linear import INT_LINEAR_CONFIGS, int_linear_triton, int_linear_reference, linear_epilogue_terms
from harmoq.kernels.core import quant_params

dev = 'cuda' if torch.cuda.is_available() else 'cpu'
pytestmark = pytest.mark.skipif(not use_triton(torch.zeros(1, device=dev)), reason='Triton cannot run here (no GPU and the interpreter is off)')

def layer(M, K, N, bits, seed=0):
    g = torch.Generator().manual_seed(seed)
    x, W, b = torch.randn(M, K, generator=g), torch.randn(N, K, generator=g) * 0.2, torch.randn(N, generator=g) * 0.1
    a_lo, a_hi = torch.tensor(-2.0), torch.tensor(2.5)
    w_lo, w_hi = W.amin(1), W.amax(1)
    ca, cw = quant_codes(x, a_lo, a_hi, bits), quant_codes(W, w_lo[:, None], w_hi[:, None], bits)
    return ca, cw, linear_epilogue_terms(a_lo, a_hi, bits, w_lo, w_hi, bits, cw, b)

@pytest.mark.parametrize('config', INT_LINEAR_CONFIGS, ids=lambda c: 'BM{BM}_BN{BN}_BK{BK}_w{num_warps}_s{num_stages}'.format(**c))
@pytest.mark.parametrize('bits', [4, 8])
def test_config_exact(config, bits):
    M, K, N = 45, 60, 70   # DAT-light's K = 60; M and N are no multiple of any tile
    ca, cw, e = layer(M, K, N, bits, seed=bits)
    ref = int_linear_reference(ca, cw, *e)
    on = lambda *ts: [t.to(dev) for t in ts]
    y = int_linear_triton(*on(ca, pack_codes(cw, bits)), bits, N, *on(*e), config=config)
    assert torch.equal(y.cpu(), ref)
    qp = quant_params(-3.0, 4.0, 4)
    y8 = int_linear_triton(*on(ca, pack_codes(cw, bits)), bits, N, *on(*e, qp), 4, config=config)
    assert torch.equal(y8.cpu(), quant_codes(ref, qp[0], qp[1], 4))

def test_bf16_output_rounds_to_nearest_even():
    M, K, N = 9, 60, 70
    ca, cw, (e0, e1, e2) = layer(M, K, N, 4, seed=1)
    # ties: e0 chosen so that some outputs are exactly halfway between two bfloat16 values
    ref = int_linear_reference(ca, cw, e0, e1, e2)
    bits = ref.view(torch.int32)
    tie = ((bits & ~0xFFFF) | 0x8000).view(torch.float32)   # halfway values next to each output
    e0t = e0 + (tie - ref)[0]                               # the first row lands on ties (up to float rounding)
    ref_t = int_linear_reference(ca, cw, e0t, e1, e2)
    on = lambda *ts: [t.to(dev) for t in ts]
    y = int_linear_triton(*on(ca, pack_codes(cw, 4)), 4, N, *on(e0t, e1, e2), out_dtype=torch.bfloat16, config=INT_LINEAR_CONFIGS[0])
    assert y.dtype == torch.bfloat16
    assert torch.equal(y.cpu().view(torch.int16), ref_t.to(torch.bfloat16).view(torch.int16))
    n_ties = int(((ref_t.view(torch.int32) & 0xFFFF) == 0x8000).sum())
    assert n_ties > 0, 'the test should exercise ties'

def test_bad_out_dtype_is_one_line():
    from harmoq.core import HarmoqError
    ca = torch.zeros(2, 4, dtype=torch.int8, device=dev)
    with pytest.raises(HarmoqError, match='float32 or bfloat16'):
        int_linear_triton(ca, torch.zeros(1, dtype=torch.int32, device=dev), 4, 2, *[torch.zeros(2, device=dev)] * 3, out_dtype=torch.float16)

def test_autotuned_launch_wiring(monkeypatch):
    # autotune times configurations on a GPU; here its timer is replaced (the last configuration "wins") to check
    # the launch itself: the grid follows the chosen tiles, the flags pass through, the result stays exact
    from harmoq.kernels import int_linear as il
    timings = {id(c): float(-i) for i, c in enumerate(il.int_linear_autotuned.configs)}
    monkeypatch.setattr(il.int_linear_autotuned, '_bench', lambda *a, config, **k: timings[id(config)])
    monkeypatch.setattr(il.int_linear_autotuned, 'cache', {})
    M, K, N = 33, 60, 45
    ca, cw, e = layer(M, K, N, 4, seed=5)
    on = lambda *ts: [t.to(dev) for t in ts]
    y = il.new_output((M, N), torch.float32, dev)
    args = (*on(ca, pack_codes(cw, 4)), *on(*e), e[0].to(dev), y, M, N, K)
    il.int_linear_autotuned[lambda c: (-(-M // c['BM']), -(-N // c['BN']))](*args, W_BITS=4, OUT_BITS=0, OUT_BF16=False, enable_fp_fusion=False)
    assert torch.equal(y.cpu(), int_linear_reference(ca, cw, *e))
    (best,) = il.int_linear_autotuned.cache.values()
    assert best is il.int_linear_autotuned.configs[-1]
