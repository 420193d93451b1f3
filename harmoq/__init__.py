__version__ = "0.1.0"

# The public calls, imported on first use so that `import harmoq` stays cheap (no torch) and changes nothing.
_LAZY = {name: 'harmoq.methods' for name in (
    'quantize', 'quantize_', 'METHODS', 'available_methods', 'method_config',
    'MinMaxConfig', 'PercentileConfig', 'DOBIConfig', 'TwoDQuantConfig', 'DBDCPacConfig', 'HarmoQConfig')}
_LAZY['HarmoQPlusConfig'] = 'harmoq.plus'

def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f'module harmoq has no attribute {name!r}')

def __dir__(): return sorted(list(globals()) + list(_LAZY))
