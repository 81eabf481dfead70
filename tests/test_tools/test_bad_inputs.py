"""Every bad input stops a tool before it does any work: exit status 1,
exactly one line on stderr (``error: ...``, naming the setting or file, the
value and what is allowed), no iteration logged, no checkpoint written.

One test runs the whole catalogue: ``tools/train.py`` (settings, data files,
checkpoints, config files, upstream constructors' checks) and the other
tools (``knn.py``, ``linear.py``, ``extract_backbone.py``,
``benchmark_speed.py``, ``demo.py``, ``run_all.sh``). Each case is its own
process: the Python tools' cases are forked from one process that imported
the tools once (``bad_input_runner.py``, a few at a time); the cases marked
``fresh`` start a new interpreter (``python tools/train.py ...``, the shell
scripts), as a user's command does.
"""
import io
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from reliability_helpers import env_for, tiny_config

from mmaccel.apis import train_main

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / 'tests' / 'bad_input_runner.py'
DATA = REPO / 'data' / 'fashion-mnist'
IMAGES, LABELS = 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'
REBUILD = 'run `bash tools/dataset_converters/prepare_fashion_mnist.sh`'
LINEAR_CONFIG = ('configs/benchmarks/classification/fmnist/'
                 'resnet18_1xb256-linear-steplr-6e_fmnist-64px.py')
PARALLEL = max(2, os.cpu_count() or 1)


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


def write_configs(tmp: Path, a: dict) -> None:
    """Config files that do not load, or lack what a tool needs."""
    base = a['mocov2']
    files = {
        # line 3 does not parse
        'syntax_error': f"_base_ = '{base}'\nrandomness = dict(seed=1)\n"
                        'train_cfg = dict(max_epochs=1))\n',
        # a base whose line 2 does not parse
        'bad_base': "x = 1\ny = = 2\n",
        'with_bad_base': f"_base_ = ['{base}', './bad_base.py']\n",
        'missing_base': "_base_ = ['./no_such_base.py']\n",
        # line 2 names a variable that does not exist
        'name_error': f"_base_ = '{base}'\nmodel = dict(queue_len=queue)\n",
        'no_backbone': "model = dict(type='ImageClassifier')\n",
    }
    for name, text in files.items():
        (tmp / f'{name}.py').write_text(text)
        a[f'{name}_cfg'] = str(tmp / f'{name}.py')


def write_folders(tmp: Path, a: dict) -> None:
    """Image folders for --data-root: empty, without images, with files
    that only look like images."""
    for name, file, text in (('empty', None, None),
                             ('no_images', 'readme.txt', 'no image here\n'),
                             ('not_images', '0.png', 'not a png\n')):
        root = tmp / name
        root.mkdir()
        if file is not None:
            for split in ('train', 'val'):
                (root / split / 'shirt').mkdir(parents=True)
                (root / split / 'shirt' / file).write_text(text)
        a[name] = str(root)


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    """Tiny configs, spoilt data folders, config files and checkpoints."""
    tmp = tmp_path_factory.mktemp('bad_inputs')
    a = {m: tiny_config(tmp, m)
         for m in ('mocov2', 'simclr', 'swav', 'mocov2-baseline')}
    a['mocov2_iters'] = tiny_config(tmp, 'mocov2', iter_based=True)
    a['linear'] = LINEAR_CONFIG
    a['tmp'] = tmp
    a['missing'] = str(tmp / 'no-such-folder')
    a['no_config'] = str(tmp / 'no_such_config.py')
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
    write_configs(tmp, a)
    write_folders(tmp, a)
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
    torch.save({'state_dict': {k[len('backbone.'):]: v
                               for k, v in state.items()
                               if k.startswith('backbone.')}},
               tmp / 'exported.pth')
    for name in ('truncated', 'text', 'list', 'weights_only', 'exported'):
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
        train_main()
        code = 0
    except SystemExit as e:
        code = e.code
    finally:
        out, err = sys.stdout.getvalue(), sys.stderr.getvalue()
        sys.argv, sys.stdout, sys.stderr = saved
    return code, err, out


def opts(*options):
    return ['--cfg-options', *options]


