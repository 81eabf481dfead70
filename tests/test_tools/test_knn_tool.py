"""tools/benchmarks/knn.py on real checkpoints of the tiny MoCo v2 configs:
image folders whose classes the features separate by construction, shuffled
labels, the config's kNN hook data and Fashion-MNIST, and bad settings."""
import json
import random

import pytest
from cls_utils import (ACCEL, UPSTREAM, cached_checkpoint,
                       fashion_mnist_images, write_png)

from mmaccel.apis import knn_benchmark as knn_tool  # tools/benchmarks/knn.py

KNN_CONFIG = ('configs/benchmarks/'
              'mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py')
STAGES = ['stage1', 'stage2', 'stage3', 'stage4']


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    return {
        name: cached_checkpoint(config, tmp_path_factory)
        for name, config in (('accel', ACCEL), ('upstream', UPSTREAM))
    }


@pytest.fixture(scope='module')
def images():
    """One real Fashion-MNIST image per class."""
    return {c: imgs[0] for c, imgs in fashion_mnist_images(1).items()}


def copies_folder(root, images, shuffle_bank=False):
    """Every class is 6 copies (bank) and 2 copies (queries) of one image,
    saved gray or RGB, at 28 or 44 px: the features of a class are (up to
    resizing) equal, and differ between classes. With ``shuffle_bank`` the
    bank's copies are put in random class folders."""
    rng = random.Random(0)
    bank = [(c, i) for c in images for i in range(6)]
    folders = [c for c, _ in bank]
    if shuffle_bank:
        rng.shuffle(folders)
    for (c, i), folder in zip(bank, folders):
        write_png(root / 'train' / f'class{folder}' / f'{c}_{i}.png',
                  images[c], rgb=i % 2 == 1, size=44 if i % 3 == 2 else None)
    for c in images:
        for i in range(2):
            write_png(root / 'val' / f'class{c}' / f'{i}.png', images[c],
                      rgb=i == 1)
    return root


def run(config, checkpoint, work_dir, *extra):
    result = knn_tool.main(
        [config, checkpoint, '--work-dir', str(work_dir), '--num-workers',
         '0', *extra])
    saved = list(work_dir.glob('knn_*.json'))
    assert len(saved) == 1
    assert json.loads(saved[0].read_text()) == result
    return result


def test_separable_features_and_shuffled_labels(checkpoints, images,
                                                tmp_path, capsys):
    data = copies_folder(tmp_path / 'data', images)
    result = run(UPSTREAM, checkpoints['upstream'], tmp_path / 'a',
                 '--data-root', str(data), '--k', '5', '20', '--exits',
                 'stem', '4')
    assert (result['bank_images'], result['queries']) == (60, 20)
    assert result['num_classes'] == 10
    assert list(result['top1']) == ['stem', 'stage4']
    for accs in result['top1'].values():
        assert list(accs) == ['k5', 'k20']
        # the 5 nearest are copies of the query's image: all of its class
        assert accs['k5'] >= 95
    table = capsys.readouterr().out
    assert 'stage4' in table and 'k=20' in table

    shuffled = copies_folder(tmp_path / 'shuffled', images, shuffle_bank=True)
    result = run(UPSTREAM, checkpoints['upstream'], tmp_path / 'b',
                 '--data-root', str(shuffled), '--k', '5', '--exits', '4')
    with pytest.raises(SystemExit):
        knn_tool.main([UPSTREAM, checkpoints['upstream'], '--data-root',
                       str(shuffled), '--k', '5', '61'])
    assert '--k must be in 1..60 (the bank size); got 5 61' in \
        capsys.readouterr().err
    # the neighbours are the same copies, now with random labels: chance
    # (10 %, at most 6 of 20 queries right by luck with this seed)
    assert result['top1']['stage4']['k5'] <= 30


def test_linear_probe_per_map(checkpoints, images, tmp_path, capsys):
    """--linear fits a linear probe on each map's features: separable
    classes are learnt, shuffled bank labels leave it at chance."""
    data = copies_folder(tmp_path / 'data', images)
    result = run(UPSTREAM, checkpoints['upstream'], tmp_path / 'a',
                 '--data-root', str(data), '--k', '5', '--exits', '2', '4',
                 '--linear')
    assert list(result['linear_top1']) == ['stage2', 'stage4']
    assert all(acc >= 95 for acc in result['linear_top1'].values())
    assert 'linear' in capsys.readouterr().out
    shuffled = copies_folder(tmp_path / 'shuffled', images, shuffle_bank=True)
    result = run(UPSTREAM, checkpoints['upstream'], tmp_path / 'b',
                 '--data-root', str(shuffled), '--k', '5', '--exits', '4',
                 '--linear')
    assert result['linear_top1']['stage4'] <= 30
    without = run(UPSTREAM, checkpoints['upstream'], tmp_path / 'c',
                  '--data-root', str(data), '--k', '5', '--exits', '4')
    assert without['linear_top1'] is None


def test_config_knn_hook_data_every_stage_and_precise_bn(checkpoints,
                                                         tmp_path):
    result = run(KNN_CONFIG, checkpoints['accel'], tmp_path, '--bank-size',
                 '200', '--query-size', '100', '--k', '10', '--precise-bn',
                 '100')
    assert result['data'] == "the config's KNNEvalHook loaders"
    assert (result['bank_images'], result['queries']) == (200, 100)
    assert result['precise_bn_images'] == 100
    assert list(result['top1']) == STAGES
    for accs in result['top1'].values():
        # 100 queries: a whole number of percent, and better than chance
        assert accs['k10'] == pytest.approx(round(accs['k10']))
        assert 20 < accs['k10'] <= 100


def test_accelerated_pretraining_config_on_fashion_mnist(checkpoints,
                                                         tmp_path):
    result = run(ACCEL, checkpoints['accel'], tmp_path, '--bank-size', '100',
                 '--query-size', '50', '--k', '10', '--size', '40')
    assert result['data'].startswith('Fashion-MNIST data/fashion-mnist')
    assert '40 px' in result['data']
    assert list(result['top1']) == STAGES


@pytest.mark.parametrize('extra,message', [
    (['--exits', '5'], "--exits must be 'stem' or stage numbers 1..4; got 5"),
    (['--cfg-options', 'model.backbone.type=ResNet_CIFAR'],
     "needs a ResNet backbone"),
])
def test_bad_settings_give_one_line(checkpoints, tmp_path, capsys, extra,
                                    message):
    with pytest.raises(SystemExit) as exit_info:
        knn_tool.main([KNN_CONFIG, checkpoints['accel'], '--bank-size',
                       '200', '--work-dir', str(tmp_path), *extra])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and message in err


def test_config_without_knn_data_asks_for_a_data_root(checkpoints, tmp_path,
                                                      capsys):
    # an ImageNet pre-training config with a matching (random) ResNet-18
    config = tmp_path / 'in1k.py'
    config.write_text(
        "_base_ = 'mmpretrain::mocov2/"
        "mocov2_resnet50_8xb32-coslr-200e_in1k.py'\n"
        "model = dict(backbone=dict(depth=18, in_channels=1, "
        "stem_channels=16, base_channels=16))\n")
    with pytest.raises(SystemExit):
        knn_tool.main([str(config), checkpoints['accel'], '--work-dir',
                       str(tmp_path)])
    err = capsys.readouterr().err
    assert err.count('\n') == 1
    assert 'no kNN data' in err and '--data-root DIR' in err
