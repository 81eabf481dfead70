from .resumable_loops import (ResumableEpochBasedTrainLoop,
                              ResumableIterBasedTrainLoop)

__all__ = ['ResumableEpochBasedTrainLoop', 'ResumableIterBasedTrainLoop']
