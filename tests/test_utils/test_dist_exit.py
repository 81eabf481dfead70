"""``finish_distributed`` ends a torchrun rank with status 0, all ranks
together, without losing what the rank printed or logged before it (it
leaves with ``os._exit``, which flushes nothing by itself)."""
import subprocess

SCRIPT = '''
import logging, sys, torch, torch.distributed as dist
from mmaccel.utils import finish_distributed
dist.init_process_group('gloo')
rank = dist.get_rank()
log = logging.getLogger('exit_test')
log.addHandler(logging.FileHandler(sys.argv[1] + f'.{rank}.log'))
log.setLevel(logging.INFO)
total = torch.ones(3) * (rank + 1)
dist.all_reduce(total)  # a collective whose tensor Python then drops
del total
log.info('logged by rank %d', rank)
print(f'printed by rank {rank}')  # block-buffered: stdout is a pipe
sys.stderr.write(f'written by rank {rank}')  # no newline
finish_distributed()
print(f'after finish_distributed, rank {rank}')
'''


def test_finish_distributed_exits_cleanly_and_flushes(tmp_path, python,
                                                      subprocess_env,
                                                      free_port):
    script = tmp_path / 'exit_test.py'
    script.write_text(SCRIPT)
    proc = subprocess.run(
        [python, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={free_port()}', str(script), str(tmp_path / 'run')],
        env=subprocess_env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rank in (0, 1):
        assert f'printed by rank {rank}' in proc.stdout
        assert f'written by rank {rank}' in proc.stderr
        log = (tmp_path / f'run.{rank}.log').read_text()
        assert log == f'logged by rank {rank}\n'
    assert 'after finish_distributed' not in proc.stdout


def test_finish_distributed_does_nothing_without_a_process_group(
        python, subprocess_env):
    proc = subprocess.run(
        [python, '-c', 'from mmaccel.utils import finish_distributed;'
         'finish_distributed(); print("went on")'],
        env=subprocess_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == 'went on\n'
