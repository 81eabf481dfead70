"""Train with an MMEngine Runner: ``python tools/train.py CONFIG [options]``.

Like MMPretrain's ``tools/train.py``, plus: mmaccel is imported (registers
its components; configs may inherit ``mmpretrain::`` bases), distributed runs
work on CPU (gloo), every config gets mmaccel's resume-safe loop and checkpoint
hook and its checks before the first iteration (``use_reliable_runtime``; see
docs/reliability.md), ``--cfg-options`` keys must name something in the config
(``+key=value`` adds a new one), and a bad input (setting, data file,
checkpoint) ends with a one-line ``error: ...`` on stderr and exit status 1,
as does any other error (``--debug`` or ``MMACCEL_DEBUG=1`` shows its
traceback; mmaccel.utils.error_report).

The options and the Runner are built by :mod:`mmaccel.apis.train`
(``train_arg_parser``, ``build_runner``); ``--help`` lists the options.
"""
from mmaccel.apis import train_main


def main(argv=None):
    """Parse the command line, build the Runner, train."""
    train_main(argv)


if __name__ == '__main__':
    main()
