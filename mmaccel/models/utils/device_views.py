"""MMPretrain's view transforms, run on a batch on its device by kornia.

:func:`build_view_ops` reads a view pipeline written as MMPretrain's
(``RandomResizedCrop``, ``RandomFlip``, ``RandomApply``, ``ColorJitter``,
``RandomGrayscale``, ``GaussianBlur``, ``Solarize``) and gives one op per
transform. An op draws each sample's parameters from that sample's own
uniform numbers (a row of ``u``, ``op.num_draws`` of them) with the
distribution of MMPretrain's transform (:meth:`draw`), then applies kornia's
augmentation module to the whole batch with them (:meth:`apply`). kornia's
own parameter generators draw from torch's global generator for a whole batch
at once, and calling them per sample is slow (measured in
``docs/benchmarks.md``, "Augmentation on the device"); drawing here makes
each sample's view a function of its row alone.

Images are float in [0, 1], channels in the order that kornia's colour
transforms read as RGB.
"""
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F

from mmaccel.utils.errors import ConfigError

__all__ = ['build_view_ops', 'SUPPORTED']

# kornia's own probability only picks its code path: any value in (0, 1) makes
# it follow each sample's decision in ``batch_prob`` (at 1 it ignores them).
_GATED = 0.5


def _kornia():
    try:
        import kornia.augmentation as K
    except ImportError as e:  # pragma: no cover - kornia is a core requirement
        raise ConfigError('MultiViewDataPreprocessor needs kornia: `pip '
                          f'install kornia==0.9.0` ({e})') from e
    return K


def _params(x: torch.Tensor, apply: torch.Tensor, **kw) -> Dict:
    """kornia's parameter dict for a batch ``x``. On the CPU, as kornia's
    own generators leave them: its transforms move what they need to the
    images' device, and its checks of factors (ColorJitter skips a neutral
    adjustment) then read them without waiting for the device."""
    params = {k: v.to(torch.float32) for k, v in kw.items()}
    params['batch_prob'] = apply.to(torch.float32)
    params['forward_input_shape'] = torch.tensor(x.shape, dtype=torch.long)
    return params


class _Op:
    """One transform of a view. ``draw`` gives the per-sample parameters
    (CPU tensors with N rows; ``apply`` says which samples change), ``gate``
    (N,) is an enclosing RandomApply's decision or None."""
    num_draws = 1
    prob = 1.

    def draw(self, u: torch.Tensor, size, gate=None) -> dict:
        apply = u[:, 0] < self.prob
        return dict(apply=apply if gate is None else apply & gate)

    def apply(self, x: torch.Tensor, p: dict) -> torch.Tensor:
        if not p['apply'].any():
            return x
        extra = {k: v for k, v in p.items() if k != 'apply'}
        return self.module(x, params=_params(x, p['apply'], **extra))

    def __call__(self, x, u, gate=None):
        return self.apply(x, self.draw(u, x.shape[-2:], gate))


def _box(x0, y0, x1, y1):
    """N x 4 x 2 corners (x, y), clockwise from the top left, as kornia's."""
    return torch.stack([
        torch.stack(c, -1) for c in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    ], 1)


