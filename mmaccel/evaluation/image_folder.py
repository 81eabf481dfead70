"""Evaluate on a user's image folder: ``--data-root DIR`` of the tools.

``DIR/train/<class>/*.png`` and ``DIR/val/<class>/*.png``, MMPretrain's
``CustomDataset`` layout; images grayscale or RGB, of any size. The image
is loaded with as many channels as the backbone takes (grayscale for one,
colour for three) and the config's own pipeline resizes it.
"""
import os
import os.path as osp
from typing import List

from mmaccel.utils.errors import DataError

__all__ = ['ImageFolderError', 'image_folder_classes', 'image_folder_dataset']

# CustomDataset's default extensions.
IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')


class ImageFolderError(DataError):
    """The folder is not in the expected layout (one-line message)."""


def _images(folder: str) -> List[str]:
    return sorted(
        osp.join(root, f) for root, _, files in os.walk(folder)
        for f in files if f.lower().endswith(IMG_EXTENSIONS))


def _check_readable(path: str, data_root: str) -> None:
    """Open one image as the loader will (Pillow), so that a folder of
    files that only look like images stops here, not mid-evaluation."""
    from PIL import Image
    try:
        with Image.open(path) as image:
            image.load()
    except Exception as e:  # noqa: BLE001 - Pillow raises many types
        raise ImageFolderError(
            f'--data-root {data_root}: {path} is not an image Pillow can '
            f'read ({type(e).__name__}: {str(e).strip()[:120]})') from None


def image_folder_classes(data_root: str) -> List[str]:
    """Class names: the sub-folders of ``DIR/train``, sorted.

    ``CustomDataset`` numbers the sub-folders of each split in sorted order,
    so ``val`` must have the same sub-folders for its labels to agree.

    Raises:
        ImageFolderError: ``train`` or ``val`` is missing, has no images, or
            their sub-folders differ.
    """
    layout = 'expected DIR/train/<class>/<image> and DIR/val/<class>/<image>'
    found = {}
    for split in ('train', 'val'):
        root = osp.join(data_root, split)
        if not osp.isdir(root):
            raise ImageFolderError(
                f'--data-root {data_root}: {root} is missing ({layout})')
        found[split] = sorted(d for d in os.listdir(root)
                              if osp.isdir(osp.join(root, d)))
        images = _images(root)
        if not images or not found[split]:
            raise ImageFolderError(
                f'--data-root {data_root}: no images in class folders of '
                f'{root} ({layout}; extensions {", ".join(IMG_EXTENSIONS)})')
        _check_readable(images[0], data_root)
    if found['train'] != found['val']:
        differ = sorted(set(found['train']) ^ set(found['val']))
        raise ImageFolderError(
            f'--data-root {data_root}: train and val must have the same '
            f'class folders; only in one of them: {", ".join(differ[:5])}')
    return found['train']


def image_folder_dataset(dataset: dict, data_root: str, split: str,
                         classes: List[str], in_channels: int) -> dict:
    """A ``CustomDataset`` config over ``DIR/split`` with ``dataset``'s
    pipeline, loading first.

    Args:
        dataset (dict): The config's dataset; its pipeline is kept, less any
            ``LoadImageFromFile`` (Fashion-MNIST's pipelines have none).
        data_root (str): ``DIR``.
        split (str): ``'train'`` or ``'val'``.
        classes (list[str]): Class names, in label order (those of train,
            so that val's labels agree).
        in_channels (int): Channels of the backbone's input, 1 or 3.
    """
    if in_channels not in (1, 3):
        raise ImageFolderError(
            f'--data-root needs a backbone with 1 or 3 input channels; got '
            f'in_channels={in_channels!r}')
    pipeline = [t for t in dataset.get('pipeline', [])
                if t.get('type') != 'LoadImageFromFile']
    load = dict(
        type='LoadImageFromFile',
        color_type='grayscale' if in_channels == 1 else 'color')
    return dict(
        type='CustomDataset',
        data_root=data_root,
        data_prefix=split,
        with_label=True,
        metainfo=dict(classes=tuple(classes)),
        pipeline=[load, *pipeline])
