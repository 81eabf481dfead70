"""Make a small PASCAL VOC set from real Fashion-MNIST images.

The command line of ``tools/dataset_converters/make_mini_voc.py``
(:func:`main`), importable; the tool's docstring describes it.
"""
import argparse
import os
import os.path as osp
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')
CLASSES = VOC_CLASSES[:10]  # Fashion-MNIST label k -> VOC class k
IGNORE = 255


def voc_palette() -> list:
    """The 256-colour VOC palette (label 255 is (224, 224, 192)), flat."""
    palette = []
    for label in range(256):
        r = g = b = 0
        c = label
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette += [r, g, b]
    return palette


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out-dir', default='data/mini-voc',
                   help='VOCdevkit/ is written in it (default: data/mini-voc)')
    p.add_argument('--fmnist-root', default='data/fashion-mnist',
                   help='folder with the Fashion-MNIST IDX files')
    p.add_argument('--voc07-trainval', type=int, default=500)
    p.add_argument('--voc07-test', type=int, default=250)
    p.add_argument('--voc12-train', type=int, default=500,
                   help='VOC2012 segmentation train images (also in Main '
                   'trainval and aug)')
    p.add_argument('--voc12-val', type=int, default=250,
                   help='VOC2012 segmentation val images (also in Main '
                   'trainval)')
    p.add_argument('--voc12-aug-extra', type=int, default=250,
                   help='VOC2012 images in aug.txt only (SegmentationClassAug '
                   'only, like the SBD images)')
    p.add_argument('--canvas-size', type=int, nargs='+', default=[128],
                   metavar='PX', help='canvas side, or width and height')
    p.add_argument('--object-size', type=int, nargs=2, default=[24, 64],
                   metavar=('MIN', 'MAX'),
                   help='side of a pasted (square) Fashion-MNIST image')
    p.add_argument('--objects', type=int, nargs=2, default=[1, 3],
                   metavar=('MIN', 'MAX'), help='objects per canvas')
    p.add_argument('--background-level', type=float, default=60,
                   help='canvas grey level drawn from [0, LEVEL] per canvas')
    p.add_argument('--background-noise', type=float, default=8,
                   help='standard deviation of the per-pixel background '
                   'noise (0 and --background-level 0: a black canvas)')
    p.add_argument('--gap', type=int, default=2,
                   help='least distance in pixels between paste rectangles')
    p.add_argument('--ignore-border', type=int, default=0,
                   help='width of the 255 ring around objects in the masks')
    p.add_argument('--jpeg-quality', type=int, default=95)
    p.add_argument('--seed', type=int, default=0)
    args = p.parse_args(argv)
    check_args(args)
    return args


def check_args(args):
    """Reject sizes that cannot make a set, naming the option."""
    def fail(msg):
        raise SystemExit(f'make_mini_voc: {msg}')

    for name in ('voc07_trainval', 'voc07_test', 'voc12_train', 'voc12_val',
                 'voc12_aug_extra', 'gap', 'ignore_border',
                 'background_level', 'background_noise'):
        if getattr(args, name) < 0:
            fail(f'--{name.replace("_", "-")} must be >= 0, '
                 f'got {getattr(args, name)}')
    if len(args.canvas_size) == 1:
        args.canvas_size = args.canvas_size * 2
    if len(args.canvas_size) != 2:
        fail(f'--canvas-size takes one or two values, got {args.canvas_size}')
    lo, hi = args.object_size
    if not 4 <= lo <= hi:
        fail(f'--object-size must satisfy 4 <= MIN <= MAX, got {lo} {hi}')
    if hi > min(args.canvas_size):
        fail(f'--object-size MAX {hi} exceeds the canvas side '
             f'{min(args.canvas_size)} (--canvas-size)')
    if not 1 <= args.objects[0] <= args.objects[1]:
        fail(f'--objects must satisfy 1 <= MIN <= MAX, got {args.objects}')
    if not 1 <= args.jpeg_quality <= 100:
        fail(f'--jpeg-quality must be in 1..100, got {args.jpeg_quality}')


def load_fashion_mnist(root: str, split: str):
    """Images (N x 28 x 28 uint8) and labels of one split, via mmaccel."""
    from mmaccel.datasets import LocalFashionMNIST
    ds = LocalFashionMNIST(data_root=root, split=split, serialize_data=False)
    imgs = np.stack([info['img'] for info in ds.data_list]).astype(np.uint8)
    labels = np.array([int(info['gt_label']) for info in ds.data_list])
    return imgs, labels


