"""Shared by the detection and segmentation transfer tests: a tiny mini VOC
set made by the real tool from real Fashion-MNIST images, an exported
full-width ResNet backbone, runs of the launchers, and their results."""
import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import torch

# the cores of tools/dataset_converters/make_mini_voc.py and
# tools/model_converters/extract_backbone.py
from mmaccel.apis import extract_backbone
from mmaccel.apis import mini_voc as mini_voc_tool

REPO = Path(__file__).resolve().parents[1]
# 64 px canvases, 1-3 objects of 12-40 px; a few images per list.
TINY_VOC = [
    '--voc07-trainval', '6', '--voc07-test', '4', '--voc12-train', '4',
    '--voc12-val', '4', '--voc12-aug-extra', '2', '--canvas-size', '64',
    '--object-size', '12', '40', '--objects', '1', '3', '--seed', '0'
]
_CACHE = {}


def mini_voc(tmp_path_factory) -> Path:
    """``VOCdevkit`` of a tiny mini VOC set, made once per test session."""
    if 'voc' not in _CACHE:
        out = tmp_path_factory.mktemp('mini_voc')
        mini_voc_tool.main(['--out-dir', str(out), *TINY_VOC])
        _CACHE['voc'] = out / 'VOCdevkit'
    return _CACHE['voc']


def exported_backbone(tmp_path_factory, depth: int = 18) -> Path:
    """A pre-training checkpoint of a full-width ResNet on one-channel
    images, exported by ``extract_backbone.py --in-channels 3``, once per
    session and depth.

    The checkpoint holds what a MoCo checkpoint holds besides the query
    backbone (momentum encoder, exit heads, queue); its batch-norm weights
    and statistics are random, so that loading them is visible.
    """
    if depth not in _CACHE:
        from mmpretrain.models import ResNet
        torch.manual_seed(depth)
        net = ResNet(depth=depth, in_channels=1)
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.normal_(0, 0.1)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.num_batches_tracked.fill_(7)
        state = {f'backbone.{k}': v for k, v in net.state_dict().items()}
        state.update({f'encoder_k.module.0.{k}': v.clone()
                      for k, v in net.state_dict().items()})
        state['neck.heads.exit4.mlp.0.weight'] = torch.randn(8, 512)
        state['queue'] = torch.randn(8, 16)
        folder = tmp_path_factory.mktemp(f'backbone_r{depth}')
        raw, out = folder / 'pretrain.pth', folder / f'r{depth}.pth'
        torch.save(dict(state_dict=state, meta=dict(iter=1)), raw)
        extract_backbone.extract(
            str(raw), str(out), 3)
        _CACHE[depth] = out
    return _CACHE[depth]


def launch(task: str, config: str, backbone, work_dir, extra, env,
           gpus: int = 1) -> subprocess.Popen:
    """Start ``tools/benchmarks/<task>/train.sh`` (returns at once)."""
    cmd = ['bash', f'tools/benchmarks/{task}/train.sh', config,
           str(backbone), str(gpus), '--work-dir', str(work_dir),
           '--cfg-options', *extra]
    return subprocess.Popen(cmd, env=env, cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def finish(proc: subprocess.Popen, timeout: int = 1200) -> str:
    """Wait for a launched run (generous: a starved CPU runs it for minutes
    that take seconds on an idle one); return its output."""
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # torchrun's workers too
        proc.communicate()
        raise
    assert proc.returncode == 0, out[-4000:]
    return out


def val_metrics(work_dir) -> dict:
    """The last validation record of the run's scalars.json."""
    records = []
    for path in sorted(Path(work_dir).glob('*/vis_data/scalars.json')):
        records += [json.loads(line) for line in path.read_text().split('\n')
                    if line.strip()]
    vals = [r for r in records if 'loss' not in r and 'lr' not in r]
    assert vals, f'no validation record in {work_dir}'
    return vals[-1]


def last_state(work_dir) -> dict:
    """The model state of the run's last checkpoint."""
    path = (Path(work_dir) / 'last_checkpoint').read_text().strip()
    return torch.load(path, map_location='cpu', weights_only=False)[
        'state_dict']


def compare(saved: dict, exported: dict, mapping: dict) -> tuple:
    """(unchanged, changed) names of the exported tensors, compared with
    their trained copies; ``mapping`` maps an exported key to its key in the
    trained model (``None``: not in the model)."""
    same, changed = [], []
    for key, value in exported.items():
        trained_key = mapping(key)
        if trained_key is None:
            continue
        trained = saved[trained_key]
        (same if torch.equal(trained, value) else changed).append(key)
    return same, changed


def load_report(module) -> tuple:
    """Run ``module.init_weights()`` (its ``Pretrained`` init) and return the
    (missing, unexpected, other) lines of MMEngine's load report as sets of
    keys and a list of other problems (size mismatches)."""
    import logging

    from mmengine.logging import MMLogger
    records = []

    class Catch(logging.Handler):

        def emit(self, record):
            records.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Catch()
    logger.addHandler(handler)
    try:
        module.init_weights()
    finally:
        logger.removeHandler(handler)
    loaded = [r for r in records if 'load checkpoint from' in r.lower()
              or 'load model from' in r.lower()]
    assert loaded, f'no Pretrained load happened: {records}'
    missing, unexpected, other = set(), set(), []
    for line in '\n'.join(records).splitlines():
        for head, into in (('missing keys in source state_dict: ', missing),
                           ('unexpected key in source state_dict: ',
                            unexpected)):
            if line.startswith(head):
                into.update(k.strip() for k in line[len(head):].split(','))
        if 'size mismatch' in line:
            other.append(line)
    return missing, unexpected, other


def tight_boxes_on_mask(boxes, labels, seg):
    """Assert boxes (0-based inclusive x0, y0, x1, y1) and a label map agree:
    boxes hold disjoint object pixels, each object pixel lies in a box,
    inside a box every object pixel has that box's value, and each box edge
    touches one of its pixels."""
    objects = (seg > 0) & (seg < 255)
    owner = np.full(seg.shape, -1)
    for i, ((x0, y0, x1, y1), value) in enumerate(zip(boxes, labels)):
        box = np.zeros(seg.shape, bool)
        box[y0:y1 + 1, x0:x1 + 1] = True
        assert (owner[box] == -1).all(), 'boxes overlap'
        owner[box] = i
        inside = objects & box
        assert (seg[inside] == value).all()
        assert inside[y0].any() and inside[y1].any()
        assert inside[:, x0].any() and inside[:, x1].any()
    assert (owner[objects] >= 0).all(), 'an object pixel outside every box'
