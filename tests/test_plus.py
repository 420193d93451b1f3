"HarmoQ+ (issue 17) on small random networks: registered as 'harmoq+', every switch runs, the rounding is baked into the weights, bad settings are one line."
import copy, dataclasses
import pytest, torch
from small_models import small_model

def _cfg(**kw):
    from harmoq.methods import method_config
    return dataclasses.replace(method_config('harmoq+', 3, 3, 'quick'), **{**dict(steps=6, abr_steps=3, max_rows=128), **kw})

def test_registered_and_reachable_from_the_commands():
    from harmoq.methods import available_methods, METHODS
    from harmoq.cli import check_method
    from harmoq.plus import HarmoQPlusConfig
    assert 'harmoq+' in available_methods() and METHODS['harmoq+'].config is HarmoQPlusConfig
    assert check_method('harmoq+') == 'harmoq+'

@pytest.mark.parametrize('arch, switches', [('dat', dict()), ('dat', dict(adaround=False)), ('dat', dict(block_reconstruction=False)),
                                            ('dat', dict(qdrop=0.)), ('dat', dict(channel_shift=True)), ('swinir', dict(channel_shift=True)),
                                            ('hat', dict(channel_shift=True)), ('imdn', dict(channel_shift=True))])
def test_every_switch_calibrates(arch, switches):
    import harmoq
    from harmoq.quant import quantizers, QuantLinear, QuantConv2d
    torch.manual_seed(0)
    model, calib = small_model(arch), torch.rand(4, 3, 12, 12)
    w0 = {k: v.clone() for k, v in model.state_dict().items()}
    q, log = harmoq.quantize(model, calib, _cfg(**switches))
    assert log['method'] == 'harmoq+' and log['units']
    if switches.get('channel_shift'): assert ('channel_shift' in log) and (len(log['channel_shift']) > 0) == (arch != 'imdn')   # a CNN has no LayerNorm
    assert all(u['error_after'] <= 1.5 * u['error_before'] + 1e-6 for u in log['units'].values())
    assert all(qz.is_calibrated for _, qz in quantizers(q))
    for k, v in model.state_dict().items(): assert torch.equal(v, w0[k])          # the float model is left alone
    x = torch.rand(1, 3, 12, 12)
    with torch.no_grad(): assert (q(x) - model(x)).abs().mean() < 0.05
    for m in q.modules():                                                          # nothing of the reconstruction is left behind
        assert 'qweight' not in vars(m) and 'forward' not in vars(m)
        if isinstance(m, (QuantLinear, QuantConv2d)) and m.w_quant is not None and switches.get('adaround', True):
            w = m.scaled_weight() if isinstance(m, QuantLinear) else m.weight
            torch.testing.assert_close(m.w_quant(w), w, atol=1e-5, rtol=1e-5)    # AdaRound's rounding is on the grid

def test_bad_settings_are_one_line():
    import harmoq
    from harmoq.core import HarmoqError
    model, calib = small_model('dat'), torch.rand(2, 3, 16, 16)
    for kw, msg in ((dict(qdrop=1.5), 'probability'), (dict(steps=0), 'positive integer'), (dict(round_lr=-1.), 'round_lr')):
        with pytest.raises(HarmoqError, match=msg): harmoq.quantize(model, calib, _cfg(**kw))
    with pytest.raises(HarmoqError, match='unknown HarmoQ\\+ preset'):
        from harmoq.plus import HarmoQPlusConfig
        HarmoQPlusConfig.preset('gpu')

def test_float64_gradients_match_autograd():
    from harmoq.plus import init_rounding, adaround_layer_gradient, soft_quant_weight, rounding_regularizer
    g = torch.Generator().manual_seed(1)
    w, x = torch.randn(4, 5, generator=g, dtype=torch.float64), torch.randn(30, 5, generator=g, dtype=torch.float64)
    lo, hi = w.amin(1), w.amax(1)
    fl, V0, step = init_rounding(w, lo, hi, 2)
    V = (V0 + 0.5 * torch.randn(V0.shape, generator=g, dtype=torch.float64)).requires_grad_()
    d = adaround_layer_gradient(x, w, fl, V.detach(), lo, step, 2, lam=0.05, beta=8.)
    loss = ((x @ (soft_quant_weight(fl, V, lo, step, 2) - w).T) ** 2).sum() / len(x) + 0.05 * rounding_regularizer(V, 8.)
    torch.testing.assert_close(d['grad'], torch.autograd.grad(loss, V)[0], atol=1e-10, rtol=1e-10)
