"""The transfer evaluation of issue 20: scikit-learn's digits written as an
image folder (tools/dataset_converters/prepare_digits.py), and a knn.py
result added to a quality record (tools/analysis/quality_record.py
--transfer)."""
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def tool(script, *args):
    return subprocess.run(
        [sys.executable, str(REPO / script), *map(str, args)],
        capture_output=True, text=True, timeout=300)


def test_digits_folder(tmp_path):
    from sklearn.datasets import load_digits
    digits = load_digits()
    out = tmp_path / 'digits'
    proc = tool('tools/dataset_converters/prepare_digits.py', '--out-dir', out)
    assert proc.returncode == 0, proc.stderr
    assert '899 train and 898 val images' in proc.stdout
    for split, parity in (('train', 0), ('val', 1)):
        files = sorted(out.glob(f'{split}/*/*.png'))
        assert len(files) == (899 if split == 'train' else 898)
        assert sorted({f.parent.name for f in files}) == list('0123456789')
        for f in files[::97]:
            i = int(f.stem)
            assert i % 2 == parity and int(f.parent.name) == digits.target[i]
            image = Image.open(f)
            assert (image.mode, image.size) == ('L', (8, 8))
            # 0..16 scaled to 0..255, rounded
            assert np.array_equal(
                np.asarray(image),
                np.rint(digits.images[i] * 255 / 16).astype(np.uint8))
    assert not list(tmp_path.glob('.digits-*'))  # no temporary left
    # a second call keeps the folder as it is
    stamp = {f: f.stat().st_mtime_ns for f in out.rglob('*.png')}
    proc = tool('tools/dataset_converters/prepare_digits.py', '--out-dir', out)
    assert proc.returncode == 0 and '899 train and 898 val' in proc.stdout
    assert {f: f.stat().st_mtime_ns for f in out.rglob('*.png')} == stamp


def test_a_folder_another_writer_finished_first_is_kept(
        tmp_path, monkeypatch):
    # two transfers side by side both start writing; the other one renames
    # its folder into place first (this failed with "Directory not empty")
    write_digits = runpy.run_path(
        str(REPO / 'tools/dataset_converters/prepare_digits.py'))[
            'write_digits']
    out = tmp_path / 'digits'
    rename = os.rename

    def other_writer_first(src, dst):
        monkeypatch.setattr(os, 'rename', rename)
        assert write_digits(str(out)) == dict(train=899, val=898)
        (out / 'train' / 'mark').write_text('the other writer')
        return rename(src, dst)

    monkeypatch.setattr(os, 'rename', other_writer_first)
    assert write_digits(str(out)) == dict(train=899, val=898)
    assert (out / 'train' / 'mark').read_text() == 'the other writer'
    assert not list(tmp_path.glob('.digits-*'))  # no temporary left


def test_transfer_added_to_its_record(tmp_path):
    runs = [dict(method='mocov2', setting=s, seed=0, knn_final=70.0 + i)
            for i, s in enumerate(('baseline', 'accel'))]
    out = tmp_path / 'quality.json'
    out.write_text(json.dumps(dict(runs=runs)))
    knn = dict(config='c.py', checkpoint='w/epoch_8.pth', data='digits',
               bank_images=899, queries=898, num_classes=10,
               temperature=0.07, precise_bn_images=899, seconds=3.0,
               top1=dict(stage4=dict(k20=90.0, k200=80.0)),
               linear_top1=dict(stage4=93.5))
    (tmp_path / 'knn.json').write_text(json.dumps(knn))
    proc = tool('tools/analysis/quality_record.py', '--transfer',
                tmp_path / 'knn.json', '--method', 'mocov2', '--setting',
                'accel', '--seed', 0, '--out', out)
    assert proc.returncode == 0, proc.stderr
    assert 'linear stage4 93.50' in proc.stdout
    got = json.loads(out.read_text())['runs']
    assert [r['setting'] for r in got] == ['accel', 'baseline']
    assert 'transfer' not in got[1] and got[0]['knn_final'] == 71.0
    assert got[0]['transfer']['digits'] == dict(
        data='digits', bank_images=899, queries=898, precise_bn_images=899,
        temperature=0.07, top1=knn['top1'], linear_top1=knn['linear_top1'],
        checkpoint='w/epoch_8.pth')
    proc = tool('tools/analysis/quality_record.py', '--transfer',
                tmp_path / 'knn.json', '--method', 'mocov2', '--setting',
                'other', '--seed', 0, '--out', out)
    assert proc.returncode != 0
    assert "no record ('mocov2', 'other', 0)" in proc.stderr
