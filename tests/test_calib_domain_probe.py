"experiments/calib_domain_probe.py: every budget (the GPU job's too, which no CPU run exercises) makes a valid HarmoQ+ configuration."
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'experiments'))
import calib_domain_probe as probe  # noqa: E402
from harmoq.baselines import get_preset  # noqa: E402


def test_budgets_make_configs():
    for name, budget in probe.BUDGETS.items():
        for s, b in probe.CELLS.values():
            preset, cfg, overrides, patches = probe.budget_setup(s, b, budget)
            assert (cfg.w_bits, cfg.a_bits, cfg.steps, cfg.output_steps) == (b, b, budget['steps'], budget['output_steps']), name
            assert 'patches' not in overrides and patches == budget.get('patches'), name
            assert preset.patches == (patches or get_preset(budget.get('calib_preset', 'cpu'), s).patches), (name, preset.patches)
    assert probe.budget_setup(2, 3, probe.BUDGETS['paper'])[0].lr_patch(2) == 64   # the paper preset's 128x128 HR patches at x2
