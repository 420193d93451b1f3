"Cross-checks of harmoq.metrics against scikit-image and against numpy transcriptions of BasicSR's arithmetic."
import math, os
from pathlib import Path
import numpy as np
import pytest
import torch
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from harmoq.core import HarmoqError
from harmoq.imresize import imresize_uint8, modcrop
from harmoq.images import read_image
from harmoq.metrics import to_uint8, rgb_to_y, psnr, ssim

SSIM_KW = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)


def basicsr_y_numpy(rgb_hwc: np.ndarray) -> np.ndarray:
    "BasicSR's to_y_channel on the BGR version of an RGB uint8 (H, W, 3) array, written with numpy as BasicSR does."
    bgr = rgb_hwc[..., ::-1].astype(np.float32) / 255.
    y = np.dot(bgr, [24.966, 128.553, 65.481]) + 16.0
    return ((y / 255.).astype(np.float32) * 255.).astype(np.float64)


def hwc(t: torch.Tensor) -> np.ndarray: return t.permute(1, 2, 0).numpy()


def test_rgb_to_y_every_colour():
    "rgb_to_y equals BasicSR's float32/float64 recipe bit for bit on all 2**24 RGB colours."
    v = torch.arange(256, dtype=torch.uint8)
    for r0 in range(0, 256, 16):   # 16 slabs of 2**20 colours keep memory small
        r, g, b = torch.meshgrid(v[r0:r0 + 16], v, v, indexing='ij')
        img = torch.stack([r, g, b]).reshape(3, 16 * 256, 256)
        ours = rgb_to_y(img)[0].numpy()
        ref = basicsr_y_numpy(hwc(img))
        assert np.array_equal(ours, ref)


def test_to_uint8_matches_tensor2img():
    "to_uint8 equals numpy's (clip(float32) * 255.0).round() (round half to even), including exact ties."
    g = torch.Generator().manual_seed(1)
    x = torch.cat([torch.rand(100000, generator=g) * 1.2 - 0.1,
                   torch.tensor([(k + 0.5) / 255 for k in range(255)], dtype=torch.float32),
                   torch.rand(1000, generator=g, dtype=torch.float64)])
    ref = (np.clip(x.float().numpy(), 0, 1) * 255.0).round().astype(np.uint8)
    assert np.array_equal(to_uint8(x).numpy(), ref)


def set5_pairs():
    root = os.environ.get('HARMOQ_DATA')
    if not root: pytest.skip('HARMOQ_DATA is not set')
    bench = Path(root) / 'benchmark' / 'Set5'
    for f in sorted((bench / 'HR').glob('*.png')):
        for s in (2, 3, 4):
            hr = modcrop(read_image(f), s)
            sr = imresize_uint8(read_image(bench / 'LR_bicubic' / f'X{s}' / f'{f.stem}x{s}.png'), s)
            yield f'{f.stem}x{s}', sr, hr, s


def random_pairs():
    g = torch.Generator().manual_seed(2)
    for h, w, noise in [(32, 32, 3), (64, 80, 20), (41, 57, 60), (100, 30, 1)]:
        hr = torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=g)
        sr = (hr.int() + torch.randint(-noise, noise + 1, hr.shape, generator=g)).clamp(0, 255).to(torch.uint8)
        yield f'random{h}x{w}', sr, hr, 4


@pytest.mark.parametrize('pairs', [set5_pairs, random_pairs])
def test_y_channel_against_skimage(pairs):
    for name, sr, hr, c in pairs():
        p, q = psnr(sr, hr, c), ssim(sr, hr, c)
        sr_c, hr_c = sr[:, c:-c, c:-c], hr[:, c:-c, c:-c]
        # same Y: only the PSNR/SSIM arithmetic is compared
        ys, yh = rgb_to_y(sr_c)[0].numpy(), rgb_to_y(hr_c)[0].numpy()
        assert abs(p - peak_signal_noise_ratio(yh, ys, data_range=255)) < 1e-9, name
        assert abs(q - structural_similarity(ys, yh, **SSIM_KW)) < 1e-9, name
        # skimage's own float64 Y, without BasicSR's float32 rounding. Each Y differs by at most ~1.5e-5, so
        # the MSE by at most 2*mean|d|*3e-5 + (3e-5)**2; that bound (in dB) is ~1e-7 dB on real images but
        # grows as the error shrinks (1.4e-6 dB measured on the random pair at 54.6 dB).
        ys, yh = (rgb2ycbcr(hwc(t))[..., 0] for t in (sr_c, hr_c))
        d = np.abs(ys - yh)
        bound = 10 / math.log(10) * (2 * d.mean() * 3e-5 + 9e-10) / (d ** 2).mean()
        assert abs(p - peak_signal_noise_ratio(yh, ys, data_range=255)) < min(bound, 1e-5), name
        if p < 50: assert abs(p - peak_signal_noise_ratio(yh, ys, data_range=255)) < 1e-6, name
        assert abs(q - structural_similarity(ys, yh, **SSIM_KW)) < 1e-6, name


@pytest.mark.parametrize('pairs', [set5_pairs, random_pairs])
def test_rgb_against_skimage(pairs):
    for name, sr, hr, c in pairs():
        a, b = hwc(sr[:, c:-c, c:-c]).astype(np.float64), hwc(hr[:, c:-c, c:-c]).astype(np.float64)
        assert abs(psnr(sr, hr, c, y_channel=False) - peak_signal_noise_ratio(b, a, data_range=255)) < 1e-9, name
        ref = structural_similarity(a, b, channel_axis=-1, **SSIM_KW)
        assert abs(ssim(sr, hr, c, y_channel=False) - ref) < 1e-9, name


def test_float_inputs_are_rounded_first():
    g = torch.Generator().manual_seed(3)
    hr, sr = torch.rand(3, 40, 40, generator=g), torch.rand(3, 40, 40, generator=g)
    assert psnr(sr, hr, 4) == psnr(to_uint8(sr), to_uint8(hr), 4)
    assert ssim(sr[None], hr, 4) == ssim(to_uint8(sr), to_uint8(hr), 4)


def test_hand_checkable_and_edge_cases():
    a = torch.full((3, 24, 24), 50, dtype=torch.uint8)
    assert math.isclose(psnr(a + 10, a, 2, y_channel=False), 10 * math.log10(255 ** 2 / 100), rel_tol=1e-14)
    assert psnr(a, a, 2) == math.inf
    assert ssim(a, a, 2) == 1.0
    with pytest.raises(HarmoqError, match='shape'): psnr(a, a[:, 1:], 2)
    with pytest.raises(HarmoqError, match='shape'): ssim(a, a[:, :, 1:], 2)
