"ONNX export of small random-weight models, checked in onnxruntime (skipped without the onnx extra)."
import importlib.util, sys, warnings
from pathlib import Path
import pytest
import torch

missing = [m for m in ('onnx', 'onnxscript', 'onnxruntime') if importlib.util.find_spec(m) is None]
pytestmark = pytest.mark.skipif(bool(missing), reason=f"the onnx extra is not installed ({', '.join(missing)} missing): pip install 'harmoq[onnx]'")

sys.path.insert(0, str(Path(__file__).parent))
from small_models import small_model
from harmoq.core import HarmoqError
from harmoq.baselines import calibrate
from harmoq.quant import QuantConfig, quantize_model, quantizers


def _calibrated(net, bits):
    torch.manual_seed(0)
    q, _ = calibrate(net, 'minmax', QuantConfig(w_bits=bits[0], a_bits=bits[1]), torch.rand(4, 3, 16, 16), 'quick')
    return q


def _small_dat():
    "A tiny DAT whose position-bias MLP is not empty (the shared small DAT has a zero-width one, which onnxruntime's LayerNorm rejects)."
    from harmoq.dat import DAT
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return DAT(upscale=2, depth=(2,), embed_dim=48, num_heads=(2,), split_size=(4, 8)).eval()


@pytest.mark.parametrize('arch,bits', [('imdn', (4, 4)), ('imdn', (2, 3)), ('dat', (4, 4))])
def test_export_matches_fake_quant(tmp_path, arch, bits):
    import onnx
    from harmoq.onnx_export import to_onnx, load_onnx
    q = _calibrated(small_model('imdn') if arch == 'imdn' else _small_dat(), bits)
    path = to_onnx(q, tmp_path / f'{arch}.onnx', input_size=(16, 16))
    onnx.checker.check_model(onnx.load(str(path)))
    om = load_onnx(path, threads=1)
    assert (om.scale, om.arch) == (2, arch)
    for hw in ((16, 16), (19, 13)):       # dynamic height and width
        x = torch.rand(1, 3, *hw)
        with torch.no_grad(): ref = q(x)
        y = om(x)
        assert y.shape == ref.shape
        assert (y - ref).abs().max() < 1e-3


def test_standard_form_is_harmoq_with_snapped_bounds(tmp_path):
    from harmoq.onnx_export import to_onnx, load_onnx, export_module
    q = _calibrated(small_model('imdn'), (4, 4))
    em = export_module(q, 'standard')
    om = load_onnx(to_onnx(q, tmp_path / 's.onnx', input_size=(16, 16), form='standard'), threads=1)
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad(): assert (om(x) - em(x)).abs().max() < 1e-3


def test_bad_input_is_one_line(tmp_path):
    from harmoq.onnx_export import to_onnx, load_onnx
    net = small_model('imdn')
    with pytest.raises(HarmoqError, match='never calibrated'): to_onnx(quantize_model(net, QuantConfig(4, 4)), tmp_path / 'a.onnx')
    with pytest.raises(HarmoqError, match='no quantizers'): to_onnx(net, tmp_path / 'a.onnx')
    q = _calibrated(net, (4, 4))
    with pytest.raises(HarmoqError, match='opset'): to_onnx(q, tmp_path / 'a.onnx', opset=11)
    quantizers(q)[0][1].bits = 12
    with pytest.raises(HarmoqError, match='2-8 bits'): to_onnx(q, tmp_path / 'a.onnx')
    with pytest.raises(HarmoqError, match='no ONNX file'): load_onnx(tmp_path / 'missing.onnx')


def test_static_export_fixed_size(tmp_path):
    "dynamic=False: the TorchScript exporter, one input size, same numbers."
    from harmoq.onnx_export import to_onnx, load_onnx
    q = _calibrated(small_model('imdn'), (4, 4))
    om = load_onnx(to_onnx(q, tmp_path / 'static.onnx', input_size=(16, 16), dynamic=False), threads=1)
    x = torch.rand(1, 3, 16, 16)
    with torch.no_grad(): assert (om(x) - q(x)).abs().max() < 1e-3
    with pytest.raises(HarmoqError, match='onnxruntime failed'): om(torch.rand(1, 3, 17, 16))


def test_per_size_graphs(tmp_path):
    "PerSizeOnnx: one fixed-size graph per input size, exported once, found again by a copy of the model."
    import copy
    from harmoq.onnx_export import PerSizeOnnx, load_onnx
    q = _calibrated(small_model('imdn'), (4, 4))
    ps = PerSizeOnnx(q, tmp_path, 'imdn', threads=1, optimization='basic')
    for hw in ((16, 16), (13, 19), (16, 16)):
        x = torch.rand(1, 3, *hw)
        with torch.no_grad(): assert (ps(x) - q(x)).abs().max() < 1e-3
    assert sorted(ps.export_seconds) == [(13, 19), (16, 16)]
    again = PerSizeOnnx(copy.deepcopy(q), tmp_path, 'imdn', threads=1)
    again(torch.rand(1, 3, 16, 16))
    assert again.export_seconds == {}
    with pytest.raises(HarmoqError, match='optimization'): load_onnx(ps.graph_path(16, 16), optimization='fast')
    with pytest.raises(HarmoqError, match='form'): PerSizeOnnx(q, tmp_path, form='int4')