class _ResizedCrop(_Op):
    """MMPretrain's ``RandomResizedCrop``: up to ``max_attempts`` draws of an
    area fraction (uniform) and an aspect ratio (log-uniform), the first that
    fits, a uniform offset; else the central crop within the ratio range.

    kornia resamples all crops at once (``cropping_mode='resample'``, one
    warp). This equals cropping and resizing with half-pixel centres, except
    that the outermost output pixels of an enlarged crop also read the
    image's pixels just outside it where PIL repeats the crop's edge, and
    that a shrunk crop is not antialiased as PIL's is (Fashion-MNIST's crops
    are only enlarged)."""

    def __init__(self, scale, crop_ratio_range=(0.08, 1.0),
                 aspect_ratio_range=(3. / 4., 4. / 3.), max_attempts=10,
                 interpolation='bilinear'):
        if interpolation not in ('nearest', 'bilinear', 'bicubic'):
            raise ConfigError(
                f'RandomResizedCrop: interpolation={interpolation!r} has no '
                "kornia counterpart; use 'nearest', 'bilinear' or 'bicubic'")
        self.size = (scale, scale) if isinstance(scale, int) else tuple(scale)
        self.scale = tuple(crop_ratio_range)
        self.ratio = tuple(aspect_ratio_range)
        self.attempts = max_attempts
        self.num_draws = 2 * max_attempts + 2
        self.module = _kornia().RandomResizedCrop(
            self.size, scale=self.scale, ratio=self.ratio,
            resample=interpolation, cropping_mode='resample',
            align_corners=False)

    def draw(self, u, size, gate=None):
        """``box``: N x 4, (x, y, width, height) of each crop in pixels."""
        if gate is not None:
            raise ConfigError('RandomResizedCrop cannot sit in a RandomApply: '
                              'every view of a batch needs the same size')
        (h, w), a, (lo, hi) = size, self.attempts, self.scale
        area = (lo + u[:, :a] * (hi - lo)) * (h * w)
        r0, r1 = math.log(self.ratio[0]), math.log(self.ratio[1])
        ratio = torch.exp(r0 + u[:, a:2 * a] * (r1 - r0))
        cw = torch.round(torch.sqrt(area * ratio))
        ch = torch.round(torch.sqrt(area / ratio))
        fits = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h)
        first = fits.int().argmax(1)  # the first attempt that fits
        rows = torch.arange(len(u))
        cw, ch, ok = cw[rows, first], ch[rows, first], fits.any(1)
        # no attempt fits: the central crop, as MMPretrain's fallback
        if w / h < min(self.ratio):
            fw, fh = w, round(w / min(self.ratio))
        elif w / h > max(self.ratio):
            fw, fh = round(h * max(self.ratio)), h
        else:
            fw, fh = w, h
        cw = torch.where(ok, cw, torch.full_like(cw, fw))
        ch = torch.where(ok, ch, torch.full_like(ch, fh))
        oy = torch.floor(u[:, 2 * a] * (h - ch + 1)).clamp(max=h - ch)
        ox = torch.floor(u[:, 2 * a + 1] * (w - cw + 1)).clamp(max=w - cw)
        oy = torch.where(ok, oy, torch.div(h - ch, 2, rounding_mode='floor'))
        ox = torch.where(ok, ox, torch.div(w - cw, 2, rounding_mode='floor'))
        return dict(apply=torch.ones(len(u), dtype=torch.bool),
                    box=torch.stack([ox, oy, cw, ch], 1))

    def apply(self, x, p):
        # kornia maps the box corners onto each other: boxes on the pixel
        # edges make that the half-pixel rule of PIL's and cv2's resize. A
        # border of repeated edge pixels stands in for PIL's clamping where a
        # crop at the image's edge is enlarged (kornia pads with zeros).
        x = F.pad(x, (1, 1, 1, 1), mode='replicate')
        n, (oh, ow) = x.shape[0], self.size
        ox, oy, cw, ch = p['box'].unbind(1)
        out = [torch.full((n, ), v, dtype=ox.dtype)
               for v in (-.5, -.5, ow - .5, oh - .5)]
        params = _params(
            x, p['apply'], src=_box(ox + .5, oy + .5, ox + cw + .5,
                                    oy + ch + .5), dst=_box(*out))
        params['input_size'] = torch.tensor([x.shape[-2:]]).expand(n, 2)
        params['output_size'] = torch.tensor([self.size]).expand(n, 2)
        return self.module(x, params=params)


class _Flip(_Op):
    """mmcv's ``RandomFlip`` with one direction."""

    def __init__(self, prob=None, direction='horizontal'):
        if not isinstance(prob, (int, float)) or direction not in (
                'horizontal', 'vertical'):
            raise ConfigError(
                f'RandomFlip: prob={prob!r}, direction={direction!r}; a '
                "number and 'horizontal' or 'vertical' are supported")
        self.prob = float(prob)
        K = _kornia()
        flip = (K.RandomHorizontalFlip
                if direction == 'horizontal' else K.RandomVerticalFlip)
        self.module = flip(p=_GATED)


def _jitter_range(value, name, center=1., bound=(0, float('inf'))):
    """MMPretrain's ``ColorJitter._set_range``: None when neutral."""
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigError(f'ColorJitter: {name}={value} must be >= 0')
        value = (center - value, center + value)
    lo, hi = max(value[0], bound[0]), min(value[1], bound[1])
    return None if lo == hi == center else (lo, hi)


