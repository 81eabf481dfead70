"""mmaccel.utils.progress: the bar of the kNN feature pass."""
import io

from mmaccel.utils.progress import progress


class Terminal(io.StringIO):

    def isatty(self):
        return True


def test_bar_on_a_terminal_counts_every_batch():
    stream = Terminal()
    batches = list(progress([[1], [2], [3]], stream=stream))
    assert batches == [[1], [2], [3]]
    text = stream.getvalue()
    assert '0/3' in text and '3/3' in text
    assert text.endswith('\n')


def test_no_bar_in_a_pipe_or_log():
    stream = io.StringIO()
    assert list(progress(range(4), stream=stream)) == [0, 1, 2, 3]
    assert stream.getvalue() == ''
