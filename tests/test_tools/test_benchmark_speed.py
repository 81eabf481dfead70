"""tools/analysis/benchmark_speed.py on the tiny configs, and its cost model.

Timings are never asserted: only what the tool reports and that its MACs
arithmetic holds.
"""
import json
import subprocess

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from mmaccel.apis import (build_timing_model, compile_stages,
                          load_timing_config, parse_speed_args,
                          saved_activation_mb, synthetic_batch, timed_step)
from mmaccel.engine import CPUAutocastOptimWrapper
from mmaccel.models import HardPairSelector, MultiExitResNet
from mmaccel.models.utils.cost_model import (backbone_macs_to_exit, count_macs,
                                             expected_macs)

BASELINE = 'configs/mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py'
ACCEL = ('configs/accel_mocov2/'
         'accel-mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py')
KEYS = ('baseline_ips', 'accel_ips', 'speedup', 'ideal_speedup',
        'baseline_peak_mem_mb', 'accel_peak_mem_mb')
# The JSON's keys, which docs/results and gpu_evidence.py read: a change is
# a change of the tool's output.
JSON_KEYS = {
    'accel', 'accel_drawn_macs', 'accel_expected_macs', 'accel_ips',
    'accel_macs_per_exit', 'accel_model', 'accel_peak_mem_mb',
    'accel_saved_activations_mb', 'accel_saved_activations_mb_per_exit',
    'baseline', 'baseline_ips', 'baseline_macs', 'baseline_model',
    'baseline_peak_mem_mb', 'baseline_saved_activations_mb', 'drawn_exits',
    'exit_probs', 'exits', 'fraction_of_ideal', 'ideal_speedup',
    'ideal_speedup_drawn', 'machine', 'peak_mem_kind', 'per_exit',
    'per_exit_baseline', 'per_exit_predicted_speedup', 'settings', 'speedup'
}
MACHINE_KEYS = {'cpus', 'device', 'device_name', 'platform', 'processor',
                'threads', 'torch'}
SETTINGS_KEYS = {
    'accel', 'accel_cfg_options', 'amp', 'amp_dtype', 'baseline',
    'baseline_cfg_options', 'batch', 'channels_last', 'compile',
    'exit_schedule', 'input_size', 'iters', 'warmup'
}
STATS_KEYS = {'ips', 'max_s', 'mean_s', 'median_s', 'min_s', 'n', 'p25_s',
              'p75_s'}


def test_benchmark_speed_tiny(tmp_path, python, subprocess_env):
    out = tmp_path / 'speed.json'
    subprocess.run(
        [python, 'tools/analysis/benchmark_speed.py', BASELINE, ACCEL,
         '--iters', '2', '--warmup', '1', '--exit-iters', '1', '--batch', '8',
         '--input-size', '32', '--out', str(out)],
        check=True, env=subprocess_env, capture_output=True)
    res = json.loads(out.read_text())
    assert set(res) == JSON_KEYS
    assert set(res['machine']) == MACHINE_KEYS
    assert set(res['settings']) == SETTINGS_KEYS
    for stats in (res['baseline'], res['accel'], res['per_exit_baseline'],
                  *res['per_exit'].values()):
        assert set(stats) - {'macs'} == STATS_KEYS
    for key in KEYS:
        assert isinstance(res[key], float) and res[key] > 0, key
    assert res['baseline_model'] == 'MoCo'
    assert res['accel_model'] == 'AccelMoCo'
    assert res['exits'] == [1, 2, 3, 4]
    acts = res['accel_saved_activations_mb_per_exit']
    assert res['accel_saved_activations_mb'] == max(acts.values())
    # deeper exits keep more activations for backward
    assert [acts[k] for k in '1234'] == sorted(acts.values())
    assert 0 < res['baseline_saved_activations_mb']
    assert len(res['drawn_exits']) == 2
    assert set(res['drawn_exits']) <= {1, 2, 3, 4}
    assert sorted(res['per_exit']) == ['1', '2', '3', '4']
    assert res['per_exit_baseline']['n'] == 1  # --exit-iters 1
    per_exit = {int(k): v for k, v in res['accel_macs_per_exit'].items()}
    # cost ordering: deeper exits cost more, all less than the baseline
    assert [per_exit[k] for k in (1, 2, 3, 4)] == sorted(per_exit.values())
    assert per_exit[4] < res['baseline_macs']
    assert res['accel_expected_macs'] == pytest.approx(
        sum(p * per_exit[k] for k, p in zip(res['exits'],
                                            res['exit_probs'])))
    assert res['ideal_speedup'] == pytest.approx(
        res['baseline_macs'] / res['accel_expected_macs'], rel=1e-12)
    assert res['speedup'] == pytest.approx(
        res['accel_ips'] / res['baseline_ips'], rel=1e-12)
    table = out.with_suffix('.md').read_text()
    assert '| MoCo |' in table and '| AccelMoCo |' in table


