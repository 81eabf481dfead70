"""Shared by the classification transfer tests: real training checkpoints of
the tiny configs, and image folders of real
Fashion-MNIST images."""
from pathlib import Path

import numpy as np
from mmengine.registry import DefaultScope
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
ACCEL = ('configs/accel_mocov2/'
         'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
UPSTREAM = 'configs/mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'
LINEAR = ('configs/benchmarks/classification/fmnist/'
          'resnet18-tiny_1xb256-linear-steplr-6e_fmnist.py')
MULTI_STAGE = ('configs/benchmarks/classification/fmnist/'
               'resnet18-tiny_1xb256-multi-stage-linear-steplr-6e_fmnist.py')
# The tiny ResNet-18 of those configs, as MMPretrain's ResNet.
TINY_RESNET = dict(
    type='ResNet', depth=18, in_channels=1, stem_channels=16,
    base_channels=16)


_CHECKPOINTS = {}


def cached_checkpoint(config: str, tmp_path_factory) -> str:
    """:func:`train_checkpoint`, once per config and test session."""
    if config not in _CHECKPOINTS:
        _CHECKPOINTS[config] = train_checkpoint(
            config, tmp_path_factory.mktemp('pretrain'))
    return _CHECKPOINTS[config]


def train_checkpoint(config: str, work_dir) -> str:
    """Two real training iterations of a tiny pre-training config (16
    images, batch 8); returns the checkpoint MMEngine wrote."""
    from mmengine.runner import Runner

    from mmaccel.utils import load_config
    cfg = load_config(config)
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.merge(
        dict(batch_size=8, num_workers=0, persistent_workers=False))
    cfg.train_dataloader.dataset.indices = 16
    cfg.model.queue_len = 32
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = []
    cfg.randomness = dict(seed=0)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    saved = DefaultScope._instance_dict.copy()
    try:
        Runner.from_cfg(cfg).train()
    finally:
        DefaultScope._instance_dict = saved
    return str(Path(work_dir) / 'epoch_1.pth')


def fashion_mnist_images(per_class: int, classes=range(10), split='train'):
    """``{label: [28 x 28 uint8 arrays]}``: the first real images of each
    class."""
    from mmaccel.datasets import LocalFashionMNIST
    ds = LocalFashionMNIST(split=split, pipeline=[])
    found = {c: [] for c in classes}
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        label = int(info['gt_label'])
        if label in found and len(found[label]) < per_class:
            found[label].append(np.asarray(info['img']))
        if all(len(v) == per_class for v in found.values()):
            return found
    raise AssertionError('not enough images')


def write_png(path: Path, img: np.ndarray, rgb: bool = False,
              size: int = None) -> None:
    """Save a grayscale array as a PNG, optionally as RGB and resized."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(img)
    if size is not None:
        image = image.resize((size, size), Image.BILINEAR)
    (image.convert('RGB') if rgb else image).save(path)
