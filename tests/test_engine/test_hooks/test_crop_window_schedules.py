"""PartialBackpropHook's crop and window schedules: their values at given
progress, that they really change the model's selector and update window
(map sizes, which stages get gradients), that a resumed run continues them,
and the expected cost that the hook reports for them."""
import re

import numpy as np
import pytest
import torch
from helpers import assert_gradients, short_run, shrink, views
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from mmaccel.engine import PartialBackpropHook
from mmaccel.models import HardPairSelector
from mmaccel.models.selectors import KeyOrder
from mmaccel.models.utils.cost_model import (backbone_macs_to_exit,
                                             cumulative_macs, step_cost)
from mmaccel.registry import HOOKS, MODELS
from mmaccel.utils import ConfigError, load_config

CONFIG = ('configs/accel_mocov2/'
          'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
OFF_AT_70 = [(0, .75), (.7, .75), (.7, 1.)]  # crops until 70 %, none after
GROW = [(0, .5), (.5, .5), (1, 1.)]  # crops growing over the second half
NARROW = [(0, None), (.5, 3), (.75, 2)]  # FreezeOut-like


def simclr(selector=True, update_window=None):
    """A tiny AccelSimCLR (widths 4 to 32), hard pairs after stages 1, 2."""
    return MODELS.build(dict(
        type='AccelSimCLR',
        backbone=dict(type='MultiExitResNet', depth=18, base_channels=4,
                      stem_channels=4, norm_cfg=dict(type='BN')),
        neck=dict(type='IntermediateContrastiveNeck',
                  in_channels=[4, 8, 16, 32],
                  head=dict(type='NonLinearNeck', hid_channels=16,
                            out_channels=8, num_layers=2, with_avg_pool=True,
                            norm_cfg=dict(type='BN1d'))),
        head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'),
                  temperature=0.1),
        selector=dict(type='HardPairSelector', positions=(1, 2))
        if selector else None,
        update_window=update_window))


class StubRunner:
    """What before_run and before_train_iter read of a Runner."""

    def __init__(self, model, max_iters):
        self.model, self.max_iters, self.iter = model, max_iters, 0
        self.message_hub = MessageHub.get_instance(f'sched-{id(self)}')


def at_iteration(hook, runner, iteration):
    runner.iter = iteration
    hook.before_train_iter(runner, iteration, None)


@pytest.mark.parametrize('schedule,progress,expected', [
    (OFF_AT_70, 0.0, .75), (OFF_AT_70, .69, .75), (OFF_AT_70, .7, 1.),
    (OFF_AT_70, 1.0, 1.), (GROW, .25, .5), (GROW, .75, .75), (GROW, 1., 1.),
    ([(.2, .6), (.6, 1.)], 0.0, .6), ([(.2, .6), (.6, 1.)], .4, .8),
])
def test_crop_ratio_at_progress(schedule, progress, expected):
    hook = PartialBackpropHook(crop_schedule=schedule)
    assert hook.crop_at(progress) == pytest.approx(expected)


@pytest.mark.parametrize('progress,expected', [(0, None), (.49, None),
                                               (.5, 3), (.74, 3), (.75, 2),
                                               (1, 2)])
def test_window_at_progress_in_steps(progress, expected):
    hook = PartialBackpropHook(window_schedule=NARROW)
    assert hook.window_at(progress) == expected


@pytest.mark.parametrize('kwargs,match', [
    (dict(crop_schedule=[(0, 0.)]), r'crop_schedule: values must be crop '
     r'ratios in \(0, 1\] \(1: no crop\); got 0.0 at progress 0'),
    (dict(crop_schedule=[(0, 1.5)]), r'crop_schedule.*got 1.5'),
    (dict(crop_schedule=[(0, '0.5')]), r"crop_schedule.*got '0.5'"),
    (dict(crop_schedule=[(0, .5), (1.2, 1.)]), r'crop_schedule: progress '
     r'must be a number in \[0, 1\]; got 1.2'),
    (dict(crop_schedule=[(.5, .5), (.2, 1.)]), r'crop_schedule: keypoint '
     r'progress values must be non-decreasing.*got \(0.5, 0.2\)'),
    (dict(crop_schedule=[(.5, .5), (.5, .6), (.5, 1.)]),
     r'crop_schedule: keypoint.*at most twice.*got \(0.5, 0.5, 0.5\)'),
    (dict(crop_schedule=.75), r'crop_schedule must be a non-empty list.*'
     r'got 0.75'),
    (dict(crop_schedule=[]), r'crop_schedule must be a non-empty list.*'
     r'got \[\]'),
    (dict(window_schedule=[(0, 0)]), r'window_schedule: values must be None '
     r'or integers >= 1; got 0 at progress 0'),
    (dict(window_schedule=[(0, 1.5)]), r'window_schedule.*got 1.5'),
    (dict(window_schedule=[(0, True)]), r'window_schedule.*got True'),
    (dict(window_schedule=[(0, 2), (0, 1)]), r'window_schedule: keypoint '
     r'progress values must be distinct and increasing; got \(0.0, 0.0\)'),
])
def test_rejects_bad_schedules_when_built(kwargs, match):
    with pytest.raises(ValueError, match=r'PartialBackpropHook: ' + match):
        PartialBackpropHook(**kwargs)


