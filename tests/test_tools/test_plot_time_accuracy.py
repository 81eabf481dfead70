"""tools/analysis/plot_time_accuracy.py on synthetic work dirs."""
import json
import subprocess


def write_run(work_dir, points, extra_lines=()):
    vis = work_dir / '20250101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    lines = [json.dumps(dict(lr=0.03, loss=5.0, time=0.1, step=1))]
    lines += [json.dumps(dict(knn_top1=a, knn_epoch=e, train_wall_s=t,
                              train_cpu_s=2 * t, step=10 * e))
              for e, t, a in points]
    lines += list(extra_lines)
    (vis / 'scalars.json').write_text('\n'.join(lines) + '\n')


def test_plot_time_accuracy(tmp_path, python, subprocess_env):
    write_run(tmp_path / 'base', [(0, 0, 60.0), (1, 120, 70.0),
                                  (2, 240, 75.0)])
    write_run(tmp_path / 'accel', [(0, 0, 60.0), (1, 60, 69.0),
                                   (2, 120, 74.5)])
    out = tmp_path / 'fig' / 'plot.png'
    res = subprocess.run(
        [python, 'tools/analysis/plot_time_accuracy.py',
         str(tmp_path / 'base'), str(tmp_path / 'accel'), '--labels', 'base',
         'accel', '--out', str(out)],
        check=True, env=subprocess_env, capture_output=True, text=True)
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert '| 2 | 75.00 (4.0) | 74.50 (2.0) |' in res.stdout
    # equal time: the accelerated run ended at 2 min, where the baseline
    # had reached its epoch-1 accuracy
    assert 'at 2.0 min' in res.stdout
    assert 'base 70.00, accel 74.50' in res.stdout


def test_plot_needs_knn_entries(tmp_path, python, subprocess_env):
    (tmp_path / 'empty').mkdir()
    res = subprocess.run(
        [python, 'tools/analysis/plot_time_accuracy.py',
         str(tmp_path / 'empty'), '--out', str(tmp_path / 'x.png')],
        env=subprocess_env, capture_output=True, text=True)
    assert res.returncode != 0
    assert 'train with KNNEvalHook' in res.stderr
