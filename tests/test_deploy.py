"Integer models (harmoq.deploy) for every architecture, and the benchmark command's refusal on a CPU."
import copy, os, subprocess, sys
import pytest, torch
from small_models import small_model
from harmoq.quant import QuantConfig
from harmoq.baselines import calibrate
from harmoq.deploy import to_integer, save, load, IntConv2d
from harmoq.kernels.int_linear import IntLinear



@pytest.mark.parametrize('arch,bits,gran', [('swinir', 8, 'per_channel'), ('hat', 4, 'per_tensor'), ('dat', 3, 'per_channel'), ('imdn', 2, 'per_channel')])
def test_integer_round_trip(arch, bits, gran, tmp_path):
    q, _ = calibrate(small_model(arch), 'minmax', QuantConfig(bits, bits, w_granularity=gran), torch.rand(2, 3, 16, 16), 'quick')
    imodel = load(save(to_integer(q), tmp_path / 'm.safetensors', float_dtype=torch.float32))   # float32 floats: exact
    kinds = {type(m) for m in imodel.modules()}
    assert (IntConv2d if arch == 'imdn' else IntLinear) in kinds
    x = torch.rand(1, 3, 11, 13).double()
    with torch.no_grad():   # in float64 both are the exact quantized network
        y_int, y_fake = copy.deepcopy(imodel).double()(x), copy.deepcopy(q).double()(x)
    assert y_int.shape == (1, 3, 22, 26)
    assert (y_int - y_fake).abs().max() < 1e-6

def test_to_integer_refuses_uncalibrated():
    from harmoq.quant import quantize_model
    from harmoq.core import HarmoqError
    with pytest.raises(HarmoqError, match='not calibrated'): to_integer(quantize_model(small_model('swinir')))

@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the message given without a GPU')
def test_bench_refuses_cpu():
    r = subprocess.run([sys.executable, '-c', 'from harmoq.bench import harmoq_bench; harmoq_bench()'], capture_output=True, text=True, env=dict(os.environ))
    assert r.returncode == 2 and 'no CUDA GPU is available' in r.stderr and 'Traceback' not in r.stderr
