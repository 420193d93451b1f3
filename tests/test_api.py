"The public shape of harmoq (issue 14): cheap, side-effect-free import; one registry; quantize/quantize_; old names still work, with a warning."
import os, subprocess, sys, warnings
import pytest, torch
from small_models import small_model

def run(code:str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'}
    return subprocess.run([sys.executable, '-W', 'error', '-c', code], capture_output=True, text=True, env=env, timeout=300)

def test_import_is_cheap_and_changes_nothing():
    r = run("import sys, os, harmoq, harmoq.analysis; print('torch' in sys.modules, os.environ.get('TRITON_INTERPRET'))")
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ['False', 'None']

def test_every_module_imports_without_warnings():
    mods = ['harmoq.core', 'harmoq.quant', 'harmoq.calibration', 'harmoq.baselines', 'harmoq.src', 'harmoq.hso', 'harmoq.abr',
            'harmoq.algorithm', 'harmoq.methods', 'harmoq.analysis.src_at_work', 'harmoq.analysis.layer_sensitivity']
    r = run(f"import os, {', '.join(mods)}; print(os.environ.get('TRITON_INTERPRET'))")
    assert r.returncode == 0 and r.stdout.strip() == 'None', r.stderr[-2000:]

def test_registry_is_explicit():
    from harmoq.baselines import METHODS as BASELINES
    import harmoq.algorithm                       # importing the algorithm registers nothing
    assert 'harmoq' not in BASELINES
    from harmoq.methods import available_methods, method_config, METHODS
    assert available_methods() == ('minmax', 'percentile', 'dobi', '2dquant', 'dbdc_pac', 'harmoq', 'harmoq+')
    cfg = method_config('harmoq', 3, 2, 'quick', seed=1)
    assert (cfg.w_bits, cfg.a_bits, cfg.calib_preset, cfg.seed) == (3, 2, 'quick', 1)
    assert type(cfg) is METHODS['harmoq'].config

def test_quantize_copy_and_in_place_agree():
    import harmoq, copy
    model, calib = small_model('imdn'), torch.rand(2, 3, 16, 16)
    cfg = harmoq.MinMaxConfig(w_bits=4, a_bits=4, calib_preset='quick')
    q, log = harmoq.quantize(model, calib, cfg)
    m2 = copy.deepcopy(model)
    log2 = harmoq.quantize_(m2, cfg, calib)
    x = torch.rand(1, 3, 9, 11)
    with torch.no_grad(): assert torch.equal(q(x), m2(x))
    assert log['method'] == log2['method'] == 'minmax' and not any('Quant' in type(m).__name__ for m in model.modules())

def test_conflicting_bits_are_refused():
    import harmoq
    from harmoq.core import HarmoqError
    from harmoq.quant import QuantConfig
    with pytest.raises(HarmoqError, match='contradicts'):
        harmoq.quantize(small_model('dat'), torch.rand(2, 3, 16, 16), harmoq.HarmoQConfig(w_bits=4), quant_config=QuantConfig(w_bits=2, a_bits=2))
    from harmoq.algorithm import quantize as old_quantize
    with pytest.raises(HarmoqError, match='contradicts'):
        old_quantize(small_model('dat'), torch.rand(2, 3, 16, 16), harmoq.HarmoQConfig(w_bits=4), quant_config=QuantConfig(w_bits=2, a_bits=2))

def test_old_names_warn_and_work():
    import harmoq.src, harmoq.hso, harmoq.abr, harmoq.algorithm
    assert not any('layer_error' in vars(m) for m in (harmoq.src, harmoq.hso, harmoq.abr))   # no function of that name any more
    lin = torch.nn.Linear(4, 3)
    from harmoq.quant import QuantLinear, UniformQuantizer
    ql = QuantLinear(lin, UniformQuantizer(4, channels=3), UniformQuantizer(4))
    x = torch.randn(16, 4)
    ql.a_quant.set_bounds(x.min(), x.max()); ql.w_quant.set_bounds(lin.weight.amin(1), lin.weight.amax(1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert harmoq.hso.layer_error(ql, x) == harmoq.hso.relative_output_error(ql, x)
        assert harmoq.abr.layer_error(ql, x) == harmoq.abr.layer_loss(ql, x)
    assert [w.category for w in caught] == [DeprecationWarning, DeprecationWarning]
    assert callable(harmoq.algorithm.harmonize_)

def test_quantizer_flag_follows_the_state_dict():
    from harmoq.quant import UniformQuantizer
    a, b = UniformQuantizer(4), UniformQuantizer(4)
    a.set_bounds(-1., 1.)
    b.load_state_dict(a.state_dict())
    assert b.is_calibrated and bool(b.calibrated)
    b.load_state_dict(UniformQuantizer(4).state_dict())
    assert not b.is_calibrated

def test_a_learning_rate_passes_through_abr():
    "`lr` is a learning rate everywhere, so it reaches refine_bounds through adaptive_boundary_refinement's **kwargs."
    from harmoq.quant import quantize_model, QuantConfig, quantizers
    from harmoq.baselines import minmax, PRESETS
    from harmoq.abr import adaptive_boundary_refinement
    model, calib = small_model('imdn'), torch.rand(2, 3, 16, 16)
    q = quantize_model(model, QuantConfig(3, 3)); minmax(q, model, calib, PRESETS['quick'])
    before = [p.detach().clone() for _, z in quantizers(q) for p in z.parameters()]
    info = adaptive_boundary_refinement(q, calib, steps=5, max_rows=64, lr=0., lr_min=0.)
    assert all(torch.equal(p, b) for p, b in zip((p for _, z in quantizers(q) for p in z.parameters()), before))
    assert all(v['final'] == v['initial'] for v in info['layers'].values())
