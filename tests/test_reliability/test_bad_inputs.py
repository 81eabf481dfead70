"""Every bad input stops tools/train.py before the first iteration, with one
line on stderr that names the setting or file and what is expected, exit
status 1, and no checkpoint.

The table runs ``tools/train.py``'s ``main()`` in this process (the command
line is the only input; a second of start-up each instead of five); the
cases marked in its last column also run as a real ``tools/train.py``
process (a missing data set does in tests/test_foundation/test_train_tools.py).
"""
import importlib.util
import io
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from reliability_helpers import env_for, tiny_config, train

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / 'data' / 'fashion-mnist'
IMAGES, LABELS = 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'
REBUILD = 'run `bash tools/dataset_converters/prepare_fashion_mnist.sh`'

_spec = importlib.util.spec_from_file_location('train_tool',
                                               REPO / 'tools' / 'train.py')
train_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(train_tool)


def idx_header(magic, *dims):
    return np.array([magic, *dims], dtype='>u4').tobytes()


# name -> how to spoil a copy of the test split (images, labels): bytes
DATA_FAULTS = {
    'truncated-images': lambda im, lb: (im[:len(im) // 3], lb),
    'truncated-labels': lambda im, lb: (im, lb[:5000]),
    'images-wrong-magic': lambda im, lb: (idx_header(0x801, 10000) + im[8:],
                                          lb),
    'images-too-long': lambda im, lb: (im + b'\0' * 784, lb),
    'shorter-than-header': lambda im, lb: (im[:10], lb),
    'count-mismatch': lambda im, lb: (im, idx_header(0x801, 9999) + lb[8:-1]),
}


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    """Tiny configs, spoilt data folders and checkpoints to feed main()."""
    tmp = tmp_path_factory.mktemp('bad_inputs')
    a = {m: tiny_config(tmp, m)
         for m in ('mocov2', 'simclr', 'swav', 'mocov2-baseline')}
    a['tmp'] = tmp
    a['missing'] = str(tmp / 'no-such-folder')
    images, labels = (DATA / IMAGES).read_bytes(), (DATA / LABELS).read_bytes()
    for name, spoil in DATA_FAULTS.items():
        root = tmp / 'data' / name
        root.mkdir(parents=True)
        for f in os.listdir(DATA):
            if f.startswith('train'):
                (root / f).symlink_to(DATA / f)
        bad_images, bad_labels = spoil(images, labels)
        (root / IMAGES).write_bytes(bad_images)
        (root / LABELS).write_bytes(bad_labels)
        a[name] = str(root)
    # real checkpoints: two iterations of the accelerated and baseline MoCo
    for method in ('mocov2', 'mocov2-baseline'):
        work = tmp / f'ckpt_{method}'
        code, err, _ = run_main([
            a[method], '--work-dir', str(work), '--cfg-options',
            'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=16',
            f'experiment_name={method}_{time.time_ns()}'
        ])
        assert code == 0, err
        a[f'ckpt_{method}'] = str(work / 'iter_2.pth')
    data = (tmp / 'ckpt_mocov2' / 'iter_2.pth').read_bytes()
    (tmp / 'truncated.pth').write_bytes(data[:len(data) // 2])
    (tmp / 'text.pth').write_text('not a checkpoint\n')
    torch.save([1, 2, 3], tmp / 'list.pth')
    state = torch.load(a['ckpt_mocov2'], weights_only=False)['state_dict']
    torch.save({'state_dict': state}, tmp / 'weights_only.pth')
    for name in ('truncated', 'text', 'list', 'weights_only'):
        a[name] = str(tmp / f'{name}.pth')
    stale = tmp / 'stale_work'
    stale.mkdir()
    (stale / 'last_checkpoint').write_text(str(stale / 'iter_6.pth'))
    a['stale_work'] = str(stale)
    return a


def run_main(argv):
    """tools/train.py's main() on ``argv``: (exit status, stderr, stdout)."""
    saved = sys.argv, sys.stdout, sys.stderr
    sys.argv = ['tools/train.py', *argv]
    sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
    try:
        train_tool.main()
        code = 0
    except SystemExit as e:
        code = e.code
    finally:
        out, err = sys.stdout.getvalue(), sys.stderr.getvalue()
        sys.argv, sys.stdout, sys.stderr = saved
    return code, err, out


def opts(*options):
    return ['--cfg-options', *options]


# id: (config, extra arguments, expected message parts, also as a process)
CASES = {
    # --cfg-options keys that name nothing
    'cfg-typo': ('mocov2', opts('randomnes.seed=1'), [
        "--cfg-options: 'randomnes.seed' names nothing in the config (did "
        "you mean 'randomness.seed'?)", 'write +randomnes.seed=...'], True),
    'cfg-model-typo': ('mocov2', opts('model.backbone.exitz=[1,2]'),
                       ["'model.backbone.exitz' names nothing",
                        "did you mean 'model.backbone.exits'"], False),
    'cfg-hook-typo': ('mocov2', opts('default_hooks.checkpoint.intervl=1'),
                      ["did you mean 'default_hooks.checkpoint.interval'"],
                      False),
    'cfg-list-index': ('mocov2', opts('custom_hooks.9.seed=1'),
                       ['custom_hooks is a list of', 'no entry 9'], False),
    # the checkpoint hook's settings, checked when the run starts
    'hook-unknown-setting': ('mocov2',
                             opts('+default_hooks.checkpoint.intervl=1'), [
                                 'default_hooks.checkpoint: unknown setting '
                                 "'intervl' (did you mean 'interval'?)"
                             ], False),
    'hook-interval-type': ('mocov2',
                           opts('default_hooks.checkpoint.interval=2.5'),
                           ['default_hooks.checkpoint.interval must be an '
                            'integer; got 2.5'], False),
    'hook-filename': ('mocov2',
                      opts('+default_hooks.checkpoint.filename_tmpl=a.pth'),
                      ['default_hooks.checkpoint.filename_tmpl must be a '
                       "file name with one {}"], False),
    # model settings that would only fail in a forward pass
    'neck-channels-moco': ('mocov2', opts('model.neck.in_channels=[16,32,64,'
                                          '256]'), [
        "AccelMoCo: model.neck.in_channels must be the backbone's output "
        'channels at the exits (1, 2, 3, 4), i.e. [16, 32, 64, 128]; got '
        '[16, 32, 64, 256]'], False),
    'neck-channels-simclr': ('simclr', opts('model.neck.in_channels=[16,16,'
                                            '64,128]'),
                             ['AccelSimCLR: model.neck.in_channels must be',
                              'got [16, 16, 64, 128]'], False),
    'neck-channels-swav': ('swav', opts('model.neck.in_channels=[8,32,64,'
                                        '128]'),
                           ['AccelSwAV: model.neck.in_channels', 'got [8, '],
                           False),
    'views-too-small': ('mocov2', opts(
        'train_dataloader.dataset.pipeline.0.transforms.0.0.scale=8'), [
            'model.selector: views of 8 x 8 px leave 2 x 2 maps after stage '
            '1, and crops of crop_ratio=0.75 of them are the whole map'],
                        False),
    'selection-too-deep': ('simclr', opts('model.selector.positions=[1,2,3]'),
                           ['leave 1 x 1 maps after stage 3'], False),
    # degenerate training
    'simclr-batch-1': ('simclr', opts('train_dataloader.batch_size=1'),
                       ['train_dataloader.batch_size=1 x 1 process: SimCLR',
                        'no negatives'], False),
    'swav-batch-1': ('swav', opts('train_dataloader.batch_size=1'),
                     ['train_dataloader.batch_size=1 x 1 process: SwAV',
                      'uniform codes'], False),
    'moco-batch-1': ('mocov2', opts('train_dataloader.batch_size=1'),
                     ['train_dataloader.batch_size=1 x 1 process: MoCo',
                      'batch norm'], False),
    'moco-queue-batch': ('mocov2', opts('model.queue_len=100'), [
        'train_dataloader.batch_size=8 x 1 process: model.queue_len=100 must '
        'be divisible by the total training batch size (8)'], False),
    'moco-baseline-queue-batch': ('mocov2-baseline',
                                  opts('model.queue_len=100'),
                                  ['model.queue_len=100 must be divisible'],
                                  False),
    'data-smaller-than-batch': ('mocov2',
                                opts('train_dataloader.dataset.indices=5'), [
                                    'train_dataloader: the data set has 5 '
                                    'samples, fewer than one batch of 8 per '
                                    'process x 1 processes (drop_last=True)'
                                ], False),
    # data files
    'data-missing': ('mocov2',
                     opts('train_dataloader.dataset.data_root={missing}'),
                     ['Fashion-MNIST not found: {missing}/', REBUILD], False),
    'data-truncated-images': (
        'mocov2',
        opts('train_dataloader.dataset.data_root={truncated-images}'),
        [f'{{truncated-images}}/{IMAGES} is truncated: 2613338 bytes, but its '
         'header promises 7840016 (10000 x 28 x 28 images)', REBUILD], False),
    'data-truncated-labels': (
        'simclr',
        opts('train_dataloader.dataset.data_root={truncated-labels}'),
        [f'{{truncated-labels}}/{LABELS} is truncated: 5000 bytes, but its '
         'header promises 10008', REBUILD], False),
    'data-wrong-magic': (
        'mocov2',
        opts('train_dataloader.dataset.data_root={images-wrong-magic}'), [
            f'{{images-wrong-magic}}/{IMAGES} has a wrong header: magic number'
            ' 0x00000801, but an IDX images file starts with 0x00000803',
            REBUILD], False),
    'data-too-long': (
        'mocov2', opts('train_dataloader.dataset.data_root={images-too-long}'),
        [f'{{images-too-long}}/{IMAGES} is too long', REBUILD], False),
    'data-shorter-than-header': (
        'mocov2',
        opts('train_dataloader.dataset.data_root={shorter-than-header}'),
        [f'{{shorter-than-header}}/{IMAGES} is truncated: 10 bytes, shorter '
         'than the header', REBUILD], False),
    'data-count-mismatch': (
        'mocov2', opts('train_dataloader.dataset.data_root={count-mismatch}'),
        [f'files {{count-mismatch}}/{IMAGES} and {{count-mismatch}}/{LABELS} '
         'disagree: 10000 images, 9999 labels', REBUILD], False),
    # checkpoints, to resume
    'resume-missing': ('mocov2', ['--resume', '{tmp}/nope.pth'],
                       ['--resume: checkpoint {tmp}/nope.pth does not exist'],
                       False),
    'resume-text-file': ('mocov2', ['--resume', '{text}'], [
        'checkpoint {text} cannot be read', 'not a file written by '
        'torch.save'], False),
    'resume-truncated': ('mocov2', ['--resume', '{truncated}'], [
        'checkpoint {truncated} cannot be read', 'truncated'], False),
    'resume-not-a-dict': ('mocov2', ['--resume', '{list}'],
                          ['{list} is not a checkpoint: it holds a list'],
                          False),
    'resume-baseline-into-accel': (
        'mocov2', ['--resume', '{ckpt_mocov2-baseline}'], [
            'checkpoint {ckpt_mocov2-baseline} does not fit the model '
            "AccelMoCo (was it written with another config?): 'queue': the "
            'checkpoint has 1 queue of 64 keys of dimension 64, the model 4 '
            'queues of 64 keys of dimension 64'], True),
    'resume-accel-into-baseline': (
        'mocov2-baseline', ['--resume', '{ckpt_mocov2}'], [
            'checkpoint {ckpt_mocov2} does not fit the model MoCo',
            "keys the model lacks (first 'neck.heads.exit1."], False),
    'resume-other-queue-length': (
        'mocov2', ['--resume', '{ckpt_mocov2}', *opts('model.queue_len=128')],
        ["'queue': the checkpoint has 4 queues of 64 keys of dimension 64, "
         'the model 4 queues of 128 keys'], False),
    'resume-weights-only': ('mocov2', ['--resume', '{weights_only}'], [
        '{weights_only} holds weights but no training state',
        'load_from={weights_only} instead of --resume'], False),
    'resume-other-optimizer': (
        'mocov2', ['--resume', '{ckpt_mocov2}',
                   *opts('+optim_wrapper.paramwise_cfg.bias_decay_mult=0')],
        ['the optimizer state in {ckpt_mocov2} does not fit this config\'s '
         'optimizer: 1 parameter group of'], False),
    'resume-stale-last-checkpoint': (
        'mocov2', ['--resume', '--work-dir', '{stale_work}'], [
            '{stale_work}/last_checkpoint names {stale_work}/iter_6.pth, '
            'which does not exist'], False),
    # checkpoints, to start from
    'load-from-missing': ('mocov2', opts('load_from={tmp}/nope.pth'),
                          ['load_from: checkpoint {tmp}/nope.pth does not '
                           'exist'], False),
    'load-from-truncated': ('mocov2', opts('load_from={truncated}'),
                            ['checkpoint {truncated} cannot be read'], False),
    'load-from-other-model': ('mocov2-baseline',
                              opts('load_from={ckpt_mocov2}'), [
                                  'does not fit the model MoCo',
                                  "model.backbone.init_cfg=dict(type="
                                  "'Pretrained'"], False),
}


def fill(text, assets):
    for key, value in assets.items():
        text = text.replace('{' + key + '}', str(value))
    return text


def argv_of(case, assets, work_dir):
    method, args, _, _ = CASES[case]
    args = [fill(a, assets) for a in args]
    if '--work-dir' not in args:
        args = ['--work-dir', str(work_dir), *args]
    return [assets[method], *args]


@pytest.mark.parametrize('case', list(CASES))
def test_bad_input_stops_before_the_first_iteration(case, assets, tmp_path):
    argv = argv_of(case, assets, tmp_path / 'work')
    # a Runner's message hub and logger are found by experiment name
    argv += ['--cfg-options', f'experiment_name={case}_{time.time_ns()}']
    code, err, out = run_main(argv)
    assert code == 1, (err, out[-2000:])
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), err
    for part in CASES[case][2]:
        assert fill(part, assets) in lines[0]
    assert '(train)' not in out  # no iteration logged
    work = Path(argv[argv.index('--work-dir') + 1])
    assert not list(work.glob('**/*.pth')), 'a checkpoint was written'


@pytest.mark.parametrize(
    'case', [c for c, (_, _, _, sub) in CASES.items() if sub])
def test_bad_input_as_a_process(case, assets, tmp_path, python,
                                subprocess_env):
    argv = argv_of(case, assets, tmp_path / 'work')
    proc = train(python, argv[0], tmp_path / 'work', env_for(subprocess_env),
                 *argv[3:])
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr
    lines = [line for line in proc.stderr.splitlines()
             if line.startswith('error: ')]
    assert len(lines) == 1, proc.stderr[-2000:]
    for part in CASES[case][2]:
        assert fill(part, assets) in lines[0]
    assert '(train)' not in proc.stdout
    assert not list((tmp_path / 'work').glob('**/*.pth'))


def test_the_table_has_25_cases_or_more():
    assert len(CASES) >= 25
