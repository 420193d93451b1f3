"experiments/grid_cells.py: which existing result files it resumes and which it starts afresh."
import json, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'experiments'))
import grid_cells  # noqa: E402


def record(sets: str, done: list) -> dict:
    "A finished harmoq_eval record whose command asked for `sets` and which holds the sets `done`."
    return dict(provenance=dict(command=f'harmoq_eval --model dat-light --sets {sets} --json x.json', commit='HEAD'),
                results={s: dict(psnr=30.0, images=[]) for s in done})


def test_sets_asked():
    assert grid_cells.sets_asked(record('Set5,Set14,B100', ['Set5'])) == {'Set5', 'Set14', 'B100'}
    assert grid_cells.sets_asked(dict(provenance=dict(command='python experiments/x.py'))) == set()


def test_resume_between_sets(tmp_path, monkeypatch, capsys):
    # x2: stopped after Set14 of the three sets it was asked for -> resumed, its finished sets kept;
    # x3: a finished Set5-only first pass, now asked for three sets -> set aside, all sets from one calibration
    monkeypatch.setattr(grid_cells, 'ROOT', tmp_path)
    monkeypatch.setattr(grid_cells, 'PHASES', {'p': [('dat-light', s, 'harmoq', 4, 'Set5,Set14,B100') for s in (2, 3)]})
    for scale, asked, done in ((2, 'Set5,Set14,B100', ['Set5', 'Set14']), (3, 'Set5', ['Set5'])):
        p = grid_cells.path_of('dat-light', scale, 'harmoq', 4)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(record(asked, done)))
    monkeypatch.setattr(sys, 'argv', ['grid_cells.py', '--phases', 'p', '--dry-run'])
    grid_cells.main()
    x2, x3 = capsys.readouterr().out.splitlines()
    assert '--scale 2 --sets Set5,Set14,B100' in x2 and 'first_pass' not in x2
    assert '--scale 3' in x3 and 'first_pass' in x3
