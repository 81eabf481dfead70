"""tools/analysis/run_quality.sh passes each run's options on as it should:
a per-run ``--time-budget`` to tools/train.py, the ``--cfg-options`` after
it. The script runs in a copy of the tools folder whose ``.venv/bin/python``
only writes down its arguments (nothing is trained)."""
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

STUB = '''#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$(dirname "$0")/../../calls.txt"
while [ $# -gt 0 ]; do  # make the work dir, as tools/train.py does
  if [ "$1" = --work-dir ]; then mkdir -p "$2"; fi; shift
done
'''


def run_list(tmp_path, lines):
    (tmp_path / 'tools' / 'analysis').mkdir(parents=True)
    shutil.copy(REPO / 'tools/analysis/run_quality.sh',
                tmp_path / 'tools/analysis/run_quality.sh')
    python = tmp_path / '.venv' / 'bin' / 'python'
    python.parent.mkdir(parents=True)
    python.write_text(STUB)
    python.chmod(0o755)
    (tmp_path / 'runs.txt').write_text('\n'.join(lines) + '\n')
    proc = subprocess.run(
        ['bash', 'tools/analysis/run_quality.sh', 'runs.txt'], cwd=tmp_path,
        capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / 'calls.txt').read_text().splitlines()
    return [c for c in calls if c.startswith('tools/train.py')], proc.stdout


def test_a_run_with_a_time_budget_and_one_without(tmp_path):
    train, out = run_list(tmp_path, [
        '# method setting seed config [--time-budget D] [--cfg-options ...]',
        'mocov2 base-45m 1 a.py --time-budget 45m --cfg-options x.y=2 z=3',
        'mocov2 accel-45m 1 b.py --time-budget 1h30m',
        'mocov2 epochs 0 c.py --cfg-options x.y=4',
        'mocov2 plain 0 d.py',
    ])
    assert train == [
        'tools/train.py a.py --work-dir work_dirs/quality/mocov2_base-45m_s1 '
        '--time-budget 45m --cfg-options randomness.seed=1 x.y=2 z=3',
        'tools/train.py b.py --work-dir work_dirs/quality/mocov2_accel-45m_s1'
        ' --time-budget 1h30m --cfg-options randomness.seed=1',
        'tools/train.py c.py --work-dir work_dirs/quality/mocov2_epochs_s0 '
        '--cfg-options randomness.seed=0 x.y=4',
        'tools/train.py d.py --work-dir work_dirs/quality/mocov2_plain_s0 '
        '--cfg-options randomness.seed=0',
    ]
    assert '--time-budget 45m --cfg-options randomness.seed=1 x.y=2' in out
