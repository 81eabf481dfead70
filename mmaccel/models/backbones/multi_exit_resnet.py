from contextlib import nullcontext
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from mmpretrain.models.backbones import ResNet

from mmaccel.registry import MODELS


def check_stage_numbers(name: str, value, num_stages: int) -> Tuple[int, ...]:
    """Validate a sorted tuple of distinct stage numbers in
    ``1..num_stages``."""
    allowed = f'distinct stage numbers in 1..{num_stages}, in increasing order'
    try:
        stages = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f'{name} must be a sequence of {allowed}; '
                        f'got {value!r}') from None
    if (not stages or any(s < 1 or s > num_stages for s in stages)
            or list(stages) != sorted(set(stages))):
        raise ValueError(f'{name} must be {allowed} (a non-empty sequence); '
                         f'got {tuple(value)!r}')
    return stages


# cut(stage, maps) -> maps: the maps of all passes after ``stage`` in, the
# maps that the next stage gets out (a selector's crops, or a shape probe's)
Cut = Callable[[int, List[torch.Tensor]], List[torch.Tensor]]


def forward_in_lockstep(backbones: Sequence['MultiExitResNet'],
                        inputs: Sequence[torch.Tensor],
                        last: int,
                        cut: Optional[Cut] = None,
                        cut_after: Sequence[int] = (),
                        grad_from: Optional[Sequence[int]] = None
                        ) -> List[torch.Tensor]:
    """The stage loop: several passes stepped stage by stage, in lockstep.

    Every pass runs the stem, then stages ``1..last`` one at a time, all
    passes at each stage in the order given (so that a backbone shared by
    passes sees their batches in that order). After each stage of
    ``cut_after`` before ``last``, ``cut`` gets the maps of all passes and
    returns those that the next stage gets. The map after ``last`` is never
    cut: an exit's loss is taken on its whole map.

    Args:
        backbones (Sequence[MultiExitResNet]): One per pass (may repeat).
        inputs (Sequence[Tensor]): One batch per pass.
        last (int): The last stage to run; 0 runs the stem alone.
        cut (Cut, optional): ``cut(stage, maps) -> maps``. Defaults to None:
            no cut.
        cut_after (Sequence[int]): Stages after which to cut. Defaults to
            ``()``.
        grad_from (Sequence[int], optional): Per pass, the first stage that
            runs under the caller's grad mode (the stem with it only when it
            is 1); earlier ones run under ``no_grad``. Defaults to 1 for
            every pass.

    Returns:
        list[Tensor]: Each pass's map after stage ``last``.
    """
    if len(backbones) != len(inputs):
        raise ValueError(f'forward_in_lockstep: {len(backbones)} backbones '
                         f'for {len(inputs)} inputs')
    num_stages = min(len(b.res_layers) for b in backbones)
    if not 0 <= last <= num_stages:
        raise ValueError(f'forward_in_lockstep: last must be a stage number '
                         f'in 0..{num_stages}; got {last!r}')
    grad_from = grad_from or [1] * len(inputs)

    def ctx(i: int, stage: int):
        return (nullcontext()
                if max(stage, 1) >= grad_from[i] else torch.no_grad())

    maps = []
    for i, (backbone, x) in enumerate(zip(backbones, inputs)):
        with ctx(i, 0):
            maps.append(backbone.forward_stem(x))
    for stage in range(1, last + 1):
        for i, backbone in enumerate(backbones):
            with ctx(i, stage):
                maps[i] = backbone.forward_stage(stage, maps[i])
        if cut is not None and stage in cut_after and stage < last:
            maps = list(cut(stage, maps))
    return maps


