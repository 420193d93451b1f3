"HarmoQ (Algorithm 1) runs on every transformer harmoq supports, with random weights (official SwinIR/HAT weights are not available here)."
import pytest, torch
from small_models import small_model
from harmoq.quant import quantizers
from harmoq.algorithm import quantize, HarmoQConfig



@pytest.mark.parametrize('arch,bits', [('swinir', 3), ('hat', 2), ('dat', 3)])
def test_harmoq_quantize_small_models(arch, bits):
    model = small_model(arch)
    calib = torch.rand(4, 3, 16, 16)
    q, log = quantize(model, calib, HarmoQConfig(w_bits=bits, a_bits=bits, iterations=2, abr_steps=10, max_rows=256, output_steps=2))
    assert log['layers'] > 0 and log['iterations'][-1]['L_total'] <= log['initial']
    assert all(bool(qz.calibrated) for _, qz in quantizers(q))
    x = torch.rand(1, 3, 13, 11)                      # odd size: padding paths
    with torch.no_grad(): y = q(x)
    assert y.shape == (1, 3, 26, 22) and torch.isfinite(y).all()
