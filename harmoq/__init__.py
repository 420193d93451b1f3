__version__ = "0.1.0"

def __getattr__(name):
    # `harmoq.quantize` and `harmoq.HarmoQConfig` without importing torch on `import harmoq`
    if name in ('quantize', 'HarmoQConfig'):
        from harmoq import algorithm
        return getattr(algorithm, name)
    raise AttributeError(f'module harmoq has no attribute {name!r}')
