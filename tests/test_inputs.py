"""Input-file defects of issue 13: checkpoint messages, BasicSR key prefixes, 16-bit and alpha images. Each fails before issue 13."""
import struct, warnings, zlib
from pathlib import Path
import numpy as np
import pytest
import torch
from PIL import Image
from harmoq.core import HarmoqError
from harmoq.imdn import IMDN
from harmoq.images import read_image
from harmoq.models import load_model

def tiny_imdn(): torch.manual_seed(0); return IMDN(nf=16, num_modules=2, upscale=2).eval()

# --- defect: a torch.save(model) pickle gets "corrupt or not a PyTorch file" with an ANSI escape, cut mid-word -------------
def test_pickled_module_is_one_exact_line(tmp_path):
    torch.save(tiny_imdn(), tmp_path/'whole.pth')
    with pytest.raises(HarmoqError) as e: load_model(tmp_path/'whole.pth')
    assert str(e.value) == ('whole.pth is a pickled harmoq.imdn.IMDN (torch.save(model)), not a state_dict: save model.state_dict() '
                            'instead (harmoq does not unpickle objects, which can run arbitrary code)')

def test_damaged_checkpoint_message_is_clean(tmp_path):
    torch.save(tiny_imdn(), tmp_path/'whole.pth')
    (tmp_path/'cut.pth').write_bytes((tmp_path/'whole.pth').read_bytes()[:3000])
    (tmp_path/'junk.pth').write_bytes(b'not a checkpoint at all')
    for f in ('cut.pth', 'junk.pth'):
        with pytest.raises(HarmoqError) as e: load_model(tmp_path/f)
        msg = str(e.value)
        assert 'corrupt or not a PyTorch file' in msg and '\x1b' not in msg and '\n' not in msg
        assert msg.endswith(')') and (msg.endswith('...)') or not msg[:-1].endswith(' ')), msg   # whole words

# --- defect: BasicSR checkpoints saved with a `model.` prefix are "unknown architecture" -------------------------------------
@pytest.mark.parametrize('wrap', [lambda sd: {'params': {'model.' + k: v for k, v in sd.items()}},
                                  lambda sd: {'params_ema': {'module.model.' + k: v for k, v in sd.items()}, 'params': {}},
                                  lambda sd: {'state_dict': {'model.' + k: v for k, v in sd.items()}, 'epoch': 7, 'optimizer': {}},
                                  lambda sd: {'model.' + k: v for k, v in sd.items()}])
def test_prefixed_checkpoints_load(wrap, tmp_path):
    ref = tiny_imdn()
    torch.save(wrap(ref.state_dict()), tmp_path/'w.pth')
    got = load_model(tmp_path/'w.pth')
    assert got.arch == 'imdn' and all(torch.equal(a, b) for a, b in zip(got.state_dict().values(), ref.state_dict().values()))

# --- defect: 16-bit PNGs silently reduced to 8 bits, RGBA alpha silently dropped -------------------------------------------
def png16(path, a):
    "A 16-bit PNG from a uint16 (H, W, C) array (Pillow cannot write 16-bit colour)."
    h, w, c = a.shape
    raw = b''.join(b'\x00' + a[y].astype('>u2').tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    Path(path).write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, {1: 0, 3: 2, 4: 6}[c], 0, 0, 0))
                           + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))

@pytest.mark.parametrize('channels', [3, 4])
def test_16bit_colour_refused_in_one_line(channels, tmp_path):
    png16(tmp_path/'deep.png', np.full((4, 4, channels), 383, np.uint16))
    with pytest.raises(HarmoqError) as e: read_image(tmp_path/'deep.png')
    assert '16 bits per colour sample' in str(e.value) and '\n' not in str(e.value)

def test_16bit_gray_rounded_with_warning(tmp_path):
    png16(tmp_path/'g.png', np.array([[[0], [128], [129], [383], [65535]]], np.uint16))
    with pytest.warns(UserWarning, match='16-bit grayscale'): img, note = read_image(tmp_path/'g.png', with_note=True)
    assert img[0, 0].tolist() == [0, 0, 1, 1, 255] and 'rounded to 8 bits' in note   # round(v/257), not v >> 8

def test_alpha_dropped_only_with_warning(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    Image.fromarray(np.dstack([rgb, np.full((5, 7), 9, np.uint8)])).save(tmp_path/'clear.png')
    Image.fromarray(np.dstack([rgb, np.full((5, 7), 255, np.uint8)])).save(tmp_path/'opaque.png')
    with pytest.warns(UserWarning, match='alpha channel dropped'): img = read_image(tmp_path/'clear.png')
    assert np.array_equal(img.permute(1, 2, 0).numpy(), rgb)
    with warnings.catch_warnings():
        warnings.simplefilter('error')                  # an opaque alpha channel loses nothing: no warning
        img, note = read_image(tmp_path/'opaque.png', with_note=True)
    assert note == 'opaque alpha channel dropped'

def test_grayscale_is_copied_to_rgb_with_a_note(tmp_path):
    g = np.arange(35, dtype=np.uint8).reshape(5, 7)
    Image.fromarray(g).save(tmp_path/'g.png')
    img, note = read_image(tmp_path/'g.png', with_note=True)
    assert note == 'grayscale copied to RGB' and all(np.array_equal(img[c].numpy(), g) for c in range(3))