# tools/train.py CONFIG ...: (config, arguments, expected message parts, run
# as a new interpreter)
CASES = {
    # --cfg-options keys that name nothing
    'cfg-typo': ('mocov2', opts('randomnes.seed=1'), [
        "--cfg-options: 'randomnes.seed' names nothing in the config (did "
        "you mean 'randomness.seed'?)", 'write +randomnes.seed=...'], False),
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
            'queues of 64 keys of dimension 64'], False),
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
    # settings that mean "train nothing"
    'max-epochs-0': ('mocov2', opts('train_cfg.max_epochs=0'), [
        'train_cfg.max_epochs=0: the number of training epochs must be a '
        'whole number of at least 1; 0 or less would train nothing'], False),
    'max-epochs-negative': ('swav', opts('train_cfg.max_epochs=-2'),
                            ['train_cfg.max_epochs=-2: the number of'],
                            False),
    'max-iters-0': ('mocov2_iters', opts('train_cfg.max_iters=0'), [
        'train_cfg.max_iters=0: the number of training iterations must be'],
                    False),
    'max-epochs-fraction': ('mocov2', opts('train_cfg.max_epochs=0.5'),
                            ['train_cfg.max_epochs=0.5', 'whole number'],
                            False),
    # config files that do not load
    'config-syntax-error': ('syntax_error_cfg', [], [
        "config {syntax_error_cfg}, line 3: unmatched ')': "
        'train_cfg = dict(max_epochs=1))'], True),
    'config-base-syntax-error': ('with_bad_base_cfg', [],
                                 ['config {tmp}/bad_base.py, line 2: '
                                  'invalid syntax: y = = 2'], False),
    'config-missing-base': ('missing_base_cfg', [], [
        'config {missing_base_cfg}: its _base_ {tmp}/no_such_base.py does '
        'not exist'], False),
    'config-name-error': ('name_error_cfg', [], [
        "config {name_error_cfg}, line 2: NameError: name 'queue' is not "
        'defined'], False),
    'config-missing': ('no_config', [], ['config {no_config} does not exist'],
                       False),
    # upstream constructors' and torch's checks, named by their config key
    'moco-momentum': ('mocov2', opts('model.momentum=1.5'), [
        'model.momentum=1.5 (AccelMoCo): momentum must be in range (0.0, '
        '1.0)'], True),
    'moco-baseline-momentum': ('mocov2-baseline', opts('model.momentum=0'),
                               ['model.momentum=0 (MoCo): momentum must be'],
                               False),
    'optimizer-lr': ('mocov2', opts('optim_wrapper.optimizer.lr=-0.1'), [
        'optim_wrapper.optimizer.lr=-0.1 (SGD): Invalid learning rate: -0.1 '
        '(allowed: 0 or more)'], False),
    'optimizer-weight-decay': (
        'mocov2-baseline', opts('optim_wrapper.optimizer.weight_decay=-1'),
        ['optim_wrapper.optimizer.weight_decay=-1 (SGD): Invalid weight_decay '
         'value: -1'], False),
    'backbone-depth': ('swav', opts('model.backbone.depth=19'),
                       ['model.backbone.depth=19', 'invalid depth 19'],
                       False),
    'unknown-type': ('simclr',
                     opts('model.neck.type=IntermediateContrastiveNek'), [
                         "model.neck.type='IntermediateContrastiveNek': "
                         'IntermediateContrastiveNek is not in the '
                         "mmaccel::model registry (did you mean "
                         "'IntermediateContrastiveNeck'?)"], False),
    'batch-size-0': ('mocov2', opts('train_dataloader.batch_size=0'),
                     ['train_dataloader.batch_size=0', 'positive integer'],
                     False),
}

# Cases of the other tools: (tool, arguments, expected message parts,
# run as a new interpreter). {work}: the case's own folder (work dir, or
# where an output would go), checked for checkpoints afterwards.
KNN = ['--work-dir', '{work}']
LINEAR = ['--work-dir', '{work}']
SPEED = ['--iters', '2', '--warmup', '1', '--no-memory', '--out',
         '{work}/speed.json']
