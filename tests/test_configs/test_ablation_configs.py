"""Every ablation config builds and trains 5 iterations on the tiny set, with
exactly the settings that its row of the table below says. The table must
name every ablation config: a new or renamed file fails until it has a row."""
from pathlib import Path

import pytest
import torch
from helpers import short_run, shrink
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model

from mmaccel.engine import PartialBackpropHook
from mmaccel.utils import load_config

ROOT = Path(__file__).resolve().parents[2]
ABLATIONS = sorted(p.relative_to(ROOT).as_posix()
                   for p in (ROOT / 'configs/ablations').glob('*.py'))

SIMCLR = 'configs/ablations/accel-simclr_resnet18-tiny_1xb256-coslr-50e_fmnist'
MOCOV2 = 'configs/ablations/accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist'
UNIFORM = (0.25, ) * 4
FINAL = (0, 0, 0, 1)


def pairs(mode='hard', num_candidates=2, crop_ratio=0.75):
    """A HardPairSelector after stage 1 (the tiny configs' position)."""
    return ('HardPairSelector', dict(positions=(1, ), mode=mode,
                                     num_candidates=num_candidates,
                                     crop_ratio=crop_ratio))


def row(model, selector=None, window=None, probs=UNIFORM, views=(32, 32)):
    return dict(model=model, selector=selector, update_window=window,
                exit_probs=probs, view_sizes=list(views))


# config -> (algorithm, selector and its settings, update window, exit
# probabilities of PartialBackpropHook, side of each view)
TABLE = {
    f'{MOCOV2}_pbp-only.py': row('AccelMoCo'),
    f'{MOCOV2}_select-only.py': row('AccelMoCo', pairs(), probs=FINAL),
    f'{SIMCLR}_crop-0.5.py': row('AccelSimCLR', pairs(crop_ratio=0.5)),
    f'{SIMCLR}_crop-0.875.py': row('AccelSimCLR', pairs(crop_ratio=0.875)),
    f'{SIMCLR}_easy-pairs.py': row('AccelSimCLR', pairs(mode='easy')),
    f'{SIMCLR}_hard-examples.py': row(
        'AccelSimCLR', ('HardExampleSelector',
                        dict(positions=(1, ), keep_ratio=0.5625))),
    f'{SIMCLR}_m1.py': row('AccelSimCLR', pairs(num_candidates=1)),
    f'{SIMCLR}_m4.py': row('AccelSimCLR', pairs(num_candidates=4)),
    f'{SIMCLR}_pbp-only.py': row('AccelSimCLR'),
    f'{SIMCLR}_random-pairs.py': row('AccelSimCLR', pairs(mode='random')),
    f'{SIMCLR}_select-only.py': row('AccelSimCLR', pairs(), probs=FINAL),
    f'{SIMCLR}_window-1.py': row('AccelSimCLR', pairs(), window=1),
    f'{SIMCLR}_window-2.py': row('AccelSimCLR', pairs(), window=2),
    'configs/ablations/simclr_resnet18-tiny_1xb256-coslr-50e_fmnist_res24.py':
    row('SimCLR', probs=None, views=(24, 24)),
    # Table 9 (SwAV multi-crop) uses the tiny multi-crop twins themselves.
    'configs/swav/swav_resnet18-tiny_1xb256-mcrop-2-6-coslr-50e_fmnist-32px-'
    '16px.py': row('SwAV', probs=None, views=[32] * 2 + [16] * 6),
    'configs/accel_swav/accel-swav_resnet18-tiny_1xb256-mcrop-2-6-coslr-50e_'
    'fmnist-32px-16px.py': row('AccelSwAV', pairs(),
                               views=[32] * 2 + [16] * 6),
}


def test_table_covers_every_ablation_config():
    assert len(ABLATIONS) == 14
    assert sorted(p for p in TABLE if 'configs/ablations/' in p) == ABLATIONS


def settings(runner):
    """The settings of a built run, in the table's terms."""
    model = get_ori_model(runner.model)
    selector = getattr(model, 'selector', None)
    if selector is not None:
        names = ('positions', 'keep_ratio') if selector.selects_examples \
            else ('positions', 'mode', 'num_candidates', 'crop_ratio')
        selector = (type(selector).__name__,
                    {k: getattr(selector, k) for k in names})
    hooks = [h for h in runner.hooks if isinstance(h, PartialBackpropHook)]
    assert len(hooks) <= 1
    probs = tuple(round(float(p), 6) for p in hooks[0].probs_at(0.0)) \
        if hooks else None
    inputs = runner.train_dataloader.dataset[0]['inputs']
    return dict(model=type(model).__name__, selector=selector,
                update_window=getattr(model, 'update_window', None),
                exit_probs=probs,
                view_sizes=[v.shape[-1] for v in inputs])


@pytest.mark.parametrize('path', sorted(TABLE))
def test_ablation_trains_five_iterations(path, tmp_path):
    cfg = shrink(load_config(path), short_run(
        5, 4, samples=20, log_interval=1, checkpoint_interval=1000))
    cfg.work_dir = str(tmp_path)
    for hook in cfg.get('custom_hooks', []):
        if hook.type == 'SwAVHook':
            hook.batch_size = 4
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 5
    scalars = runner.message_hub.log_scalars
    losses = [k for k in scalars if k.startswith('train/loss')]
    assert losses
    for key in losses:
        assert torch.isfinite(torch.tensor(scalars[key].current())), key
    expected = TABLE[path]
    assert settings(runner) == expected
    # the drawn exits follow the probabilities (select-only: the final exit
    # every time); upstream algorithms draw none
    drawn = scalars['train/active_exit'].data[0].tolist() \
        if 'train/active_exit' in scalars else []
    support = {e for e, p in zip((1, 2, 3, 4), expected['exit_probs'] or ())
               if p > 0}
    assert len(drawn) == (5 if support else 0)
    assert set(drawn) <= support, drawn
