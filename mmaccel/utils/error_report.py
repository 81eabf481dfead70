"""One line for every error of a tool: ``error: <message>`` on stderr, exit 1.

Every tool's ``main`` is wrapped by :func:`report_errors`, and this module is
the one place where an exception becomes that line (no traceback, unless
``--debug`` or ``MMACCEL_DEBUG=1`` asks for one):

- mmaccel's own errors (:class:`~mmaccel.utils.MMAccelError`) already name
  the setting, the value and what is allowed: their message as it is;
- a config file that does not parse or run: the file and the line;
- an exception raised while MMEngine builds a component of the config (an
  assertion in an upstream constructor, torch's check of an optimizer
  argument): the config key of that component and, when the message names
  one of its arguments or shows its value, that setting with its value
  (``model.momentum=1.5``, ``optim_wrapper.optimizer.lr=-0.1``), then the
  upstream message. The component comes from the traceback: the config dict
  of the innermost ``build_from_cfg`` call (or Runner ``build_*`` method,
  :data:`RUNNER_BUILDS`), found again in the run's config;
- anything else: its type and message, the component being built when there
  is one, and how to get the traceback.
"""
import ast
import difflib
import functools
import linecache
import os
import os.path as osp
import re
import sys
from typing import Any, Callable, Iterator, List, Optional, Tuple

from .config_tree import lookup, plain_tree, walk
from .errors import MMAccelError

__all__ = [
    'report_errors', 'one_line', 'add_debug_argument', 'debug_requested',
    'DEBUG_ENV'
]

DEBUG_ENV = 'MMACCEL_DEBUG'
DEBUG_HINT = f'--debug (or {DEBUG_ENV}=1) shows the traceback'

# Runner methods that build a component from a config dict: method -> the
# argument holding that dict (the registry's build_from_cfg frames are found
# by their ``cfg`` argument).
RUNNER_BUILDS = {
    'build_model': 'model',
    'build_dataloader': 'dataloader',
    'build_optim_wrapper': 'optim_wrapper',
    'build_param_scheduler': 'scheduler',
    'build_train_loop': 'loop',
    'build_val_loop': 'loop',
    'build_test_loop': 'loop',
    'build_evaluator': 'evaluator',
    'register_hook': 'hook',
}
_BUILD_FILES = (osp.join('mmengine', 'registry', 'build_functions.py'), )
_RUNNER_FILE = osp.join('mmengine', 'runner', 'runner.py')
_CONFIG_FILE = osp.join('mmengine', 'config', 'config.py')

# What upstream messages leave out: what is allowed.
ALLOWED = [
    (re.compile(r'^Invalid (learning rate|momentum value|weight_decay value|'
                r'epsilon value|dampening value|lr_decay value|alpha value|'
                r'rho value|initial_accumulator_value value)\b'),
     'allowed: 0 or more'),
    (re.compile(r'^Invalid beta parameter'), 'allowed: 0 <= beta < 1'),
]


def add_debug_argument(parser) -> None:
    """Add ``--debug`` (show the traceback of an error) to a tool's parser."""
    parser.add_argument(
        '--debug',
        action='store_true',
        help='on an error, show the traceback instead of one line (also: '
        f'{DEBUG_ENV}=1)')


def debug_requested(argv: Optional[List[str]] = None) -> bool:
    """``--debug`` among the arguments, or ``MMACCEL_DEBUG`` set (not 0)."""
    if os.environ.get(DEBUG_ENV, '').lower() not in ('', '0', 'false', 'no'):
        return True
    return '--debug' in (sys.argv[1:] if argv is None else argv)


def report_errors(main: Callable) -> Callable:
    """Wrap a tool's ``main``: an exception ends it with one line on stderr
    (:func:`one_line`) and exit status 1, or, with ``--debug`` (in
    ``main``'s first argument, a list of arguments, or else in
    ``sys.argv``) or ``MMACCEL_DEBUG=1``, raises on with its traceback.
    ``SystemExit`` and ``KeyboardInterrupt`` pass through."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        argv = args[0] if args and isinstance(args[0], (list, tuple)) \
            else kwargs.get('argv')
        try:
            return main(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - every error gets its line
            if debug_requested(argv):
                raise
            try:
                message = one_line(e)
            except Exception:  # noqa: BLE001 - never hide the error itself
                message = f'{type(e).__name__}: {_flat(str(e))}; {DEBUG_HINT}'
            sys.stdout.flush()
            print(f'error: {message}', file=sys.stderr, flush=True)
            sys.exit(1)

    return wrapper


# ------------------------------------------------------------------ messages
def one_line(exc: BaseException) -> str:
    """The one-line message for ``exc`` (without ``error: ``)."""
    if isinstance(exc, MMAccelError):
        return _flat(str(exc))
    frames = list(_frames(exc))
    return (_config_file_error(exc, frames) or _build_error(exc, frames)
            or f'{_described(exc, frames)}; {DEBUG_HINT}')


def _flat(text: str) -> str:
    return ' '.join(line.strip() for line in text.strip().splitlines()
                    if line.strip())


def _frames(exc: BaseException) -> Iterator[Tuple[Any, int]]:
    """``(frame, line)`` of the traceback, outermost first."""
    tb = exc.__traceback__
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _in(frame, path: str) -> bool:
    return frame.f_code.co_filename.endswith(path)


def _message(exc: BaseException, frames) -> str:
    """The exception's message; an empty assertion shows its source line."""
    if isinstance(exc, KeyError) and len(exc.args) == 1 \
            and isinstance(exc.args[0], str):
        text = exc.args[0]  # str() of a KeyError is its repr
    else:
        text = str(exc)
    if not text.strip() and isinstance(exc, AssertionError) and frames:
        frame, line = frames[-1]
        source = linecache.getline(frame.f_code.co_filename, line).strip()
        text = f'`{source}` failed' if source else 'an assertion failed'
    text = _flat(text)
    cause = exc.__cause__
    if cause is not None and str(cause).strip():
        text += f' ({type(cause).__name__}: {_flat(str(cause))})'
    return text