def test_crop_schedule_needs_a_cropping_selector():
    hook = PartialBackpropHook(crop_schedule=GROW)
    with pytest.raises(ConfigError, match='crop_schedule needs a model whose '
                       'selector crops maps.*got selector NoneType'):
        hook.before_run(StubRunner(simclr(selector=False), 10))
    with pytest.raises(ConfigError, match='needs a selector that crops'):
        simclr(selector=False).set_crop_ratio(.5)
    with pytest.raises(ValueError, match=r'crop_ratio must be a number in '
                       r'\(0, 1\]; got 0'):
        simclr().set_crop_ratio(0)
    with pytest.raises(ValueError, match=r'update_window must be None or an '
                       'integer >= 1; got 0'):
        simclr().set_update_window(0)


def test_ratio_one_passes_the_maps_through():
    """No crop, no score, no random draw."""
    sel = HardPairSelector(positions=(1, ))
    sel.set_crop_ratio(1.)
    x_q, x_k = torch.randn(3, 4, 8, 8), torch.randn(3, 4, 8, 8)
    state = torch.get_rng_state()

    def score(*args):
        raise AssertionError('scored')

    out_q, out_k = sel.select(1, x_q, x_k, score, KeyOrder())
    assert out_q is x_q and out_k is x_k
    assert torch.equal(torch.get_rng_state(), state)


def test_crop_schedule_changes_the_maps():
    """Crops of 3/4 until 70 % of training (8 x 8 maps after stage 1 cut to
    6 x 6, 3 x 3 after stage 2 to 2 x 2), whole maps and no scoring after."""
    model = simclr()
    model.train()
    hook = PartialBackpropHook(exit_probs=(0, 0, 0, 1),
                               crop_schedule=OFF_AT_70)
    runner = StubRunner(model, max_iters=100)
    hook.before_run(runner)
    sizes, scored = [], []
    for name in ('layer2', 'layer3'):
        getattr(model.backbone, name).register_forward_pre_hook(
            lambda m, args: sizes.append(tuple(args[0].shape[-2:])))
    score = model.score_pairs
    model.score_pairs = lambda *a: scored.append(a[0]) or score(*a)

    def step(iteration):
        sizes.clear(), scored.clear()
        at_iteration(hook, runner, iteration)
        model.loss(views(n=4, size=32), None)
        return list(sizes), list(scored), model.selector.crop_ratio

    assert step(69) == ([(6, 6), (2, 2)], [1, 2], .75)
    assert step(70) == ([(8, 8), (4, 4)], [], 1.)
    assert runner.message_hub.get_scalar('train/crop_ratio').current() == 1.


def test_window_schedule_changes_the_updated_stages():
    """Exit-4 steps update every stage up to 50 % of training, stages 2-4
    from there, stages 3-4 from 75 %."""
    model = simclr()
    model.train()
    hook = PartialBackpropHook(exit_probs=(0, 0, 0, 1),
                               window_schedule=NARROW)
    runner = StubRunner(model, max_iters=100)
    hook.before_run(runner)
    for iteration, first, window in [(10, 1, None), (50, 2, 3),
                                     (80, 3, 2)]:
        model.zero_grad(set_to_none=True)
        at_iteration(hook, runner, iteration)
        assert model.update_window == window
        model.loss(views(n=4, size=32), None)['loss_exit4'].backward()
        assert_gradients(model, 4, first=first)
    logged = runner.message_hub.get_scalar('train/update_window')
    assert logged.current() == 2


def test_schedules_are_functions_of_progress():
    """Two hooks (two ranks, or a resumed run) visiting iterations in other
    orders set the same ratios and windows."""
    def states(order):
        model = simclr()
        hook = PartialBackpropHook(crop_schedule=GROW, window_schedule=NARROW,
                                   seed=4)
        runner = StubRunner(model, max_iters=40)
        hook.before_run(runner)
        out = {}
        for i in order:
            at_iteration(hook, runner, i)
            out[i] = (model.active_exit, model.selector.crop_ratio,
                      model.update_window)
        return out

    forward = states(range(40))
    assert states(reversed(range(40))) == forward
    assert len({s[1] for s in forward.values()}) > 10  # the ratio grows
    assert {s[2] for s in forward.values()} == {None, 3, 2}


