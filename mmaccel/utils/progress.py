"""A progress bar over a data loader, drawn on an interactive terminal only."""
import sys
from typing import Iterable, Iterator, Optional, TextIO

from mmengine.dist import is_main_process
from mmengine.utils import ProgressBar

__all__ = ['progress']


def progress(loader: Iterable, stream: Optional[TextIO] = None) -> Iterator:
    """Yield the batches of ``loader``, drawing MMEngine's progress bar.

    The bar counts batches and ends with a new line. It is drawn only by the
    main process and only when ``stream`` is a terminal: in log files, pipes
    and on other ranks the batches pass through silently.

    Args:
        loader (Iterable): A data loader (anything with ``len``).
        stream (TextIO, optional): Where to draw. Defaults to ``sys.stdout``.
    """
    stream = stream or sys.stdout
    if not (is_main_process() and stream.isatty()):
        yield from loader
        return
    bar = ProgressBar(len(loader), file=stream)
    for batch in loader:
        yield batch
        bar.update()
    stream.write('\n')
    stream.flush()
