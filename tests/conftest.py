"""Shared fixtures: the repository root, and every test running from it
(configs and data paths such as ``data/fashion-mnist`` are relative to it)."""
import os
import socket
import sys
from pathlib import Path

import pytest
from mmengine.registry import DefaultScope

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(autouse=True)
def _run_from_repo_root(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """Undo a test's ``init_default_scope``: MMEngine's current default scope
    is global, and a test that builds an MMSegmentation model would otherwise
    leave 'mmseg' as the scope in which later tests build mmaccel's models."""
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture(scope='session')
def python() -> str:
    """The interpreter running the tests, for subprocesses."""
    return sys.executable


@pytest.fixture(scope='session')
def subprocess_env() -> dict:
    """Environment for tool subprocesses: few threads, the checkout
    importable, and the modules of ``tests/`` that configs name in
    ``custom_imports`` or ``train_cfg.clock`` (``fault_injection``,
    ``fake_clock``, ``exit_recorder``)."""
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    env['PYTHONPATH'] = os.pathsep.join(
        [str(REPO_ROOT), str(REPO_ROOT / 'tests'),
         env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    return env


@pytest.fixture
def free_port():
    """A function that returns a free local TCP port, as a string."""

    def find():
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            return str(s.getsockname()[1])

    return find
