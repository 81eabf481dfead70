"""Each shim in mmaccel/utils/compat.py is needed: without it the case
fails."""
import subprocess

import torch
from mmengine.logging import MessageHub

LOAD = ('from mmengine.runner.checkpoint import _load_checkpoint\n'
        'ckpt = _load_checkpoint({path!r}, map_location="cpu")\n'
        'hub = ckpt["message_hub"]\n'
        'print(type(hub["log_scalars"]["train/loss"]).__name__,\n'
        '      hub["log_scalars"]["train/loss"].mean())\n')


def save_runner_like_checkpoint(path):
    """What MMEngine's Runner saves besides weights: its message hub, whose
    scalars are HistoryBuffers of numpy values."""
    hub = MessageHub.get_instance('test_compat')
    for value in (1.0, 2.0, 3.0):
        hub.update_scalar('train/loss', value)
    torch.save(
        dict(
            meta=dict(epoch=1, iter=4),
            state_dict=dict(w=torch.ones(2)),
            message_hub=hub.state_dict()), path)


def test_mmengine_checkpoints_load_on_torch_2_6_plus(tmp_path, python,
                                                     subprocess_env):
    path = str(tmp_path / 'epoch_1.pth')
    save_runner_like_checkpoint(path)
    code = LOAD.format(path=path)

    without = subprocess.run([python, '-c', code], env=subprocess_env,
                             capture_output=True, text=True, timeout=120)
    assert without.returncode != 0
    assert 'Weights only load failed' in without.stderr

    with_shim = subprocess.run([python, '-c', 'import mmaccel\n' + code],
                               env=subprocess_env, capture_output=True,
                               text=True, timeout=120)
    assert with_shim.returncode == 0, with_shim.stderr[-2000:]
    last_line = with_shim.stdout.splitlines()[-1]
    assert last_line.split() == ['HistoryBuffer', '2.0']


def test_remote_schemes_keep_torch_defaults():
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmaccel.utils.compat import load_from_local
    assert CheckpointLoader._get_checkpoint_loader('/a/b.pth') is \
        load_from_local
    assert CheckpointLoader._get_checkpoint_loader(
        'https://example.org/b.pth') is not load_from_local
