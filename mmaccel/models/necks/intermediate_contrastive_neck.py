import copy
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmaccel.registry import MODELS


@MODELS.register_module()
class IntermediateContrastiveNeck(BaseModule):
    """One projection head per exit, built from one head config.

    Each head is the projection neck of the wrapped method (MoCo v1's
    ``LinearNeck``, ``MoCoV2Neck``, ``NonLinearNeck``, ``SwAVNeck``, ...) with
    that exit's ``in_channels`` filled in. Heads are kept as ``exit{k}``.

    Args:
        in_channels (Sequence[int]): Input channels of each exit's head.
        head (dict): Config of the head, without ``in_channels``.
        exits (Sequence[int], optional): The stage number of each exit, as the
            backbone's ``exits``. Defaults to ``1..len(in_channels)``.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 head: dict,
                 exits: Optional[Sequence[int]] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        exits = tuple(range(1, len(in_channels) + 1)) if exits is None \
            else tuple(exits)
        if len(exits) != len(in_channels):
            raise ValueError(
                'IntermediateContrastiveNeck: `exits` and `in_channels` must '
                f'have one entry per exit; got exits={exits} and '
                f'in_channels={tuple(in_channels)}')
        if 'in_channels' in head:
            raise ValueError(
                'IntermediateContrastiveNeck: leave `in_channels` out of '
                '`head`; it is filled in per exit from `in_channels`')
        self.exits = exits
        self.heads = nn.ModuleDict()
        for exit, channels in zip(exits, in_channels):
            cfg = copy.deepcopy(head)
            cfg['in_channels'] = channels
            self.heads[f'exit{exit}'] = MODELS.build(cfg)

    def head(self, exit: int) -> nn.Module:
        """The projection head of an exit."""
        return self.heads[f'exit{exit}']

    def project_pooled(self, exit: int, pooled: torch.Tensor) -> torch.Tensor:
        """Project pooled features through exit ``exit``'s head.

        ``pooled`` ``(..., C)`` holds the means of feature maps (e.g. of
        candidate crops); the result ``(..., D)`` is what the head gives for
        maps with those means, as average pooling of a ``1 x 1`` map is the
        identity.
        """
        head = self.head(exit)
        *lead, c = pooled.shape
        x = pooled.reshape(-1, c)
        if hasattr(head, 'forward_projection'):  # SwAVNeck: after pooling
            z = head.forward_projection(x)
        else:
            z = head((x[:, :, None, None], ))[0]
        return z.view(*lead, -1)

    def forward(self,
                x: Tuple[torch.Tensor, ...],
                exit: Optional[int] = None) -> Tuple[torch.Tensor, ...]:
        """Project feature maps.

        Args:
            x (tuple[Tensor]): With ``exit``: ends with that exit's feature
                map. Without: one feature map per exit, as the backbone
                returns them.
            exit (int, optional): The exit whose head projects ``x[-1]``.

        Returns:
            tuple[Tensor]: ``(z, )`` with ``exit``, else one ``z`` per exit.
        """
        if exit is not None:
            return self.head(exit)((x[-1], ))
        if len(x) != len(self.exits):
            raise ValueError(f'expected {len(self.exits)} feature maps (one '
                             f'per exit {self.exits}), got {len(x)}')
        return tuple(
            self.head(e)((f, ))[0] for e, f in zip(self.exits, x))
