"""Keypoint schedules of ``PartialBackpropHook``: a value as a function of
the share of training done (``progress`` in ``[0, 1]``).

Two readings of a list of keypoints ``[(progress, value), ...]``:

- :func:`linear_at` (crop ratios): linear between keypoints, constant
  before the first and after the last. A progress may appear twice in a
  row to make a jump: ``[(0, .75), (.7, .75), (.7, 1.)]`` holds 0.75 up to
  70 % of training and 1 from there on (the later keypoint wins at 0.7).
- :func:`step_at` (update windows, whole numbers of stages): each value
  holds from its keypoint's progress until the next keypoint; before the
  first keypoint, the first value.

Both are pure functions of ``progress``, so every rank and a resumed run get
the same values.
"""
import bisect
from typing import Any, Callable, List, Optional, Tuple

Keypoints = List[Tuple[float, Any]]


def check_keypoints(name: str, points, check_value: Callable[[Any], Any],
                    allowed: str, jumps: bool = False) -> Keypoints:
    """Validate keypoints ``[(progress, value), ...]``.

    Args:
        name (str): The argument's name, for the messages.
        points: The keypoints.
        check_value (callable): Returns the checked value or raises
            ``ValueError``/``TypeError``.
        allowed (str): What a value may be, for the messages.
        jumps (bool): Whether two consecutive keypoints may share a progress
            (a jump). Defaults to False.

    Returns:
        list[tuple]: ``(float progress, value)`` pairs.
    """
    prefix = f'PartialBackpropHook: {name}'
    try:
        pairs = [(p, v) for p, v in points]
    except (TypeError, ValueError):
        pairs = []
    if not pairs:
        raise ValueError(f'{prefix} must be a non-empty list of (progress, '
                         f'value) keypoints; got {points!r}')
    checked = []
    for p, v in pairs:
        if isinstance(p, bool) or not isinstance(p, (int, float)) \
                or not 0 <= p <= 1:
            raise ValueError(f'{prefix}: progress must be a number in [0, 1]; '
                             f'got {p!r} in {points!r}')
        try:
            checked.append((float(p), check_value(v)))
        except (TypeError, ValueError):
            raise ValueError(f'{prefix}: values must be {allowed}; got {v!r} '
                             f'at progress {p}') from None
    progress = [p for p, _ in checked]
    repeats = [progress[i:i + 3] for i in range(len(progress) - 2)
               if progress[i] == progress[i + 2]]
    if progress != sorted(progress) or repeats or (
            not jumps and len(set(progress)) != len(progress)):
        rule = 'non-decreasing (a progress at most twice: a jump)' if jumps \
            else 'distinct and increasing'
        raise ValueError(f'{prefix}: keypoint progress values must be {rule};'
                         f' got {tuple(progress)!r}')
    return checked


def linear_at(points: Keypoints, progress: float) -> float:
    """Value at ``progress``, linear between keypoints (see module doc)."""
    keys = [p for p, _ in points]
    i = bisect.bisect_right(keys, progress)
    if i == 0:
        return points[0][1]
    if i == len(keys):
        return points[-1][1]
    (p0, a), (p1, b) = points[i - 1], points[i]
    return a + (b - a) * (progress - p0) / (p1 - p0)


def step_at(points: Keypoints, progress: float):
    """Value of the last keypoint at or before ``progress`` (see module
    doc)."""
    i = bisect.bisect_right([p for p, _ in points], progress)
    return points[max(i, 1) - 1][1]


def check_crop_ratio(value) -> float:
    """A crop ratio in (0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0 < value <= 1:
        raise ValueError(value)
    return float(value)


def check_window(value) -> Optional[int]:
    """An update window: None or an integer >= 1."""
    if value is not None and (isinstance(value, bool)
                              or not isinstance(value, int) or value < 1):
        raise ValueError(value)
    return value