@MODELS.register_module()
class MultiExitResNet(ResNet):
    """ResNet with contrastive-loss exits after chosen stages.

    From "Fast training of contrastive learning with intermediate contrastive
    loss". Stages are numbered from 1 as in the paper (a ResNet-50's stages
    1..4 are ``layer1``..``layer4``); the stem is not an exit.

    ``forward(x, exit=k)`` runs the stem and stages ``1..k`` only and returns
    the feature maps of the exits up to and including ``k``.
    :meth:`forward_stages` runs the stem and stages ``1..k`` with a cut
    (crop) after given stages, and :func:`forward_in_lockstep` steps several
    passes together: the pair runner, the cost model and the preflight check
    all cut maps between stages through them. Parameter names are those of
    :class:`ResNet`, so standard ResNet checkpoints load unchanged.

    Args:
        depth (int): Network depth, from {18, 34, 50, 101, 152}.
        exits (Sequence[int], optional): Stage numbers followed by an exit.
            Defaults to every stage.
        out_stem (bool): Also return the stem's output (the input of stage
            1), first, for probes of every stage's features (the paper's
            Table 8). Defaults to False.
        **kwargs: Other arguments of :class:`mmpretrain.models.ResNet`, except
            ``out_indices``, which ``exits`` replaces.
    """

    def __init__(self,
                 depth: int,
                 exits: Optional[Sequence[int]] = None,
                 out_stem: bool = False,
                 **kwargs) -> None:
        if 'out_indices' in kwargs:
            raise ValueError(
                'MultiExitResNet takes `exits` (stage numbers from 1), not '
                f'`out_indices`; got out_indices={kwargs["out_indices"]!r}')
        num_stages = kwargs.get('num_stages', 4)
        if exits is None:
            exits = range(1, num_stages + 1)
        exits = check_stage_numbers('MultiExitResNet: `exits`', exits,
                                    num_stages)
        super().__init__(
            depth, out_indices=tuple(e - 1 for e in exits), **kwargs)
        self.exits = exits
        self.out_stem = out_stem

    def check_exit(self, exit: int) -> int:
        """Return ``exit`` if it is one of :attr:`exits`, else raise."""
        if exit not in self.exits:
            raise ValueError(
                f'exit must be one of the backbone exits {self.exits}; '
                f'got {exit!r}')
        return exit

    def stage_channels(self, stage: int) -> int:
        """Number of output channels of a stage (numbered from 1)."""
        layer = getattr(self, self.res_layers[stage - 1])
        return layer[-1].out_channels

    def forward_stem(self, x: torch.Tensor) -> torch.Tensor:
        """The stem: convolution(s), norm, activation and max pooling."""
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.norm1(self.conv1(x)))
        return self.maxpool(x)

    def forward_stage(self, stage: int, x: torch.Tensor) -> torch.Tensor:
        """Run one stage (numbered from 1)."""
        return getattr(self, self.res_layers[stage - 1])(x)

    def forward_stages(self,
                       x: torch.Tensor,
                       last: int,
                       cut: Optional[Callable] = None,
                       cut_after: Sequence[int] = ()) -> torch.Tensor:
        """The map after stage ``last`` (0: the stem), cut after each stage
        of ``cut_after`` before ``last``: one pass of
        :func:`forward_in_lockstep`.

        Args:
            x (Tensor): The input batch.
            last (int): The last stage to run.
            cut (callable, optional): ``cut(stage, map) -> map``, the map
                that the next stage gets. Defaults to None: no cut.
            cut_after (Sequence[int]): Stages after which to cut. Defaults
                to ``()``.
        """
        one = None if cut is None else (
            lambda stage, maps: [cut(stage, maps[0])])
        return forward_in_lockstep([self], [x], last, one, cut_after)[0]

    def forward(self,
                x: torch.Tensor,
                exit: Optional[int] = None) -> Tuple[torch.Tensor, ...]:
        """Feature maps of the exits up to ``exit`` (``None``: the last),
        after the stem's if ``out_stem``.

        Stages after ``exit`` do not run.
        """
        last = self.exits[-1] if exit is None else self.check_exit(exit)
        x = self.forward_stem(x)
        outs = [x] if self.out_stem else []
        for stage in range(1, last + 1):
            x = self.forward_stage(stage, x)
            if stage in self.exits:
                outs.append(x)
        return tuple(outs)
