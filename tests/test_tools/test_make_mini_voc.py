"""tools/dataset_converters/make_mini_voc.py: boxes enclose exactly the
pasted Fashion-MNIST objects' non-zero pixels, masks agree with boxes, and
MMDetection's VOCDataset and MMSegmentation's PascalVOCDataset read the
written set unchanged."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from PIL import Image
from voc_utils import TINY_VOC, mini_voc, tight_boxes_on_mask

# tools/dataset_converters/make_mini_voc.py
from mmaccel.apis import mini_voc as make_mini_voc


@pytest.fixture(scope='module')
def devkit(tmp_path_factory):
    return mini_voc(tmp_path_factory)


def test_boxes_are_exactly_the_pasted_pixels_on_a_black_canvas():
    # On a black canvas the only non-zero pixels are the pasted objects'.
    args = make_mini_voc.parse_args([
        '--canvas-size', '64', '48', '--object-size', '6', '40', '--objects',
        '1', '4', '--background-level', '0', '--background-noise', '0',
        '--ignore-border', '2'
    ])
    imgs, labels = make_mini_voc.load_fashion_mnist('data/fashion-mnist',
                                                    'test')
    rng = np.random.default_rng(0)
    seen = []
    for _ in range(60):
        image, seg, objects = make_mini_voc.make_canvas(rng, args, imgs,
                                                        labels)
        assert image.shape == (48, 64, 3) and seg.shape == (48, 64)
        pasted = image.any(axis=2)
        assert (pasted == ((seg > 0) & (seg < 255))).all()
        # The void ring: the background pixels within 2 pixels of an object.
        padded, near = np.pad(pasted, 2), np.zeros_like(pasted)
        for dy in range(5):
            for dx in range(5):
                near |= padded[dy:dy + 48, dx:dx + 64]
        assert ((seg == 255) == (near & ~pasted)).all()
        tight_boxes_on_mask([o['bbox'] for o in objects],
                            [o['label'] + 1 for o in objects], seg)
        seen += [o['label'] for o in objects]
    assert len(seen) > 100 and set(seen) == set(range(10))


def test_mmdetection_reads_boxes_that_fit_the_masks(devkit):
    from mmdet.registry import DATASETS
    init_default_scope('mmdet')
    sizes = {('VOC2007', 'trainval'): 6, ('VOC2007', 'test'): 4,
             ('VOC2012', 'trainval'): 8}
    classes = DATASETS.get('VOCDataset').METAINFO['classes']
    n_objects = 0
    for (year, split), size in sizes.items():
        ds = DATASETS.build(
            dict(type='VOCDataset', data_root=str(devkit),
                 ann_file=f'{year}/ImageSets/Main/{split}.txt',
                 data_prefix=dict(sub_data_root=f'{year}/'), test_mode=True,
                 pipeline=[dict(type='LoadImageFromFile')]))
        assert len(ds) == size and ds.metainfo['dataset_type'] == year
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            img = ds[i]['img']  # the JPEG, decoded by MMCV
            assert img.shape == (64, 64, 3)
            assert (info['height'], info['width']) == (64, 64)
            seg = np.array(Image.open(
                devkit / year / 'SegmentationClass' / f'{info["img_id"]}.png'))
            inst = info['instances']
            assert len(inst) in (1, 2, 3)
            assert all(o['ignore_flag'] == 0 for o in inst)
            # Ten classes: the first ten VOC names; mask value = label + 1.
            assert all(o['bbox_label'] < 10 for o in inst)
            tight_boxes_on_mask([o['bbox'] for o in inst],
                                [o['bbox_label'] + 1 for o in inst], seg)
            n_objects += len(inst)
    assert n_objects >= 18
    assert classes[:10] == make_mini_voc.CLASSES


def test_mmsegmentation_reads_the_voc12_splits(devkit):
    from mmseg.datasets import PascalVOCDataset
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    root = devkit / 'VOC2012'
    sizes = {('train', 'SegmentationClass'): 4,
             ('val', 'SegmentationClass'): 4,
             ('aug', 'SegmentationClassAug'): 6}
    palette = np.array(PascalVOCDataset.METAINFO['palette'], np.uint8)
    for (split, folder), size in sizes.items():
        ds = DATASETS.build(
            dict(type='PascalVOCDataset', data_root=str(root),
                 data_prefix=dict(img_path='JPEGImages', seg_map_path=folder),
                 ann_file=f'ImageSets/Segmentation/{split}.txt',
                 pipeline=[dict(type='LoadImageFromFile'),
                           dict(type='LoadAnnotations')]))
        assert len(ds) == size
        for i in range(len(ds)):
            sample = ds[i]
            gt = sample['gt_seg_map']
            png = Image.open(sample['seg_map_path'])
            assert png.mode == ('P' if folder == 'SegmentationClass' else 'L')
            if png.mode == 'P':  # VOC's palette
                assert (np.array(png.getpalette()[:63], np.uint8).reshape(
                    21, 3) == palette).all()
            assert gt.shape == (64, 64)
            assert (gt == np.array(png)).all()
            assert set(np.unique(gt)) <= set(range(11)) | {255}
            assert (gt > 0).any()
    train = (root / 'ImageSets/Segmentation/train.txt').read_text().split()
    aug = (root / 'ImageSets/Segmentation/aug.txt').read_text().split()
    val = (root / 'ImageSets/Segmentation/val.txt').read_text().split()
    assert set(train) < set(aug) and not set(val) & set(aug)


@pytest.mark.parametrize('argv,message', [
    (['--object-size', '8', '200'], '--object-size MAX 200 exceeds'),
    (['--objects', '0', '2'], '--objects must satisfy'),
    (['--voc07-test', '-1'], '--voc07-test must be >= 0'),
    (['--canvas-size', '1', '2', '3'], '--canvas-size takes one or two'),
])
def test_bad_sizes_name_the_option(argv, message):
    with pytest.raises(SystemExit, match=message):
        make_mini_voc.parse_args(argv)


def test_tiny_voc_options_parse():
    args = make_mini_voc.parse_args(TINY_VOC)
    assert args.canvas_size == [64, 64]