OTHER_CASES = {
    # tools/benchmarks/knn.py CONFIG CHECKPOINT
    'knn-checkpoint-missing': ('knn', ['{mocov2}', '{tmp}/nope.pth', *KNN],
                               ['{tmp}/nope.pth: no such file'], False),
    'knn-checkpoint-text': ('knn', ['{mocov2}', '{text}', *KNN],
                            ['{text}: not a PyTorch checkpoint'], False),
    'knn-checkpoint-other-model': (
        'knn', ['{linear}', '{ckpt_mocov2}', *KNN],
        ['{ckpt_mocov2}: backbone weights do not fit'], False),
    'knn-folder-empty': ('knn', ['{mocov2}', '{ckpt_mocov2}', '--data-root',
                                 '{empty}', *KNN],
                         ['--data-root {empty}: {empty}/train is missing'],
                         False),
    'knn-folder-without-images': (
        'knn', ['{mocov2}', '{ckpt_mocov2}', '--data-root', '{no_images}',
                *KNN],
        ['--data-root {no_images}: no images in class folders of '
         '{no_images}/train'], False),
    'knn-folder-not-images': (
        'knn', ['{mocov2}', '{ckpt_mocov2}', '--data-root', '{not_images}',
                *KNN],
        ['--data-root {not_images}: {not_images}/train/shirt/0.png is not an '
         'image Pillow can read'], False),
    'knn-config-without-backbone': (
        'knn', ['{no_backbone_cfg}', '{ckpt_mocov2}', *KNN],
        ['{no_backbone_cfg} has no model.backbone'], False),
    'knn-cfg-typo': ('knn', ['{mocov2}', '{ckpt_mocov2}', *KNN,
                             *opts('model.backbone.dept=18')],
                     ["--cfg-options: 'model.backbone.dept' names nothing",
                      "did you mean 'model.backbone.depth'"], False),
    # tools/benchmarks/linear.py CONFIG CHECKPOINT
    'linear-checkpoint-missing': ('linear', ['{linear}', '{tmp}/nope.pth',
                                             *LINEAR],
                                  ['{tmp}/nope.pth: no such file'], False),
    'linear-checkpoint-text': ('linear', ['{linear}', '{text}', *LINEAR],
                               ['{text}: not a PyTorch checkpoint'], False),
    'linear-checkpoint-other-model': (
        'linear', ['{linear}', '{ckpt_mocov2}', *LINEAR],
        ['{ckpt_mocov2}: backbone weights do not fit the configured ResNet'],
        False),
    'linear-folder-empty': ('linear', ['{linear}', '{ckpt_mocov2}',
                                       '--data-root', '{empty}', *LINEAR],
                            ['--data-root {empty}: {empty}/train is missing'],
                            False),
    'linear-folder-not-images': (
        'linear', ['{linear}', '{ckpt_mocov2}', '--data-root',
                   '{not_images}', *LINEAR],
        ['{not_images}/train/shirt/0.png is not an image'], False),
    'linear-config-without-head': (
        'linear', ['{no_backbone_cfg}', '{ckpt_mocov2}', *LINEAR],
        ['{no_backbone_cfg} has no model.backbone: linear.py needs a probe '
         'config'], False),
    'linear-cfg-typo': ('linear', ['{linear}', '{ckpt_mocov2}', *LINEAR,
                                   *opts('model.head.num_clases=3')],
                        ["'model.head.num_clases' names nothing",
                         "did you mean 'model.head.num_classes'"], False),
    'linear-max-epochs-0': ('linear', ['{linear}', '{ckpt_mocov2}', *LINEAR,
                                       *opts('train_cfg.max_epochs=0')],
                            ['train_cfg.max_epochs=0: the number of'], False),
    # tools/model_converters/extract_backbone.py IN OUT
    'extract-missing': ('extract_backbone', ['{tmp}/nope.pth',
                                             '{work}/out.pth'],
                        ['{tmp}/nope.pth: no such file'], False),
    'extract-text': ('extract_backbone', ['{text}', '{work}/out.pth'], [
        "{text}: not a PyTorch checkpoint (torch.load failed: "
        "UnpicklingError: invalid load key, 'n'.)"], False),
    'extract-no-backbone-keys': (
        'extract_backbone', ['{exported}', '{work}/out.pth'],
        ["{exported}: no 'backbone.' keys in its state_dict"], False),
    'extract-out-unwritable': (
        'extract_backbone', ['{ckpt_mocov2}', '{text}/out.pth'],
        ['OUT {text}/out.pth cannot be written: {text} is a file, not a '
         'folder'], False),
    # tools/analysis/benchmark_speed.py BASELINE ACCEL
    'speed-config-missing': ('benchmark_speed', ['{mocov2-baseline}',
                                                 '{tmp}/nope.py', *SPEED],
                             ['config {tmp}/nope.py does not exist'], False),
    'speed-config-without-model': (
        'benchmark_speed', ['{no_backbone_cfg}', '{mocov2}', *SPEED],
        ['{no_backbone_cfg} has no model with a backbone'], False),
    'speed-not-accelerated': (
        'benchmark_speed', ['{mocov2-baseline}', '{mocov2-baseline}',
                            *SPEED],
        ['ACCEL_CONFIG {mocov2-baseline} does not build an accelerated '
         'model', 'its model is MoCo'], False),
    'speed-cfg-typo': ('benchmark_speed', [
        '{mocov2-baseline}', '{mocov2}', *SPEED, '--accel-cfg-options',
        'model.selector.crop_ration=0.5'
    ], ["--accel-cfg-options: 'model.selector.crop_ration' names nothing",
        "did you mean 'model.selector.crop_ratio'"], False),
    'speed-batch-queue': ('benchmark_speed', ['{mocov2-baseline}',
                                              '{mocov2}', *SPEED, '--batch',
                                              '6'],
                          ['--batch 6 must divide the queue length 64'],
                          False),
    'speed-momentum': ('benchmark_speed', [
        '{mocov2-baseline}', '{mocov2}', *SPEED, '--accel-cfg-options',
        'model.momentum=1.5'
    ], ['model.momentum=1.5 (AccelMoCo): momentum must be in range'], False),
    # tools/demo.py (tools/demo.sh: set-up, then demo.py with its arguments)
    'demo-config-missing': ('demo', ['--baseline-config', '{tmp}/nope.py',
                                     '--accel-config', '{mocov2}',
                                     '--work-dir', '{work}'],
                            ['config {tmp}/nope.py not found'], False),
    'demo-config-without-knn': (
        'demo', ['--baseline-config', '{mocov2-baseline}', '--accel-config',
                 '{mocov2}', '--work-dir', '{work}'],
        ['{mocov2-baseline}: no KNNEvalHook in custom_hooks'], False),
    'demo-cfg-typo': ('demo', ['--work-dir', '{work}',
                               *opts('model.backbone.dept=18')],
                      ["--cfg-options: 'model.backbone.dept' names nothing"],
                      False),
    'demo-data-empty': ('demo', ['--data-root', '{empty}', '--work-dir',
                                 '{work}'],
                        ['{empty}/train-images-idx3-ubyte is missing'],
                        False),
    # tools/benchmarks/run_all.sh CHECKPOINT
    'run_all-checkpoint-missing': ('run_all', ['{tmp}/nope.pth',
                                               '--work-dir', '{work}'],
                                   ['{tmp}/nope.pth: no such checkpoint'],
                                   True),
    'run_all-checkpoint-text': ('run_all', ['{text}', '--work-dir', '{work}'],
                                ['{text}: not a PyTorch checkpoint'], True),
    'run_all-config-missing': ('run_all', ['{ckpt_mocov2}', '--config',
                                           '{tmp}/nope.py', '--work-dir',
                                           '{work}'],
                               ['--config {tmp}/nope.py: no such config '
                                'file'], True),
    'run_all-cfg-typo': ('run_all', [
        '{ckpt_mocov2}', '--only', 'linear', '--linear-args',
        '--cfg-options train_cfg.max_epoch=1', '--work-dir', '{work}'
    ], ["linear failed: --cfg-options: 'train_cfg.max_epoch' names nothing",
        "did you mean 'train_cfg.max_epochs'"], True),
}
SCRIPTS = {'run_all': 'tools/benchmarks/run_all.sh'}
PY_TOOLS = {
    'train': 'tools/train.py',
    'knn': 'tools/benchmarks/knn.py',
    'linear': 'tools/benchmarks/linear.py',
    'extract_backbone': 'tools/model_converters/extract_backbone.py',
    'benchmark_speed': 'tools/analysis/benchmark_speed.py',
    'demo': 'tools/demo.py',
}


