"""harmoq's SwinIR and HAT against spandrel's implementations (an independent port of the official code).

For the same random weights, both must give the same output within 1e-5. The weights are harmoq's random
initialisation, perturbed so that every parameter differs from its neighbours (fresh LayerNorms are all ones
and fresh biases all zeros, which would hide a swapped norm or bias) and with large relative position bias
tables (so that a wrong index would show). spandrel 0.4.2 is installed with `pip install --no-deps
spandrel==0.4.2 einops`; `torchvision_shim` stands in for the torchvision names it imports.

SwinIR's outputs agree bit for bit; HAT's differ by ~1e-6 in float32 (rounding, see the float64 check).
"""
import importlib
import pytest, torch
import torch.nn.functional as F
import torchvision_shim

torchvision_shim.install()
SpandrelSwinIR = importlib.import_module('spandrel.architectures.SwinIR.__arch.SwinIR').SwinIR
SpandrelHAT = importlib.import_module('spandrel.architectures.HAT.__arch.HAT').HAT

from harmoq.swinir import SwinIR
from harmoq.hat import HAT
from harmoq.models import model_from_state_dict, _is_derived_buffer

TOL = 1e-5
SWINIR_LIGHT = dict(in_chans=3, img_size=64, window_size=8, img_range=1., depths=[6] * 4, embed_dim=60,
                    num_heads=[6] * 4, mlp_ratio=2, upsampler='pixelshuffledirect', resi_connection='1conv')
HAT_S = dict(in_chans=3, img_size=64, window_size=16, compress_ratio=24, squeeze_factor=24, conv_scale=0.01,
             overlap_ratio=0.5, img_range=1., depths=[6] * 6, embed_dim=144, num_heads=[6] * 6, mlp_ratio=2,
             upsampler='pixelshuffle', resi_connection='1conv')


def n_params(m): return sum(p.numel() for p in m.parameters())


def perturbed(model, seed):
    "`model` in eval mode with every parameter moved by independent noise."
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('relative_position_bias_table'): p.normal_(0, 0.5)
            else: p.add_(torch.randn_like(p) * 0.02)  # keeps outputs O(1), so 1e-5 is a tight bound
    return model.eval()


def spandrel_twin(harmoq_model, spandrel_cls):
    "spandrel's model built from harmoq's config, loaded with harmoq's weights (only spandrel's buffers missing)."
    sp = spandrel_cls(**harmoq_model.config).eval()  # harmoq's config uses the official argument names
    missing, unexpected = sp.load_state_dict(harmoq_model.state_dict(), strict=False)
    assert unexpected == []
    assert missing and all(_is_derived_buffer(k) for k in missing), missing
    assert set(harmoq_model.state_dict()) == {k for k in sp.state_dict() if k not in missing}
    return sp


def max_diff(a, b):
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a - b).abs().max().item()


def official_swinir_pad(x, ws):
    "LR padding of SwinIR's main_test_swinir.py (note: it adds a whole window when a side is a multiple of ws)."
    h, w = x.shape[-2:]
    x = torch.cat([x, torch.flip(x, [2])], 2)[:, :, :(h // ws + 1) * ws, :]
    return torch.cat([x, torch.flip(x, [3])], 3)[:, :, :, :(w // ws + 1) * ws]


@pytest.mark.parametrize('scale, count', [(2, 910_152), (4, 929_628)])
def test_swinir_light_matches_spandrel(scale, count):
    torch.manual_seed(0)
    ours = perturbed(SwinIR(upscale=scale, **SWINIR_LIGHT), seed=scale)
    sp = spandrel_twin(ours, SpandrelSwinIR)
    assert n_params(ours) == n_params(sp) == count
    with torch.no_grad():
        # spandrel pads with F.pad 'reflect' (as the official network file does), but the official test script
        # pads symmetrically (flip with the edge repeated), by a whole extra window when a side is already a
        # multiple, before calling the network; harmoq follows the script. So spandrel gets the script's
        # padded input (then no padding happens inside it) and its output is cropped. A batch of 2 checks that
        # the shifted-window mask repeats per image.
        for shape in [(2, 3, 16, 24), (1, 3, 13, 19)]:
            x = torch.rand(*shape)
            y = ours(x)
            h, w = shape[-2:]
            assert max_diff(y, sp(official_swinir_pad(x, 8))[..., :h * scale, :w * scale]) <= TOL
        assert max_diff(y, sp(x)) > 1e-3  # spandrel's own reflect padding really is different
    # the other direction: an official-layout state_dict (with its index and mask buffers) loads into harmoq
    back = model_from_state_dict(sp.state_dict())
    assert back.config == ours.config
    with torch.no_grad(): assert max_diff(back(x), y) == 0


@pytest.mark.parametrize('scale, count', [(2, 9_473_471), (4, 9_621_183)])
def test_hat_s_matches_spandrel(scale, count):
    torch.manual_seed(0)
    ours = perturbed(HAT(upscale=scale, **HAT_S), seed=10 + scale)
    sp = spandrel_twin(ours, SpandrelHAT)
    assert n_params(ours) == n_params(sp) == count
    assert HAT.config_from_state_dict(sp.state_dict()) == ours.config
    with torch.no_grad():
        # a window multiple (two 16x16 windows), batch of 2
        x = torch.rand(2, 3, 16, 32)
        assert max_diff(ours(x), sp(x)) <= TOL
        # not a multiple: spandrel pads with F.pad 'reflect' (after subtracting the mean, which commutes with
        # padding), exactly like HAT's official test (hat_model.py pre_process), so no help is needed.
        # (F.pad 'reflect' needs pad < size, so spandrel cannot take inputs much smaller than a window.)
        x = torch.rand(1, 3, 13, 21)
        assert max_diff(ours(x), sp(x)) <= TOL
        # the float32 difference (~1e-6) is rounding (different but equivalent tensor layouts and reductions):
        # in float64 the two agree to ~1e-13
        x = x.double()
        assert max_diff(ours.double()(x), sp.double()(x)) <= 1e-10


SpandrelDAT = importlib.import_module('spandrel.architectures.DAT.__arch.DAT').DAT


@pytest.mark.parametrize('scale', [2, 4])
def test_dat_light_matches_spandrel(scale):
    "harmoq's DAT with the embedded official DAT-light weights equals spandrel's independent DAT (odd sizes too)."
    from harmoq.models import load_model
    ours = load_model('dat-light', scale)
    sp = spandrel_twin(ours, SpandrelDAT)
    assert n_params(ours) == n_params(sp)
    torch.manual_seed(scale)
    with torch.no_grad():
        for shape in [(1, 3, 32, 64), (1, 3, 13, 21), (1, 3, 3, 5)]:
            x = torch.rand(*shape)
            assert max_diff(ours(x), sp(x)) <= TOL