def _described(exc: BaseException, frames) -> str:
    text = _message(exc, frames)
    name = type(exc).__name__
    return f'{name}: {text}' if text else name


# -------------------------------------------------------------- config files
def _config_file_error(exc: BaseException, frames) -> Optional[str]:
    """A config file that cannot be read, parsed or run."""
    loading = [(f, line) for f, line in frames if _in(f, _CONFIG_FILE)
               and isinstance(f.f_locals.get('filename'), str)
               and f.f_code.co_name in ('fromfile', '_file2dict',
                                        '_is_lazy_import', '_get_base_files',
                                        '_validate_py_syntax')]
    if not loading:
        return None
    # the innermost file being loaded (a base when a base fails); frames of
    # _file2dict hold the original name, the others may hold a temporary copy
    names = [f.f_locals['filename'] for f, _ in loading
             if f.f_code.co_name in ('fromfile', '_file2dict')
             or not osp.basename(f.f_locals['filename']).startswith('tmp')]
    names = [osp.normpath(n) for n in names]
    path = names[-1] if names else loading[-1][0].f_locals['filename']
    if isinstance(exc, SyntaxError):
        found = _syntax_error(path)
        if found is not None:
            return found
    missing = osp.normpath(getattr(exc, 'filename', None) or path)
    if isinstance(exc, FileNotFoundError) and not osp.exists(missing):
        parents = [n for n in names
                   if osp.abspath(n) != osp.abspath(missing)]
        if parents:
            return f'config {parents[-1]}: its _base_ {missing} does not exist'
        return f'config {missing} does not exist'
    # an error while the config's code runs: the line in the config file
    line = next((n for f, n in reversed(frames)
                 if osp.abspath(f.f_code.co_filename) == osp.abspath(path)),
                None)
    where = f'config {path}' + (f', line {line}' if line else '')
    if isinstance(exc, ImportError) and exc.__cause__ is not None:
        return (f'{where}: custom_imports: '
                f'{_described(exc.__cause__, frames)}')
    return f'{where}: {_described(exc, frames)}'


def _syntax_error(path: str) -> Optional[str]:
    """``config FILE, line N: <what> ...`` for a file that does not parse."""
    try:
        with open(path, encoding='utf-8') as f:
            ast.parse(f.read(), filename=path)
    except SyntaxError as e:
        text = (e.text or '').strip()
        return (f'config {path}, line {e.lineno}: {e.msg}'
                + (f': {text}' if text else ''))
    except OSError:
        return None
    return None


# ------------------------------------------------------ components and keys
def _type_name(value) -> str:
    name = value if isinstance(value, str) else getattr(
        value, '__name__', '')
    return str(name).split('.')[-1]


def _built_cfgs(frames) -> List[dict]:
    """Config dicts being built, outermost first."""
    found = []
    for frame, _ in frames:
        if any(_in(frame, p) for p in _BUILD_FILES):
            cfg = frame.f_locals.get('cfg')
        elif _in(frame, _RUNNER_FILE) and frame.f_code.co_name in \
                RUNNER_BUILDS:
            cfg = frame.f_locals.get(RUNNER_BUILDS[frame.f_code.co_name])
        else:
            continue
        if isinstance(cfg, dict) and (not found or cfg is not found[-1]):
            found.append(cfg)
    return found


def _run_config(frames) -> Optional[dict]:
    """The innermost mmengine ``Config`` that the frames hold (a tool's
    ``cfg``, or a Runner's ``self.cfg``), as plain dicts."""
    from mmengine.config import Config
    for frame, _ in reversed(frames):
        values = list(frame.f_locals.values())
        owner = frame.f_locals.get('self')
        if owner is not None and not isinstance(owner, Config):
            try:
                values.append(getattr(owner, 'cfg', None))
            except Exception:  # noqa: BLE001 - a property that fails
                pass
        for value in values:
            if isinstance(value, Config):
                try:
                    return plain_tree(value)
                except Exception:  # noqa: BLE001 - then no keys, only names
                    return None
    return None