def test_count_macs_closed_form():
    conv = torch.nn.Conv2d(3, 8, 3, padding=1, groups=1)
    x = torch.zeros(2, 3, 5, 7)
    # per output element: 3 input channels x 3 x 3 taps; two images
    assert count_macs(lambda: conv(x), conv) == 2 * 8 * 5 * 7 * 3 * 9


def test_exit_macs_and_crops():
    backbone = MultiExitResNet(18, in_channels=1, stem_channels=4,
                               base_channels=4)
    backbone.eval()
    x = torch.zeros(1, 1, 64, 64)
    full = backbone_macs_to_exit(backbone, x)
    assert backbone_macs_to_exit(backbone, x, 4) == full
    crops = HardPairSelector(positions=(1, 2), crop_ratio=0.75)
    cropped = {k: backbone_macs_to_exit(backbone, x, k, crops)
               for k in (1, 2, 3, 4)}
    # nothing is cut before exit 1, and every later exit gets cheaper
    assert cropped[1] == backbone_macs_to_exit(backbone, x, 1)
    for k in (2, 3, 4):
        assert cropped[k] < backbone_macs_to_exit(backbone, x, k)
    # stage 2 after a 12x12 crop of the 16x16 stage-1 map: 144/256 of its
    # full-map cost (a stride-2 stage; 12 is even, so exactly)
    stage2_full = (backbone_macs_to_exit(backbone, x, 2)
                   - backbone_macs_to_exit(backbone, x, 1))
    assert cropped[2] - cropped[1] == stage2_full * 144 // 256
    assert expected_macs(cropped, [0.25] * 4) == sum(cropped.values()) / 4
    with pytest.raises(ValueError, match='3 probabilities for 4 exits'):
        expected_macs(cropped, [0.5, 0.25, 0.25])


def _build(argv):
    args = parse_speed_args([BASELINE, ACCEL, *argv])
    return args, build_timing_model(
        load_timing_config(ACCEL, {}, '--accel-cfg-options'), args)


def test_amp_on_cpu_runs_the_forward_pass_in_bfloat16():
    args, (model, optim_wrapper, hook) = _build(
        ['--amp', '--batch', '8', '--input-size', '32'])
    assert isinstance(optim_wrapper, CPUAutocastOptimWrapper)
    data = synthetic_batch(model, args)
    conv = next(m for m in model.backbone.modules()
                if isinstance(m, torch.nn.Conv2d))
    dtypes = []
    handle = conv.register_forward_hook(
        lambda module, inputs, out: dtypes.append(out.dtype))
    before = conv.weight.detach().clone()
    timed_step(model, optim_wrapper, data, args, hook, exit=4)
    handle.remove()
    assert dtypes == [torch.bfloat16]
    # master weights stay float32 and are updated
    assert conv.weight.dtype == torch.float32
    assert not torch.equal(conv.weight, before)
    # what autograd keeps for backward is about half of float32's
    accel = load_timing_config(ACCEL, {}, '--accel-cfg-options')
    plain = build_optim_wrapper(model, accel.optim_wrapper)
    amp_mb = saved_activation_mb(model, optim_wrapper, data, hook, 4)
    fp32_mb = saved_activation_mb(model, plain, data, hook, 4)
    assert amp_mb < 0.7 * fp32_mb, (amp_mb, fp32_mb)


def test_compile_stages_covers_both_encoders_and_keeps_outputs():
    _, (model, _, _) = _build(['--batch', '8', '--input-size', '32'])
    model.eval()  # running statistics stay put between the two passes
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        eager = model.backbone(x)
        compile_stages(model)
        compiled = model.backbone(x)
    stages = [getattr(m, name) for m in model.modules()
              for name in getattr(m, 'res_layers', ())]
    assert len(stages) == 8  # the query encoder's and the momentum copy's
    assert all(s._compiled_call_impl is not None for s in stages)
    for a, b in zip(eager, compiled):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