class _ColorJitter(_Op):
    """MMPretrain's ``ColorJitter``: a factor per adjustment and a random
    order per sample (kornia takes one order per call, so the samples are
    grouped by their order: at most 4! calls)."""
    num_draws = 8
    NEUTRAL = (1., 1., 1., 0.)
    KEYS = ('brightness_factor', 'contrast_factor', 'saturation_factor',
            'hue_factor')

    def __init__(self, brightness=0., contrast=0., saturation=0., hue=0.,
                 channels=None):
        self.ranges = [
            _jitter_range(brightness, 'brightness'),
            _jitter_range(contrast, 'contrast'),
            _jitter_range(saturation, 'saturation'),
            _jitter_range(hue, 'hue', center=0., bound=(-0.5, 0.5))
        ]
        if channels == 1 and (self.ranges[2] or self.ranges[3]):
            raise ConfigError(
                f'ColorJitter: saturation={saturation}, hue={hue} on '
                'one-channel images (mean has one value); set them to 0')
        self.active = [i for i, r in enumerate(self.ranges) if r]
        self.module = _kornia().ColorJitter(p=1.)

    def draw(self, u, size, gate=None):
        """``factors``: N x 4 (brightness, contrast, saturation, hue, neutral
        where not set); ``order``: N x k, the active adjustments in the order
        applied."""
        n = len(u)
        factors = torch.tensor(self.NEUTRAL, dtype=u.dtype).repeat(n, 1)
        for i in self.active:
            lo, hi = self.ranges[i]
            factors[:, i] = lo + u[:, i] * (hi - lo)
        ranks = u[:, 4:8][:, self.active].argsort(1)  # a uniform permutation
        return dict(apply=torch.ones(n, dtype=torch.bool) if gate is None
                    else gate, factors=factors,
                    order=torch.tensor(self.active, dtype=torch.long)[ranks])

    def apply(self, x, p):
        chosen = torch.nonzero(p['apply']).flatten()
        if not len(chosen):
            return x
        out, orders = x.clone(), p['order'][chosen]
        for order in torch.unique(orders, dim=0):
            idx = chosen[(orders == order).all(1)]
            on_device = idx.to(x.device)
            sub = x[on_device]
            params = _params(sub, torch.ones(len(idx)), **{
                k: p['factors'][idx, i] for i, k in enumerate(self.KEYS)})
            params['order'] = order
            out[on_device] = self.module(sub, params=params)
        return out


class _Grayscale(_Op):
    """mmcv's ``RandomGrayscale`` (``keep_channels=True``), its weights in
    the image's channel order, normalised to sum to one; nothing to do on
    one-channel images."""

    def __init__(self, prob=0.1, keep_channels=False,
                 channel_weights=(1., 1., 1.), color_format='bgr',
                 reverse=False):
        if not keep_channels or color_format == 'hsv':
            raise ConfigError(
                f'RandomGrayscale: keep_channels={keep_channels}, color_format'
                f'={color_format!r}; keep_channels=True and a bgr or rgb '
                'image are supported (every view keeps its channels)')
        w = torch.tensor(channel_weights, dtype=torch.float32)
        w = (w / w.sum()).flip(0) if reverse else w / w.sum()
        self.prob = prob
        self.module = _kornia().RandomGrayscale(rgb_weights=w, p=_GATED)

    def apply(self, x, p):
        return x if x.shape[1] == 1 else super().apply(x, p)


def _magnitude(cfg: dict, name: str, key: str):
    """The (low, high) range of an MMPretrain ``BaseAugTransform`` setting:
    fixed (``key`` given, or ``magnitude_std=0``) or uniform
    (``magnitude_std='inf'``)."""
    if cfg.get(key) is not None:
        return (float(cfg[key]), ) * 2
    v1, v2 = cfg.get('magnitude_range', (None, None))
    level, total = cfg.get('magnitude_level', 10), cfg.get('total_level', 10)
    std = cfg.get('magnitude_std', 0.)
    if v1 is None or std not in (0, 'inf'):
        raise ConfigError(
            f'{name}: {key}, or magnitude_range with magnitude_std 0 or '
            f"'inf', is supported; got {cfg}")
    top = level / total * (v2 - v1) + v1
    return (v1, top) if std == 'inf' else (top, top)


