"""Summarise the evaluations of ``tools/benchmarks/run_all.sh``.

    python tools/benchmarks/summarize.py WORK_DIR

Reads ``WORK_DIR/runs.tsv`` (one line per evaluation: name, kind, setting,
run directory, wall seconds, ok/failed, command) and each run's results, and
writes ``WORK_DIR/summary.json`` (a list of rows: evaluation, metric, value,
setting, wall_s, status, work_dir, command) and ``WORK_DIR/summary.md`` (a
table of evaluation, metric, value, setting, wall time). Values are
percentages:

- ``knn``: the newest ``knn_*.json`` of ``tools/benchmarks/knn.py``, top-1
  per feature map and k;
- ``linear``, ``stages``: the last validation record of the run's
  ``scalars.json``: ``accuracy/top1``, or ``<map>/top1`` per stage;
- ``det``: ``pascal_voc/AP50`` and ``pascal_voc/mAP`` (the mean AP over IoU
  0.50:0.05:0.95, COCO-style), times 100;
- ``seg``: ``mIoU`` and ``aAcc``.
"""
from mmaccel.apis.transfer_summary import main

if __name__ == '__main__':
    main()