def _equal(a, b) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - tensors and the like
        return False


def _match(node: dict, cfg: dict) -> Optional[float]:
    """How well a config dict ``node`` is the dict ``cfg`` being built (None:
    not at all). Types must agree; the keys both have must be equal; keys
    only the node has (popped before building) count against it."""
    if ('type' in node) != ('type' in cfg) or (
            'type' in node
            and _type_name(node['type']) != _type_name(cfg['type'])):
        return None
    common = [k for k in node if k in cfg and k not in ('type', '_scope_')]
    if any(not _equal(node[k], cfg[k]) for k in common):
        return None
    if not common and 'type' not in node:
        return None
    only_node = [k for k in node if k not in cfg and k != '_scope_']
    return len(common) - 0.5 * len(only_node)


def _locate(tree: dict, cfgs: List[dict]) -> Optional[str]:
    """Config key of the innermost of ``cfgs`` (nested builds, outermost
    first): each is looked for inside the key of the one around it first
    (a backbone inside its model), then anywhere (a loop builds its
    dataloader from another key)."""
    nodes = [(path, value) for path, _, value in walk(tree)
             if isinstance(value, dict)]
    prefix = None
    for cfg in cfgs:
        found = [(score, path) for path, node in nodes
                 if (score := _match(node, cfg)) is not None]
        if prefix is not None:
            found = [(s, p) for s, p in found
                     if p.startswith(prefix + '.')] or found
        if found:
            best = max(s for s, _ in found)
            prefix = next(p for s, p in found if s == best)
    return prefix


def _format(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _mentions_value(value, text: str) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        shown = [str(value)]
    elif isinstance(value, str) and len(value) > 1:
        shown = [value]
    elif isinstance(value, (list, tuple)) and len(str(value)) > 2:
        shown = [str(value), str(list(value))]
    else:
        return False
    return any(
        re.search(rf'(?<![\w.\-]){re.escape(s)}(?![\w]|\.\d)', text)
        for s in shown)


def _setting(node: dict, text: str) -> Optional[str]:
    """The argument of ``node`` that ``text`` is about: its value shown
    (2 points), its name named (1 point); None unless one scores best."""
    scores = {}
    for key, value in node.items():
        if key == '_scope_' or isinstance(value, dict):
            continue
        named = key != 'type' and re.search(
            rf'(?<!\w){re.escape(str(key))}(?!\w)', text)
        score = 2 * _mentions_value(value, text) + bool(named)
        if score:
            scores[key] = score
    if not scores:
        return None
    best = max(scores.values())
    keys = [k for k, s in scores.items() if s == best]
    return keys[0] if len(keys) == 1 else None


_UNREGISTERED = re.compile(r'^(\S+) is not in the (\S+) registry\.')


def _registry_names(frames) -> List[str]:
    """Names in the registry (and its parents) of the innermost build."""
    registry = next((f.f_locals.get('registry') for f, _ in reversed(frames)
                     if any(_in(f, p) for p in _BUILD_FILES)), None)
    names = []
    while registry is not None:
        names += list(getattr(registry, 'module_dict', {}))
        registry = getattr(registry, 'parent', None)
    return names


def _unregistered(text: str, frames) -> str:
    """MMEngine's long "not in the registry" message, short, with the
    nearest registered name."""
    found = _UNREGISTERED.match(text)
    if not found:
        return text
    close = difflib.get_close_matches(found.group(1), _registry_names(frames),
                                      1, 0.6)
    return (f'{found.group(1)} is not in the {found.group(2)} registry'
            + (f' (did you mean {close[0]!r}?)' if close else '')
            + '; a component of another package must be imported '
            '(custom_imports)')


def _build_error(exc: BaseException, frames) -> Optional[str]:
    """An exception raised while a component of the config was built."""
    cfgs = _built_cfgs(frames)
    typed = [c for c in cfgs if 'type' in c]
    if not cfgs:
        return None
    component = _type_name(typed[-1]['type']) if typed else None
    tree = _run_config(frames)
    path = _locate(tree, cfgs) if tree is not None else None
    text = _unregistered(_message(exc, frames), frames)
    allowed = next((a for pattern, a in ALLOWED if pattern.search(text)), '')
    if path is not None:
        node = lookup(tree, path)
        key = _setting(node, text)
        component = _type_name(node['type']) if 'type' in node else None
        if key is not None:
            by = f' ({component})' if component and key != 'type' else ''
            return (f'{path}.{key}={_format(node[key])}{by}: {text}'
                    + (f' ({allowed})' if allowed else ''))
        what = f'{path} ({component})' if component else path
        return (f'{what} cannot be built: {_described(exc, frames)}'
                + (f' ({allowed})' if allowed else '') + f'; {DEBUG_HINT}')
    if component is None:
        return None
    return (f'building {component}: {_described(exc, frames)}'
            + (f' ({allowed})' if allowed else '') + f'; {DEBUG_HINT}')
