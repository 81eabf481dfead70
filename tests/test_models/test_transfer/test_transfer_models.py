"""The transfer models of the paper (Faster R-CNN R50-C4 on VOC07, PSPNet on
VOC12) build from the upstream configs and run a forward pass on CPU, with
mmcv's compiled RoIAlign and nms."""
import sys
import textwrap

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope


def load(tmp_path, text):
    path = tmp_path / 'cfg.py'
    path.write_text(textwrap.dedent(text))
    return Config.fromfile(str(path))


def test_faster_rcnn_r50_c4_voc_forward(tmp_path, monkeypatch):
    import mmcv.ops
    from mmdet.registry import MODELS
    from mmdet.structures import DetDataSample

    cfg = load(
        tmp_path, """
        _base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'
        model = dict(
            backbone=dict(init_cfg=None),
            roi_head=dict(shared_head=dict(init_cfg=None)),
            # Keep every box of the untrained head, so that the second
            # stage's nms has work to do.
            test_cfg=dict(rcnn=dict(score_thr=0.0, max_per_img=20)))
        """)
    assert cfg.model.roi_head.bbox_roi_extractor.roi_layer.type == 'RoIAlign'
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model).eval()

    # Count calls of the real ops: forward hooks on RoIAlign modules, and a
    # pass-through wrapper of the nms that mmcv's batched_nms looks up.
    roi_calls = []
    roi_layers = [
        m for m in model.modules() if isinstance(m, mmcv.ops.RoIAlign)
    ]
    assert roi_layers
    for layer in roi_layers:
        layer.register_forward_hook(lambda m, i, o: roi_calls.append(o.shape))
    nms_module = sys.modules['mmcv.ops.nms']
    real_nms, nms_calls = nms_module.nms, []

    def counting_nms(boxes, scores, *args, **kwargs):
        nms_calls.append(len(boxes))
        return real_nms(boxes, scores, *args, **kwargs)

    monkeypatch.setattr(nms_module, 'nms', counting_nms)

    torch.manual_seed(0)
    h, w = 96, 128
    sample = DetDataSample(
        metainfo=dict(img_shape=(h, w), ori_shape=(h, w),
                      scale_factor=(1.0, 1.0)))
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (3, h, w), dtype=torch.uint8)],
             data_samples=[sample]), training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')

    assert roi_calls and roi_calls[0][1:] == (1024, 14, 14)
    assert len(nms_calls) >= 2  # the RPN's and the R-CNN head's
    pred = results[0].pred_instances
    assert 0 < len(pred) <= 20
    assert pred.bboxes.shape == (len(pred), 4)
    assert pred.labels.min() >= 0 and pred.labels.max() < 20
    assert torch.isfinite(pred.scores).all()


def test_pspnet_voc12aug_forward(tmp_path):
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample

    cfg = load(
        tmp_path, """
        _base_ = 'mmseg::pspnet/pspnet_r50-d8_4xb4-20k_voc12aug-512x512.py'
        norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN needs a group
        model = dict(
            pretrained=None,
            data_preprocessor=dict(size=(64, 64)),
            backbone=dict(norm_cfg=norm_cfg),
            decode_head=dict(norm_cfg=norm_cfg),
            auxiliary_head=dict(norm_cfg=norm_cfg))
        """)
    assert cfg.model.decode_head.type == 'PSPHead'
    assert cfg.model.decode_head.num_classes == 21
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model).eval()
    assert not any('SyncBatchNorm' in type(m).__name__
                   for m in model.modules())

    h, w = 64, 64
    sample = SegDataSample(
        metainfo=dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w)))
    data = model.data_preprocessor(
        dict(inputs=[torch.randint(0, 256, (3, h, w), dtype=torch.uint8)],
             data_samples=[sample]), training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    logits = results[0].seg_logits.data
    assert logits.shape == (21, h, w)
    assert torch.isfinite(logits).all()
    pred = results[0].pred_sem_seg.data
    assert pred.shape == (1, h, w)
    assert pred.min() >= 0 and pred.max() < 21