def fill(text, assets):
    for key, value in assets.items():
        text = text.replace('{' + key + '}', str(value))
    return text


def catalogue(assets, root: Path) -> dict:
    """Every case: ``{id: (tool, argv, expected parts, fresh, work dir)}``,
    placeholders filled."""
    cases = {}
    for case, (config, args, parts, fresh) in CASES.items():
        args = [assets[config]] + [fill(a, assets) for a in args]
        if '--work-dir' not in args:
            args += ['--work-dir', str(root / case)]
        work = Path(args[args.index('--work-dir') + 1])
        cases[case] = ('train', args, parts, fresh, work)
    for case, (tool, args, parts, fresh) in OTHER_CASES.items():
        work = root / case
        values = dict(assets, work=work)
        cases[case] = (tool, [fill(a, values) for a in args], parts, fresh,
                       work)
    return cases


def run_fresh(tool, argv, env):
    """A case as a user runs it: a new interpreter or a shell script."""
    cmd = (['bash', SCRIPTS[tool]] if tool in SCRIPTS else
           [sys.executable, PY_TOOLS[tool]]) + argv
    start = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True,
                          timeout=900, cwd=REPO)
    return dict(code=proc.returncode, out=proc.stdout, err=proc.stderr,
                seconds=round(time.time() - start, 2))


