"""A part of the full tier used without it stops with one line naming the
missing package and the command that installs the full tier; ``import
mmaccel`` needs none of them. (The core tier itself is tested end to end in
test_offline_install.py; here the full-tier packages are hidden in the
running environment by ``sys.modules[name] = None``, which makes their import
fail as a missing package's does.)"""
import subprocess
import sys

import pytest

from mmaccel.utils import MMAccelError
from mmaccel.utils.tiers import (FULL_TIER_COMMAND, MissingPackageError,
                                 full_tier_error, full_tier_hint,
                                 require_full_tier)

HIDE = ('import sys\n'
        'for name in ("mmdet", "mmseg", "mmcv.ops", "mmcv._ext"):\n'
        '    sys.modules[name] = None\n')


def run(code: str, python: str, env: dict):
    return subprocess.run([python, '-c', HIDE + code], env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_mmaccel_needs_no_full_tier_package(python, subprocess_env):
    proc = run(
        'import mmaccel, mmaccel.models, mmaccel.engine, mmaccel.datasets\n'
        'import runpy; runpy.run_path("tools/train.py", run_name="x")\n'
        'loaded = [m for m in sys.modules if m.split(".")[0] in '
        '("mmdet", "mmseg") or m.startswith("mmcv.ops")]\n'
        'assert not [m for m in loaded if sys.modules[m] is not None], '
        'loaded\n', python, subprocess_env)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_transfer_parts_name_the_package_and_the_full_tier(
        python, subprocess_env):
    proc = run('import mmaccel.models.transfer', python, subprocess_env)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('mmaccel.utils.tiers.MissingPackageError: ')
    assert 'MMDetection (mmdet)' in last and FULL_TIER_COMMAND in last


def test_require_full_tier(monkeypatch):
    require_full_tier('x', ('mmdet', 'mmseg', 'mmcv.ops'))  # full tier here
    monkeypatch.setitem(sys.modules, 'mmseg', None)
    with pytest.raises(MissingPackageError) as info:
        require_full_tier('the segmentation transfer', ('mmdet', 'mmseg'))
    error = info.value
    assert isinstance(error, MMAccelError) and isinstance(
        error, ModuleNotFoundError) and error.name == 'mmseg'
    assert str(error) == (
        'the segmentation transfer needs MMSegmentation (mmseg), which is not '
        'installed: the core tier leaves it out; install the full tier with '
        '`bash tools/setup_env.sh --tier full`')


@pytest.mark.parametrize('exc, module', [
    # MMEngine, for a config whose _base_ is 'mmdet::...' without mmdet
    (ModuleNotFoundError('mmdet is not installed, please install mmdet '
                         'manually'), 'mmdet'),
    (ModuleNotFoundError('mmsegmentation is not installed, please install '
                         'mmsegmentation manually'), 'mmseg'),
    (ModuleNotFoundError("No module named 'mmseg'", name='mmseg'), 'mmseg'),
    (ModuleNotFoundError("No module named 'mmcv._ext'", name='mmcv._ext'),
     'mmcv.ops'),
    (ModuleNotFoundError("No module named 'mmdetx'", name='mmdetx'), None),
    (ModuleNotFoundError("No module named 'scipy'", name='scipy'), None),
    (ValueError('mmdet is not installed'), None),
])
def test_full_tier_error_recognises_missing_packages(exc, module):
    error = full_tier_error(exc, 'config c.py')
    if module is None:
        assert error is None
    else:
        assert error.name == module and str(error).startswith(
            'config c.py needs ') and f'({module})' in str(error)


def test_full_tier_hint_looks_through_wrapped_import_errors():
    # MMEngine's custom_imports wraps a failed import twice
    with pytest.raises(MissingPackageError) as info:
        with full_tier_hint('config c.py'):
            try:
                try:
                    raise ModuleNotFoundError("No module named 'mmdet'",
                                              name='mmdet')
                except ImportError:
                    raise ImportError('Failed to import x')
            except ImportError as e:
                raise ImportError('Failed to import custom modules') from e
    assert str(info.value).startswith('config c.py needs MMDetection')
    with pytest.raises(ImportError, match='scipy'):  # others pass unchanged
        with full_tier_hint('config c.py'):
            raise ModuleNotFoundError("No module named 'scipy'", name='scipy')
