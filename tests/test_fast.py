"The fast CPU integer model (harmoq.fast), the integer file format (harmoq.deploy.save) and the benchmark command without triton."
import copy, os, subprocess, sys, textwrap
import pytest, torch
from small_models import small_model
from harmoq.quant import QuantConfig
from harmoq.baselines import calibrate
from harmoq.deploy import to_integer, save, load, model_bytes
from harmoq.fast import fast_integer, FastIntLinear, FastWindowAttention, FastSwinWindowAttention, forbid_host_sync

@pytest.mark.parametrize('arch,bits', [('dat', 8), ('dat', 4), ('swinir', 8)])
def test_fast_model_matches_integer_model(arch, bits):
    q, _ = calibrate(small_model(arch), 'minmax', QuantConfig(bits, bits), torch.rand(2, 3, 16, 16), 'quick')
    im = to_integer(q); fm = fast_integer(im)
    kinds = {type(m) for m in fm.modules()}
    assert FastIntLinear in kinds and (FastWindowAttention in kinds) == (arch == 'dat') and (FastSwinWindowAttention in kinds) == (arch == 'swinir')
    x = torch.rand(1, 3, 16, 20)
    with torch.no_grad():
        y_int, y_fast = im(x), fm(x)
        with forbid_host_sync(): y_again = fm(x)   # no tensor is read on the host in forward
    assert torch.equal(y_fast, y_again)
    assert (y_fast - y_int).abs().max() < (1e-3 if bits == 8 else 5e-2)

def test_fast_weights_are_unpacked_int8():
    q, _ = calibrate(small_model('dat'), 'minmax', QuantConfig(4, 4), torch.rand(2, 3, 16, 16), 'quick')
    fm = fast_integer(q)   # a fake-quant model is converted with to_integer first
    ws = [m.weight_codes for m in fm.modules() if isinstance(m, FastIntLinear)]
    assert ws and all(w.dtype == torch.int8 and w.is_contiguous() for w in ws)
    assert all(int(w.min()) >= -8 and int(w.max()) <= 7 for w in ws)

def test_model_bytes_has_units_and_no_float32_weights_key():
    q, _ = calibrate(small_model('swinir'), 'minmax', QuantConfig(4, 4), torch.rand(2, 3, 16, 16), 'quick')
    s = model_bytes(to_integer(q))
    assert s and all(k.endswith('_bytes') for k in s), s
    assert 'weights_fp32' not in s and s['total_bytes'] == s['integer_layer_bytes'] + s['other_bytes']

def test_float16_file_is_smaller_and_loads_to_float32(tmp_path):
    q, _ = calibrate(small_model('dat'), 'minmax', QuantConfig(4, 4), torch.rand(2, 3, 16, 16), 'quick')
    im = to_integer(q)
    p32, p16 = save(im, tmp_path / 'a.safetensors', float_dtype=torch.float32), save(im, tmp_path / 'b.safetensors', float_dtype=torch.float16)
    assert p16.stat().st_size < 0.75 * p32.stat().st_size
    back32, back16 = load(p32), load(p16)
    assert all(t.dtype != torch.float16 for t in back16.state_dict().values())
    x = torch.rand(1, 3, 12, 12)
    with torch.no_grad(): assert torch.equal(back32(x), im(x))
    from safetensors import safe_open
    with safe_open(str(p16), 'pt') as f: assert len(list(f.keys())) <= 5   # one flat tensor per dtype, not one per tensor

def test_snapped_model_saves_small_and_lossless(tmp_path):
    from harmoq.deploy import snap_float16
    fp = small_model('dat')
    q, _ = calibrate(snap_float16(fp), 'minmax', QuantConfig(4, 4), torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0)), 'quick')
    im = to_integer(q)
    pa, p32 = save(im, tmp_path / 'auto.safetensors'), save(im, tmp_path / 'f32.safetensors', float_dtype=torch.float32)
    assert pa.stat().st_size < 0.8 * p32.stat().st_size   # the snapped floats went in as float16
    back = load(pa)
    assert all(torch.equal(a, b) for a, b in zip(back.state_dict().values(), im.state_dict().values()))
    x = torch.rand(1, 3, 12, 12)
    with torch.no_grad(): assert torch.equal(back(x), im(x))
    # an unsnapped model's 'auto' file keeps its floats exactly too (as float32)
    q2, _ = calibrate(fp, 'minmax', QuantConfig(4, 4), torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0)), 'quick')
    im2 = to_integer(q2)
    assert all(torch.equal(a, b) for a, b in zip(load(save(im2, tmp_path / 'u.safetensors')).state_dict().values(), im2.state_dict().values()))

def test_bench_dry_run_without_triton(tmp_path):
    # a sys.modules['triton'] = None shim makes `import triton` fail as if it were not installed
    code = f"""
        import sys; sys.modules['triton'] = None
        from harmoq.bench import harmoq_bench
        harmoq_bench(dry_run=True, models='dat-light', bits='4', json={str(tmp_path / 'd.json')!r})"""
    r = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True, timeout=900)
    assert 'ModuleNotFoundError' not in r.stderr and r.returncode == 0, r.stderr[-2000:]
    assert 'written to' in r.stdout

def test_shifted_window_masks_are_applied():
    "A DAT with a shifted spatial block (block 2 of group 0) on an input larger than its windows: the masks change the output, and the fast model applies them as the integer model does."
    from harmoq.dat import DAT
    torch.manual_seed(0)
    net = DAT(upscale=2, depth=(4,), embed_dim=24, num_heads=(2,), split_size=(4, 8)).eval()
    assert any(getattr(m, 'shift', False) for m in net.modules())
    q, _ = calibrate(net, 'minmax', QuantConfig(8, 8), torch.rand(2, 3, 16, 16), 'quick')
    im = to_integer(q); fm = fast_integer(im)
    x = torch.rand(1, 3, 16, 24)
    with torch.no_grad(): assert (fm(x) - im(x)).abs().max() < 1e-4   # without the masks the difference is 5e-4

def test_swinir_shifted_window_masks_are_applied(monkeypatch):
    "SwinIR's fast attention (position bias computed once, mask added in place) gives the integer model's output on an input whose shifted windows need masks; dropping the masks would not."
    from harmoq.swinir import SwinIR
    torch.manual_seed(0)
    net = SwinIR(upscale=2, embed_dim=12, depths=[2], num_heads=[2], window_size=4).eval()
    q, _ = calibrate(net, 'minmax', QuantConfig(8, 8), torch.rand(2, 3, 16, 16), 'quick')
    im = to_integer(q); fm = fast_integer(im)
    x = torch.rand(1, 3, 13, 11)
    with torch.no_grad():
        ref = im(x)
        d = (fm(x) - ref).abs().max().item()
        forward = FastSwinWindowAttention.forward
        monkeypatch.setattr(FastSwinWindowAttention, 'forward', lambda self, t, mask=None: forward(self, t, None))
        d_nomask = (fm(x) - ref).abs().max().item()
    assert d < 1e-5 and d_nomask > 100 * max(d, 1e-7), (d, d_nomask)