def place(rng, canvas_wh, sizes, gap, tries=100):
    """Top-left corners for squares of ``sizes`` that keep ``gap`` apart;
    squares that find no place in ``tries`` draws are dropped."""
    w, h = canvas_wh
    placed = []
    for s in sizes:
        for _ in range(tries):
            x = int(rng.integers(0, w - s + 1))
            y = int(rng.integers(0, h - s + 1))
            if all(x + s + gap <= px or px + ps + gap <= x or
                   y + s + gap <= py or py + ps + gap <= y
                   for px, py, ps in placed):
                placed.append((x, y, s))
                break
    return placed


def make_canvas(rng, args, imgs, labels):
    """One canvas: the RGB image, the label map and the objects.

    Returns:
        tuple: ``image`` (H x W x 3 uint8), ``seg`` (H x W uint8: 0
        background, ``label + 1`` objects, 255 void ring) and ``objects``, a
        list of dicts with ``label`` and ``bbox`` (0-based inclusive
        ``x0, y0, x1, y1`` of the object's pixels).
    """
    w, h = args.canvas_size
    base = rng.uniform(0, args.background_level)
    noise = rng.normal(0, 1, (h, w, 3)) * args.background_noise
    image = np.clip(base + noise, 0, 255)
    seg = np.zeros((h, w), np.uint8)
    n = int(rng.integers(args.objects[0], args.objects[1] + 1))
    sizes = rng.integers(args.object_size[0], args.object_size[1] + 1, n)
    objects = []
    for x, y, s in place(rng, (w, h), sizes, args.gap):
        idx = int(rng.integers(len(imgs)))
        patch = np.asarray(Image.fromarray(imgs[idx]).resize(
            (s, s), Image.BILINEAR))
        mask = patch > 0
        if not mask.any():
            continue
        region = image[y:y + s, x:x + s]
        region[mask] = patch[mask, None]
        rows, cols = np.nonzero(mask)
        objects.append(dict(
            label=int(labels[idx]),
            bbox=(x + int(cols.min()), y + int(rows.min()),
                  x + int(cols.max()), y + int(rows.max())),
            mask=(x, y, mask)))
    for obj in objects:  # void rings first, objects on top
        if args.ignore_border:
            x, y, mask = obj['mask']
            ring = dilate(mask, args.ignore_border, x, y, (h, w))
            seg[ring & (seg == 0)] = IGNORE
    for obj in objects:
        x, y, mask = obj.pop('mask')
        s = mask.shape[0]
        seg[y:y + s, x:x + s][mask] = obj['label'] + 1
    return image.round().astype(np.uint8), seg, objects


def dilate(mask, width, x, y, shape):
    """``mask`` (placed at ``x, y`` on a canvas of ``shape``) grown by
    ``width`` pixels in every direction (square structuring element)."""
    h, w = shape
    s = mask.shape[0]
    padded = np.zeros((h + 2 * width, w + 2 * width), bool)
    padded[y + width:y + width + s, x + width:x + width + s] = mask
    grown = np.zeros(shape, bool)
    for dy in range(2 * width + 1):
        for dx in range(2 * width + 1):
            grown |= padded[dy:dy + h, dx:dx + w]
    return grown


def annotation_xml(folder, name, wh, objects) -> ET.ElementTree:
    """A VOC annotation: 1-based inclusive ``bndbox`` corners."""
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = folder
    ET.SubElement(root, 'filename').text = f'{name}.jpg'
    ET.SubElement(ET.SubElement(root, 'source'), 'database').text = \
        'mmaccel mini VOC (Fashion-MNIST)'
    size = ET.SubElement(root, 'size')
    for key, value in zip(('width', 'height', 'depth'), (*wh, 3)):
        ET.SubElement(size, key).text = str(value)
    ET.SubElement(root, 'segmented').text = '1'
    for obj in objects:
        node = ET.SubElement(root, 'object')
        ET.SubElement(node, 'name').text = CLASSES[obj['label']]
        ET.SubElement(node, 'pose').text = 'Unspecified'
        ET.SubElement(node, 'truncated').text = '0'
        ET.SubElement(node, 'difficult').text = '0'
        box = ET.SubElement(node, 'bndbox')
        for key, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), obj['bbox']):
            ET.SubElement(box, key).text = str(value + 1)
    ET.indent(root)
    return ET.ElementTree(root)


