"""The held-out protocol of issue 17's setting choices, shared by the experiments that use it: SunHays80 (a stand-in
for DIV2K) split by image, every fifth photograph held out; calibration patches from the other 64, held-out LR patches
(48x48 by default, seed 1) scored by PSNR on Y against HR and against the full-precision network's output."""
import statistics, torch
from harmoq.core import data_root
from harmoq.data import image_files, calibration_patches
from harmoq.calibration import batches
from harmoq.metrics import psnr


def sunhays_split() -> tuple[list, list]:
    "`(calibration files, held-out files)`: every fifth SunHays80 photograph is held out."
    files = image_files(data_root() / 'calib' / 'SunHays80')
    return [f for i, f in enumerate(files) if i % 5], files[::5]


class HeldOut:
    "16 held-out LR patches of `side` pixels at `scale` (`textured`: the 16 most textured of 128, seed 2), and the full-precision network's output on them."
    def __init__(self, net, scale: int, files: list, side: int = 48, n: int = 16, seed: int = 1, textured: bool = False):
        self.scale = scale
        if textured: self.lr, self.hr = textured_patches(files, n, side * scale, scale, seed=2, pool=8)
        else: self.lr, self.hr = calibration_patches(files, n, side * scale, scale, seed=seed)
        self.fp = self.run(net)

    def run(self, model) -> torch.Tensor:
        with torch.no_grad(): return torch.cat([model(b) for b in batches(self.lr, 4)])

    def score(self, model) -> dict:
        "Mean PSNR (dB) of `model` against HR (`psnr`) and against the full-precision output (`psnr_vs_fp`)."
        sr = self.run(model)
        return dict(psnr=statistics.mean(psnr(a, h, self.scale) for a, h in zip(sr, self.hr)),
                    psnr_vs_fp=statistics.mean(psnr(a, f, self.scale) for a, f in zip(sr, self.fp)))


def probe_setup(ap, bits: int) -> tuple:
    "Parse a probe's arguments with `--scale`, `--bits` and `--json` added to `ap`; 2 torch threads: `(args, scale, bits, DAT-light, calibration files, held-out files)`."
    from harmoq.models import load_model
    ap.add_argument('--scale', type=int, default=4)
    ap.add_argument('--bits', type=int, default=bits, help='weight and activation bits')
    ap.add_argument('--json', default=None, help='result file (default: under results/harmoq_plus/)')
    args = ap.parse_args()
    torch.set_num_threads(2)
    return (args, args.scale, args.bits, load_model('dat-light', args.scale).eval(), *sunhays_split())


def texture(lr: torch.Tensor) -> torch.Tensor:
    "Mean absolute difference of neighbouring pixels of each LR image's channel mean: `(n,)` (edges and texture)."
    y = lr.mean(-3)
    return (y[..., 1:, :] - y[..., :-1, :]).abs().mean((-2, -1)) + (y[..., :, 1:] - y[..., :, :-1]).abs().mean((-2, -1))


def textured_patches(files: list, n: int, hr_side: int, scale: int, seed: int, pool: int = 4) -> tuple:
    "The `n` most textured (`texture`) of `pool * n` seeded patches: `(lr, hr)`."
    lr, hr = calibration_patches(files, pool * n, hr_side, scale, seed=seed)
    keep = texture(lr).argsort(descending=True)[:n].sort().values
    return lr[keep], hr[keep]


def usual_and_textured(net, scale: int, files: list):
    "A scorer on the usual held-out patches and on textured ones: `model -> {psnr, psnr_textured, psnr_vs_fp, psnr_vs_fp_textured}`."
    usual, tex = HeldOut(net, scale, files), HeldOut(net, scale, files, textured=True)
    def score(model) -> dict:
        u, t = usual.score(model), tex.score(model)
        return dict(psnr=u['psnr'], psnr_textured=t['psnr'], psnr_vs_fp=u['psnr_vs_fp'], psnr_vs_fp_textured=t['psnr_vs_fp'])
    score.usual, score.textured = usual, tex
    return score
