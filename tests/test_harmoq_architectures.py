"HarmoQ (Algorithm 1) runs on every transformer harmoq supports, with random weights (official SwinIR/HAT weights are not available here)."
import warnings
import pytest, torch
from harmoq.swinir import SwinIR
from harmoq.hat import HAT
from harmoq.dat import DAT
from harmoq.quant import quantizers
from harmoq.algorithm import quantize, HarmoQConfig

def _small(arch):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if arch == 'swinir': return SwinIR(upscale=2, embed_dim=12, depths=[2], num_heads=[2], window_size=4).eval()
        if arch == 'hat': return HAT(upscale=2, embed_dim=12, depths=[2], num_heads=[2], window_size=4, compress_ratio=3, squeeze_factor=4).eval()
        return DAT(upscale=2, depth=(2,), embed_dim=24, num_heads=(2,), split_size=(4, 8)).eval()

@pytest.mark.parametrize('arch,bits', [('swinir', 3), ('hat', 2), ('dat', 3)])
def test_harmoq_quantize_small_models(arch, bits):
    model = _small(arch)
    calib = torch.rand(4, 3, 16, 16)
    q, log = quantize(model, calib, HarmoQConfig(w_bits=bits, a_bits=bits, iterations=2, abr_steps=10, max_rows=256, output_steps=2))
    assert log['layers'] > 0 and log['iterations'][-1]['L_total'] <= log['initial']
    assert all(bool(qz.calibrated) for _, qz in quantizers(q))
    x = torch.rand(1, 3, 13, 11)                      # odd size: padding paths
    with torch.no_grad(): y = q(x)
    assert y.shape == (1, 3, 26, 22) and torch.isfinite(y).all()