def write_image_set(root, names, args, source, rng, seg_dirs):
    """Write ``names``' canvases: JPEG, XML and the masks in ``seg_dirs``."""
    imgs, labels = source
    palette = voc_palette()
    for name in names:
        image, seg, objects = make_canvas(rng, args, imgs, labels)
        Image.fromarray(image).save(
            osp.join(root, 'JPEGImages', f'{name}.jpg'),
            quality=args.jpeg_quality)
        annotation_xml(osp.basename(root), name, args.canvas_size,
                       objects).write(
                           osp.join(root, 'Annotations', f'{name}.xml'))
        for seg_dir in seg_dirs:
            png = Image.fromarray(seg, mode='L')
            if seg_dir == 'SegmentationClass':  # palette PNG, as VOC's
                png = png.convert('P')
                png.putpalette(palette)
            png.save(osp.join(root, seg_dir, f'{name}.png'))


def write_list(root, sub, name, ids):
    path = osp.join(root, 'ImageSets', sub, f'{name}.txt')
    with open(path, 'w') as f:
        f.writelines(f'{i}\n' for i in ids)


def make_mini_voc(args):
    """Write the set; returns ``OUT_DIR/VOCdevkit``."""
    train = load_fashion_mnist(args.fmnist_root, 'train')
    test_imgs, test_labels = load_fashion_mnist(args.fmnist_root, 'test')
    # Disjoint halves of the test images: VOC2007 test never shares a
    # source image with VOC2012 (trained on in the VOC07+12 setting).
    half = len(test_imgs) // 2
    test07 = test_imgs[:half], test_labels[:half]
    test12 = test_imgs[half:], test_labels[half:]
    devkit = osp.join(args.out_dir, 'VOCdevkit')
    rng = np.random.default_rng(args.seed)

    voc07 = osp.join(devkit, 'VOC2007')
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main',
                'SegmentationClass'):
        os.makedirs(osp.join(voc07, sub), exist_ok=True)
    n_tv, n_te = args.voc07_trainval, args.voc07_test
    trainval = [f'{i:06d}' for i in range(1, n_tv + 1)]
    test_ids = [f'{i:06d}' for i in range(n_tv + 1, n_tv + n_te + 1)]
    write_image_set(voc07, trainval, args, train, rng, ['SegmentationClass'])
    write_image_set(voc07, test_ids, args, test07, rng, ['SegmentationClass'])
    write_list(voc07, 'Main', 'trainval', trainval)
    write_list(voc07, 'Main', 'test', test_ids)

    voc12 = osp.join(devkit, 'VOC2012')
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main',
                'ImageSets/Segmentation', 'SegmentationClass',
                'SegmentationClassAug'):
        os.makedirs(osp.join(voc12, sub), exist_ok=True)
    counts = (args.voc12_train, args.voc12_val, args.voc12_aug_extra)
    ids = [f'2012_{i:06d}' for i in range(1, sum(counts) + 1)]
    seg_train = ids[:counts[0]]
    seg_val = ids[counts[0]:counts[0] + counts[1]]
    aug_extra = ids[counts[0] + counts[1]:]
    both = ['SegmentationClass', 'SegmentationClassAug']
    write_image_set(voc12, seg_train, args, train, rng, both)
    write_image_set(voc12, seg_val, args, test12, rng, ['SegmentationClass'])
    write_image_set(voc12, aug_extra, args, train, rng,
                    ['SegmentationClassAug'])
    write_list(voc12, 'Main', 'trainval', seg_train + seg_val)
    write_list(voc12, 'Segmentation', 'train', seg_train)
    write_list(voc12, 'Segmentation', 'val', seg_val)
    write_list(voc12, 'Segmentation', 'aug', seg_train + aug_extra)
    return devkit


def main(argv=None):
    args = parse_args(argv)
    devkit = make_mini_voc(args)
    print(f'mini VOC written to {devkit}: VOC2007 {args.voc07_trainval} '
          f'trainval + {args.voc07_test} test, VOC2012 {args.voc12_train} '
          f'train + {args.voc12_val} val + {args.voc12_aug_extra} aug-only, '
          f'{args.canvas_size[0]}x{args.canvas_size[1]} px')
