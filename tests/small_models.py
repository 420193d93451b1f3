"Small random-weight networks of every architecture harmoq supports, for fast tests (official SwinIR/HAT weights are not available)."
import warnings
import torch
from harmoq.swinir import SwinIR
from harmoq.hat import HAT
from harmoq.dat import DAT
from harmoq.imdn import IMDN

def small_model(arch:str):
    "A tiny x2 `arch` network ('swinir', 'hat', 'dat' or 'imdn') with seeded random weights, in eval mode."
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        if arch == 'swinir': return SwinIR(upscale=2, embed_dim=12, depths=[2], num_heads=[2], window_size=4).eval()
        if arch == 'hat': return HAT(upscale=2, embed_dim=12, depths=[2], num_heads=[2], window_size=4, compress_ratio=3, squeeze_factor=4).eval()
        if arch == 'dat': return DAT(upscale=2, depth=(2,), embed_dim=24, num_heads=(2,), split_size=(4, 8)).eval()
        if arch == 'imdn': return IMDN(nf=16, num_modules=2, upscale=2).eval()
    raise ValueError(arch)
