"""Write scikit-learn's handwritten digits as an image folder for transfer.

    python tools/dataset_converters/prepare_digits.py [--out-dir data/digits]

A data set the Fashion-MNIST models never saw, for judging how their
features transfer (issue 20): the 1,797 8 x 8 digit images that
scikit-learn bundles (``sklearn.datasets.load_digits``, UCI's optical
recognition of handwritten digits; read from the installed package, nothing
is downloaded). Pixel values 0..16 are scaled to 0..255 and written as
8-bit grayscale PNGs in the layout that ``tools/benchmarks/knn.py
--data-root`` reads::

    OUT_DIR/train/<digit>/00000.png   images with an even index (899)
    OUT_DIR/val/<digit>/00001.png     images with an odd index (898)

The readers resize them (``knn.py --size``, default the pre-training view
side). The folder is written under a temporary name and renamed: a
finished folder is never half-written, and an existing one is kept, also one
that another process finished while this one wrote.
"""
import argparse
import os
import os.path as osp
import shutil
import tempfile

import numpy as np
from PIL import Image


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="scikit-learn's digits as an image folder")
    parser.add_argument('--out-dir', default='data/digits')
    return parser.parse_args(argv)


def write_digits(out_dir: str) -> dict:
    """Write the folder (unless it exists); returns the images per split."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit('error: scikit-learn is not installed: run '
                         'bash tools/setup_env.sh --tier full') from None
    digits = load_digits()
    images = np.clip(np.rint(digits.images * 255. / 16.), 0, 255)
    counts = dict(train=0, val=0)
    if osp.isdir(out_dir):
        for split in counts:
            for _, _, files in os.walk(osp.join(out_dir, split)):
                counts[split] += len(files)
        return counts
    parent = osp.dirname(osp.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.digits-', dir=parent)
    try:
        for i, (image, label) in enumerate(zip(images, digits.target)):
            split = 'train' if i % 2 == 0 else 'val'
            folder = osp.join(tmp, split, str(int(label)))
            os.makedirs(folder, exist_ok=True)
            Image.fromarray(image.astype(np.uint8), mode='L').save(
                osp.join(folder, f'{i:05d}.png'))
            counts[split] += 1
        try:
            os.rename(tmp, out_dir)
        except OSError:
            if not osp.isdir(out_dir):
                raise
            # another writer (a transfer side by side) finished first: its
            # folder is the same, keep it
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts


def main(argv=None):
    args = parse_args(argv)
    counts = write_digits(args.out_dir)
    print(f"{args.out_dir}: {counts['train']} train and {counts['val']} val "
          'images of 10 digits')


if __name__ == '__main__':
    main()