def run_forked(cases, out_dir: Path, env):
    """The other cases, forked from one process (bad_input_runner.py)."""
    spec = {c: dict(tool=tool, argv=argv) for c, (tool, argv, *_) in
            cases.items()}
    (out_dir / 'cases.json').write_text(json.dumps(spec))
    proc = subprocess.run([
        sys.executable, str(RUNNER), str(out_dir / 'cases.json'),
        str(out_dir), str(PARALLEL)
    ], env=env, capture_output=True, text=True, timeout=1800, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((out_dir / 'results.json').read_text())
    for case, result in results.items():
        result['out'] = (out_dir / f'{case}.out').read_text()
        result['err'] = (out_dir / f'{case}.err').read_text()
    return results


def problems(result, parts, work: Path, assets) -> list:
    """What a case's process did wrong, as short sentences."""
    found = []
    lines = result['err'].strip().splitlines()
    if result['code'] != 1:
        found.append(f"exit status {result['code']}, not 1")
    if len(lines) != 1 or not lines[0].startswith('error: '):
        found.append(f'stderr is not one "error: " line: '
                     f"{result['err'][-1500:]!r}")
    else:
        found += [f'message lacks {fill(p, assets)!r}: {lines[0]!r}'
                  for p in parts if fill(p, assets) not in lines[0]]
    if '(train)' in result['out']:
        found.append('an iteration was logged')
    written = list(work.glob('**/*.pth')) if work.exists() else []
    if written:
        found.append(f'a checkpoint was written: {written}')
    return found


def test_every_bad_input_fails_with_one_line(assets, tmp_path,
                                             subprocess_env):
    env = env_for(subprocess_env)
    cases = catalogue(assets, tmp_path / 'work')
    forked = {c: v for c, v in cases.items() if not v[3]}
    fresh = {c: v for c, v in cases.items() if v[3]}
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    start = time.time()
    with ThreadPoolExecutor(2) as pool:  # beside the forked cases
        futures = {c: pool.submit(run_fresh, tool, argv, env)
                   for c, (tool, argv, *_) in fresh.items()}
        results = run_forked(forked, out_dir, env)
        results.update({c: f.result() for c, f in futures.items()})
    wall = time.time() - start
    failures = {}
    for case, (_, _, parts, _, work) in cases.items():
        found = problems(results[case], parts, work, assets)
        if found:
            failures[case] = found
    slowest = sorted(results.items(), key=lambda r: -r[1]['seconds'])[:3]
    print(f'\n{len(cases)} bad-input cases ({len(fresh)} as new '
          f'interpreters) in {wall:.0f} s, {PARALLEL} forked at a time; '
          'slowest: ' + ', '.join(f"{c} {r['seconds']:.0f} s"
                                  for c, r in slowest))
    assert not failures, '\n'.join(f'{c}: {"; ".join(p)}'
                                   for c, p in failures.items())


def test_debug_shows_the_traceback(assets, tmp_path, python, subprocess_env):
    """--debug (or MMACCEL_DEBUG=1) turns the one line back into the
    exception with its traceback."""
    config, args, _, _ = CASES['moco-momentum']
    argv = [python, 'tools/train.py', assets[config], *args, '--work-dir',
            str(tmp_path / 'work')]
    env = env_for(subprocess_env)
    for extra, more_env in ((['--debug'], {}), ([], {'MMACCEL_DEBUG': '1'})):
        proc = subprocess.run(argv + extra, env=dict(env, **more_env),
                              capture_output=True, text=True, timeout=900)
        assert proc.returncode == 1
        assert 'Traceback (most recent call last)' in proc.stderr
        assert 'momentum must be in range' in proc.stderr.splitlines()[-1]
        assert 'error: ' not in proc.stderr
