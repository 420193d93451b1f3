"""Test-only stand-in for the few torchvision names spandrel imports (tests never call them).

spandrel imports every architecture when it is imported, and two of them (LaMa, RestoreFormer) import
`torchvision.transforms.functional` at module level. PyPI's torchvision does not load beside the CPU-only
torch used here, and harmoq's tests need only spandrel's SwinIR and HAT, so before importing spandrel we
register tiny placeholder modules under the torchvision names, unless a working torchvision exists.
"""
import enum, importlib, sys, types

def _fail(*args, **kwargs):
    raise NotImplementedError('torchvision_shim: torchvision is not installed; this function is a placeholder')

class InterpolationMode(enum.Enum):
    "The members spandrel's LaMa may refer to."
    NEAREST = 'nearest'
    BILINEAR = 'bilinear'
    BICUBIC = 'bicubic'

def install() -> bool:
    "Make `import torchvision.transforms.functional` work; True if the placeholder was installed."
    try:
        importlib.import_module('torchvision.transforms.functional')
        return False
    except Exception:  # not installed, or installed but incompatible with this torch
        for name in [n for n in sys.modules if n == 'torchvision' or n.startswith('torchvision.')]: del sys.modules[name]
    tv, tr, fn = (types.ModuleType(n) for n in ('torchvision', 'torchvision.transforms', 'torchvision.transforms.functional'))
    fn.InterpolationMode, fn.rotate, fn.normalize = InterpolationMode, _fail, _fail
    tv.__version__ = '0.0.0+harmoq-shim'
    tv.transforms, tr.functional = tr, fn
    sys.modules.update({'torchvision': tv, 'torchvision.transforms': tr, 'torchvision.transforms.functional': fn})
    return True
