"""tools/slurm_train.sh passes OpenMMLab's command line to srun."""
import os
import subprocess


def test_slurm_train_runs_train_py_under_srun(tmp_path):
    # srun is not installed here: a stand-in prints what it was given
    (tmp_path / 'srun').write_text('#!/bin/sh\necho "srun $*"\n')
    (tmp_path / 'srun').chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}', GPUS='4',
               GPUS_PER_NODE='2', PYTHON='python3')
    proc = subprocess.run(
        ['bash', 'tools/slurm_train.sh', 'part', 'job', 'configs/x.py',
         'work_dirs/x', '--resume', '--cfg-options', 'randomness.seed=0'],
        env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [
        'srun', '-p', 'part', '--job-name=job', '--gres=gpu:2', '--ntasks=4',
        '--ntasks-per-node=2', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        'python3', '-u', 'tools/train.py', 'configs/x.py',
        '--work-dir=work_dirs/x', '--launcher=slurm', '--resume',
        '--cfg-options', 'randomness.seed=0'
    ]
