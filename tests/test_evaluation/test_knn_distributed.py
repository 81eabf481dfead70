"""In two gloo processes, ``gather_features`` gives every rank the
features and labels of the whole set in data-set order, without the
padding that ``DefaultSampler`` adds to make the shares equal."""
import subprocess

SCRIPT = '''
import sys, torch, torch.distributed as dist
from mmengine.dataset import DefaultSampler
from torch.utils.data import DataLoader
from mmaccel.evaluation import gather_features
dist.init_process_group('gloo')
n = int(sys.argv[1])
data = [(torch.tensor([float(i), -float(i)]), i % 3) for i in range(n)]
loader = DataLoader(data, batch_size=2,
                    sampler=DefaultSampler(data, shuffle=False))
feats, labels = [], []
for x, y in loader:
    feats.append(x)
    labels.append(y)
share = torch.cat(feats)
assert len(share) == (n + 1) // 2  # each rank holds half, padded
(whole, ), whole_labels = gather_features([share], torch.cat(labels), n)
assert torch.equal(whole[:, 0], torch.arange(n, dtype=torch.float)), whole
assert torch.equal(whole[:, 1], -whole[:, 0])
assert torch.equal(whole_labels, torch.arange(n) % 3), whole_labels
print(f'rank {dist.get_rank()} ok')
dist.destroy_process_group()
'''


def test_gather_features_restores_the_whole_set_in_order(
        tmp_path, python, subprocess_env, free_port):
    script = tmp_path / 'gather.py'
    script.write_text(SCRIPT)
    for n in (7, 8):  # padded and not
        proc = subprocess.run(
            [python, '-m', 'torch.distributed.run', '--nproc_per_node=2',
             f'--master_port={free_port()}', str(script), str(n)],
            env=subprocess_env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert 'rank 0 ok' in proc.stdout and 'rank 1 ok' in proc.stdout
