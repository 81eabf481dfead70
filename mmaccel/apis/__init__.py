"""What mmaccel's tools share, importable and documented (as
``mmpretrain.apis`` is for MMPretrain): the tools under ``tools/`` parse
their command line, call these and print.

The command lines of the transfer tools are modules of their own, each with
its ``main(argv)``: :mod:`~mmaccel.apis.knn_benchmark`
(``tools/benchmarks/knn.py``), :mod:`~mmaccel.apis.linear_benchmark`
(``tools/benchmarks/linear.py``), :mod:`~mmaccel.apis.extract_backbone`
(``tools/model_converters/extract_backbone.py``),
:mod:`~mmaccel.apis.mini_voc` (``tools/dataset_converters/make_mini_voc.py``)
and :mod:`~mmaccel.apis.transfer_summary` (``tools/benchmarks/summarize.py``);
:mod:`~mmaccel.apis.gpu_results` reads and writes ``docs/results/gpu.json``.
"""
from .pair_summary import (TIME_LABELS, compare, model_summary,
                           plot_time_accuracy, summary_table,
                           time_accuracy_table, write_summary)
from .paired_init import budget_run_line, train_args, untrained_backbone
from .run_records import (at_time, find_scalars, knn_points, make_record,
                          read_scalars, transfer_record, write_runs)
from .speed import (parse_speed_args, run_speed_benchmark, speed_arg_parser,
                    speed_table)
from .timing import (build_timing_model, compile_stages, load_timing_config,
                     model_macs, peak_memory_mb, rss_mb, saved_activation_mb,
                     step_stats, synthetic_batch, timed_step)
from .train import (build_runner, build_train_config, merge_train_args,
                    parse_train_args, runner_from_cfg, setup_cpu_distributed,
                    sync_bn_to_bn_on_cpu, train_arg_parser, train_main)

__all__ = [
    'build_runner', 'build_train_config', 'merge_train_args',
    'parse_train_args', 'runner_from_cfg', 'setup_cpu_distributed',
    'sync_bn_to_bn_on_cpu', 'train_arg_parser', 'train_main', 'train_args',
    'untrained_backbone', 'build_timing_model', 'compile_stages',
    'load_timing_config', 'model_macs', 'peak_memory_mb', 'rss_mb',
    'saved_activation_mb', 'step_stats', 'synthetic_batch', 'timed_step',
    'parse_speed_args', 'run_speed_benchmark', 'speed_arg_parser',
    'speed_table', 'TIME_LABELS', 'compare', 'model_summary',
    'plot_time_accuracy', 'summary_table', 'time_accuracy_table',
    'write_summary', 'at_time', 'find_scalars', 'knn_points', 'make_record',
    'read_scalars', 'transfer_record', 'write_runs'
]
