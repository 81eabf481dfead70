"""The lock of a core-tier wheelhouse, from pip's installation report.

``python wheelhouse_lock.py REPORT X.Y CORE_REQUIREMENTS`` prints
``name==version`` for every distribution that the core requirements need on
CPython X.Y, Linux x86_64, down to the leaves (extras and environment markers
evaluated for that target), less what the target brings: torch, torchvision,
the two of their dependencies that the core packages share (numpy, pillow),
and opencv-python (any cv2 serves mmengine and mmcv; build_wheelhouse.sh says
why). What the report holds and the lock leaves out follows as comments
(``# left out: name==version``). Run by build_wheelhouse.sh; needs only pip.
"""
import json
import sys

from pip._vendor.packaging.markers import default_environment
from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

BROUGHT = {'torch', 'torchvision', 'numpy', 'pillow', 'opencv-python'}


def target_environment(version: str) -> dict:
    """Marker variables of CPython ``version`` on Linux x86_64."""
    return dict(
        default_environment(),
        python_version=version,
        python_full_version=version + '.0',
        implementation_name='cpython',
        platform_python_implementation='CPython',
        sys_platform='linux',
        platform_system='Linux',
        platform_machine='x86_64',
        os_name='posix')


def needed(meta: dict, roots: list, env: dict) -> set:
    """Names that ``roots`` need, transitively, not descending into BROUGHT."""
    found, todo = set(), [(name, ()) for name in roots]
    while todo:
        name, extras = todo.pop()
        if name in BROUGHT or name in found:
            continue
        found.add(name)
        for text in meta[name].get('requires_dist', []):
            req = Requirement(text)
            if req.marker is None or any(
                    req.marker.evaluate(dict(env, extra=extra))
                    for extra in (*extras, '')):
                todo.append((canonicalize_name(req.name), tuple(req.extras)))
    return found


def main(report: str, version: str, core_requirements: str) -> None:
    with open(report) as f:
        meta = {canonicalize_name(item['metadata']['name']): item['metadata']
                for item in json.load(f)['install']}
    with open(core_requirements) as f:
        roots = [canonicalize_name(Requirement(line.strip()).name)
                 for line in f if line.strip() and not line.startswith('#')]
    keep = needed(meta, roots, target_environment(version))
    for name in sorted(keep):
        print(f"{name}=={meta[name]['version']}")
    for name in sorted(set(meta) - keep):
        print(f"# left out: {name}=={meta[name]['version']}")


if __name__ == '__main__':
    main(*sys.argv[1:])
