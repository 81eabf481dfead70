"""Leave a distributed (torchrun) process without gloo's exit-time abort.

What went wrong (seen in about 1 of 7 two-process CPU runs, with a core
dump): gloo's worker thread (``pt_gloo_runloop``) drops the last reference
to a finished collective *after* the main thread has seen it complete. When
that collective held a tensor whose Python object Python no longer owned,
dropping it needs the GIL; if the main thread has meanwhile begun
finalizing the interpreter, ``take_gil`` ends the worker thread with
``pthread_exit``, whose forced unwind through torch's ``noexcept``
destructor calls ``std::terminate``: "terminate called without an active
exception", SIGABRT, and torchrun reports the rank as failed although
training and its last checkpoint had finished. A barrier and
``destroy_process_group`` do not help: the barrier's own work is released
by the worker thread the same way, and the process group's threads live on
while the model wrapper still refers to the group.

So a distributed run that finished its job ends here: every rank waits for
the others, the process group is destroyed, logs and streams are flushed
and closed, and the process leaves with ``os._exit``, skipping interpreter
finalization (the only thing that races the worker thread). Everything a
run writes is written and closed before: checkpoints are saved atomically
by their hook, and MMEngine's ``LoggerHook.after_run`` closes the
visualizer (TensorBoard files).
"""
import gc
import logging
import os
import sys

import torch


def finish_distributed(code: int = 0) -> None:
    """End the process cleanly after a distributed run; returns (doing
    nothing) when no process group is initialized."""
    if not (torch.distributed.is_available()
            and torch.distributed.is_initialized()):
        return
    torch.distributed.barrier()
    gc.collect()  # data-loader workers, open files of the finished runner
    torch.distributed.destroy_process_group()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