class _GaussianBlur(_Op):
    """MMPretrain's ``GaussianBlur`` (PIL's, whose radius is the standard
    deviation) with kornia's Gaussian kernel of ±3 sigma_max and replicated
    edges, as PIL's."""
    num_draws = 2

    def __init__(self, prob=0.5, **cfg):
        self.sigma, self.prob = _magnitude(cfg, 'GaussianBlur', 'radius'), prob
        k = 2 * math.ceil(3 * self.sigma[1]) + 1
        self.module = _kornia().RandomGaussianBlur(
            (k, k), self.sigma, border_type='replicate', p=_GATED)

    def draw(self, u, size, gate=None):
        """``sigma``: N, the standard deviation of each sample's blur."""
        lo, hi = self.sigma
        return dict(super().draw(u, size, gate),
                    sigma=lo + u[:, 1] * (hi - lo))


class _Solarize(_Op):
    """MMPretrain's ``Solarize``: values at or above ``thr`` (on 0..255)
    become ``255 - value``."""

    def __init__(self, prob=0.5, **cfg):
        thr = _magnitude(cfg, 'Solarize', 'thr')
        if thr[0] != thr[1]:
            raise ConfigError(f'Solarize: a fixed thr is supported; got {cfg}')
        self.thr, self.prob = thr[0] / 255., prob
        self.module = _kornia().RandomSolarize(0., 0., p=_GATED)

    def draw(self, u, size, gate=None):
        n = len(u)
        return dict(super().draw(u, size, gate),
                    thresholds=torch.full((n, ), self.thr),
                    additions=torch.zeros(n))


class _RandomApply(_Op):
    """mmcv's ``RandomApply``: one draw decides for all its transforms."""

    def __init__(self, ops: List[_Op], prob=0.5):
        self.ops, self.prob = ops, prob
        self.num_draws = 1 + sum(op.num_draws for op in ops)

    def draw(self, u, size, gate=None):
        """``inner``: the parameters of the wrapped transforms."""
        p, at, inner = super().draw(u, size, gate), 1, []
        for op in self.ops:
            inner.append(op.draw(u[:, at:at + op.num_draws], size, p['apply']))
            at += op.num_draws
        return dict(p, inner=inner)

    def apply(self, x, p):
        for op, q in zip(self.ops, p['inner']):
            x = op.apply(x, q)
        return x


SUPPORTED = ('RandomResizedCrop', 'RandomFlip', 'RandomApply', 'ColorJitter',
             'RandomGrayscale', 'GaussianBlur', 'Solarize')
_OPS = dict(RandomResizedCrop=_ResizedCrop, RandomFlip=_Flip,
            GaussianBlur=_GaussianBlur, Solarize=_Solarize)


def _build(cfg: dict, where: str, channels: Optional[int], to_rgb: bool):
    cfg = dict(cfg)
    kind = cfg.pop('type', None)
    cfg.pop('backend', None)  # the CPU library of the PIL/cv2 transform
    try:
        if kind == 'RandomApply':
            inner = [
                _build(t, f'{where}.transforms[{i}]', channels, to_rgb)
                for i, t in enumerate(cfg.pop('transforms'))
            ]
            return _RandomApply(inner, **cfg)
        if kind == 'ColorJitter':
            return _ColorJitter(channels=channels, **cfg)
        if kind == 'RandomGrayscale':
            return _Grayscale(reverse=to_rgb, **cfg)
        if kind not in _OPS:
            raise ConfigError(f"type={kind!r} is not supported; supported: "
                              f"{', '.join(SUPPORTED)}")
        return _OPS[kind](**cfg)
    except (ConfigError, TypeError) as e:
        if str(e).startswith('MultiViewDataPreprocessor'):
            raise  # from a transform inside a RandomApply, already placed
        raise ConfigError(f'MultiViewDataPreprocessor: {where}: {e}') from e


def build_view_ops(pipeline: Sequence[dict], where: str = 'transforms[0]',
                   channels: Optional[int] = None,
                   to_rgb: bool = False) -> List[_Op]:
    """The ops of one view pipeline written as MMPretrain's.

    Args:
        pipeline (Sequence[dict]): MMPretrain transform configs.
        where (str): How a message names this pipeline.
            Defaults to ``'transforms[0]'``.
        channels (int, optional): Channels of the images, to reject colour
            settings on gray images. Defaults to None (not checked).
        to_rgb (bool): The images were converted from BGR before the
            transforms, so per-channel weights given in BGR order are
            reversed. Defaults to False.

    Returns:
        list: Ops with ``num_draws``, ``draw(u, size)`` and ``apply(x, p)``.

    Raises:
        ConfigError: A transform or setting without a kornia counterpart here,
            named with its position.
    """
    return [
        _build(t, f'{where}[{i}]', channels, to_rgb)
        for i, t in enumerate(pipeline)
    ]
