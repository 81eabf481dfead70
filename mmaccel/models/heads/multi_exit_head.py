import copy
from typing import List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModule
from torch import nn

from mmaccel.registry import MODELS


@MODELS.register_module()
class MultiExitHead(BaseModule):
    """One head per exit, built from one config, kept as ``heads.exit{k}``.

    The accelerated algorithms fill in the backbone's ``exits`` when the
    config leaves them out.

    Args:
        exits (Sequence[int]): The stage number of each exit.
        head (dict): Config of every exit's head.
        init_cfg (dict or list[dict], optional): Initialization config.
    """

    def __init__(self,
                 exits: Sequence[int],
                 head: dict,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg)
        self.exits = tuple(exits)
        if not self.exits:
            raise ValueError(f'{type(self).__name__}: exits must name at '
                             f'least one exit; got {exits!r}')
        self.heads = nn.ModuleDict({
            f'exit{e}': MODELS.build(copy.deepcopy(head))
            for e in self.exits
        })

    def head(self, exit: int) -> nn.Module:
        """The head of an exit."""
        return self.heads[f'exit{exit}']

    def loss(self, exit: int, *inputs: torch.Tensor) -> torch.Tensor:
        """The loss of exit ``exit``'s head on ``inputs``."""
        return self.head(exit).loss(*inputs)
