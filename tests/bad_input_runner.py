"""Run the Python tools' bad-input cases, each in its own process.

    python tests/bad_input_runner.py CASES.json OUT_DIR N

This process imports what the tools import once; each case then runs in a
child forked from it (at most N at a time), which runs the tool as a script
(``runpy``, as ``python tools/...`` does) with the case's command line,
with its stdout and stderr (file descriptors 1 and 2, so C libraries' and
warnings' output too) in ``OUT_DIR/<id>.out`` and ``OUT_DIR/<id>.err``,
and ends with the tool's exit status. A case thus costs its own work, not
another second of imports per process. Writes
``OUT_DIR/results.json``: ``{id: {"code": exit status, "seconds": s}}``.
CASES.json: ``{id: {"tool": name in TOOLS, "argv": [...]}}``.
"""
import ast
import importlib
import json
import os
import runpy
import sys
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = {
    'train': 'tools/train.py',
    'knn': 'tools/benchmarks/knn.py',
    'linear': 'tools/benchmarks/linear.py',
    'extract_backbone': 'tools/model_converters/extract_backbone.py',
    'benchmark_speed': 'tools/analysis/benchmark_speed.py',
    'demo': 'tools/demo.py',
}


def preload(name):
    """Import the modules the tool imports at its top level (the costly part
    of starting it), so that each forked case pays only for its own work."""
    with open(os.path.join(REPO, TOOLS[name])) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module]
        else:
            continue
        for module in names:
            importlib.import_module(module)


def run_case(tool, argv, out_dir, case):
    """In the child: the tool as a script on ``argv``; never returns."""
    for fd, ext in ((1, 'out'), (2, 'err')):
        f = os.open(os.path.join(out_dir, f'{case}.{ext}'),
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(f, fd)
        os.close(f)
    sys.argv = [TOOLS[tool], *argv]
    code = 0
    try:
        runpy.run_path(os.path.join(REPO, TOOLS[tool]), run_name='__main__')
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else int(e.code is not None)
    except BaseException:  # noqa: BLE001 - what escaped the tool's main
        traceback.print_exc()
        code = 99
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main():
    cases_file, out_dir, parallel = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(cases_file) as f:
        cases = json.load(f)
    for tool in sorted({c['tool'] for c in cases.values()}):
        preload(tool)
    results, running = {}, {}

    def reap():
        pid, status = os.wait()
        case, start = running.pop(pid)
        results[case] = dict(code=os.waitstatus_to_exitcode(status),
                             seconds=round(time.time() - start, 2))

    for case, spec in cases.items():
        while len(running) >= parallel:
            reap()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            run_case(spec['tool'], spec['argv'], out_dir, case)
        running[pid] = (case, time.time())
    while running:
        reap()
    with open(os.path.join(out_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