@HOOKS.register_module(force=True)
class ScheduleRecorderHook(Hook):
    """Records the model's exit, crop ratio and window at every iteration,
    after PartialBackpropHook has set them."""
    priority = 'LOW'

    def __init__(self):
        self.states = {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        self.states[runner.iter] = (model.active_exit,
                                    model.selector.crop_ratio,
                                    model.update_window)


def tiny_run(tmp_path, name, iters=6, **cfg_overrides):
    cfg = shrink(load_config(CONFIG), short_run(iters, 8, samples=16,
                                                checkpoint_interval=3))
    cfg.model.queue_len = 16
    cfg.work_dir = str(tmp_path / name)
    cfg.custom_hooks = [
        dict(type='PartialBackpropHook', seed=2, crop_schedule=GROW,
             window_schedule=NARROW),
        dict(type='ScheduleRecorderHook')
    ]
    cfg.merge_from_dict(cfg_overrides)
    runner = Runner.from_cfg(cfg)
    runner.train()
    recorder = next(h for h in runner.hooks
                    if isinstance(h, ScheduleRecorderHook))
    return runner, recorder.states


def test_resumed_run_continues_the_schedules(tmp_path):
    _, full = tiny_run(tmp_path, 'full')
    _, resumed = tiny_run(tmp_path, 'resumed', resume=True,
                          load_from=str(tmp_path / 'full' / 'iter_3.pth'))
    assert sorted(full) == list(range(6)) and sorted(resumed) == [3, 4, 5]
    assert {i: full[i] for i in (3, 4, 5)} == resumed
    hook = PartialBackpropHook(crop_schedule=GROW, window_schedule=NARROW)
    assert [full[i][1:] for i in range(6)] == [
        (pytest.approx(hook.crop_at(i / 6)), hook.window_at(i / 6))
        for i in range(6)]


def test_step_cost():
    stages = [0.05, 0.3, 0.55, 0.8, 1.0]  # stem, stages 1-4
    # no window: the forward cost, whatever the passes
    for k in (1, 2, 3, 4):
        assert step_cost(stages, k, None) == pytest.approx(stages[k])
        assert step_cost(stages, k, None, 1.) == pytest.approx(stages[k])
        assert step_cost(stages, k, k) == pytest.approx(stages[k])
    # exit 4, window 2: back-propagate stages 3 and 4 only (1 - 0.55)
    assert step_cost(stages, 4, 2) == pytest.approx((1 + 2 * .45) / 3)
    # with a momentum encoder's forward pass: 4 whole passes a step
    assert step_cost(stages, 4, 2, 1.) == pytest.approx((2 + 2 * .45) / 4)
    # exit 2, window 1: stage 2 only; exit 1, window 1: the stem as well
    assert step_cost(stages, 2, 1) == pytest.approx((.55 + 2 * .25) / 3)
    assert step_cost(stages, 1, 1) == pytest.approx(.3)


def test_cumulative_macs_match_each_exit():
    model = simclr()
    model.eval()
    x = torch.randn(1, 3, 32, 32)
    got = cumulative_macs(model.backbone, x, 4, model.selector)
    for stage in range(5):
        assert got[stage] == backbone_macs_to_exit(model.backbone, x, stage,
                                                   model.selector)
    assert got[0] < got[1] < got[2] < got[3] < got[4]


def test_runner_reports_the_scheduled_expected_cost(tmp_path):
    """A real run of AccelMoCo (a momentum encoder: one forward-only pass
    per trained pass) with the ramp, crops switched off at 70 % and a
    narrowing window: the logged expected cost is the mean over progress of
    sum_k p_k * step cost, each exit's MACs counted independently."""
    ramp = [(0.0, (0.25, 0.25, 0.25, 0.25)), (1.0, (0.05, 0.05, 0.1, 0.8))]
    cfg = shrink(load_config(CONFIG), short_run(1, 8, samples=8))
    cfg.model.queue_len = 16
    cfg.work_dir = str(tmp_path)
    cfg.custom_hooks = [dict(type='PartialBackpropHook', schedule=ramp,
                             crop_schedule=OFF_AT_70, window_schedule=NARROW)]
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook = next(h for h in runner.hooks
                if isinstance(h, PartialBackpropHook))
    model = runner.model
    model.eval()
    x = next(iter(runner.train_dataloader))['inputs'][0][:1].float()
    bb = model.backbone
    full = backbone_macs_to_exit(bb, x)

    def forward(stage, ratio):
        sel = HardPairSelector(positions=model.selector.positions,
                               crop_ratio=ratio)
        return backbone_macs_to_exit(bb, x, stage, sel) / full

    def cost(k, t):
        ratio = .75 if t < .7 else 1.
        window = None if t < .5 else 3 if t < .75 else 2
        first = 1 if window is None else max(1, k - window + 1)
        fwd = forward(k, ratio)
        bwd = fwd - (forward(first - 1, ratio) if first > 1 else 0)
        return (2 * fwd + 2 * bwd) / 4

    grid = np.linspace(0, 1, 101)
    expected = np.mean([
        hook.probs_at(t) @ [cost(k, t) for k in (1, 2, 3, 4)] for t in grid
    ])
    log = open(f'{runner.log_dir}/{runner.timestamp}.log').read()
    logged = float(re.search(r'expected cost per step ([0-9.]+)', log)[1])
    assert logged == pytest.approx(expected, abs=5e-4)
    assert 'at the start exit 1' in log and 'update window' in log
    assert forward(4, .75) < forward(4, 1.) == pytest.approx(1.)
    assert model.selector.crop_ratio == .75  # iteration 0 of 1
