from .resumable_loops import (ResumableEpochBasedTrainLoop,
                              ResumableIterBasedTrainLoop)
from .time_budget import (TrainingClock, apply_time_budget, format_seconds,
                          parse_time_budget, paused_training_clock,
                          training_progress, training_seconds)
from .time_budget_loops import (TimeBudgetEpochBasedTrainLoop,
                                TimeBudgetIterBasedTrainLoop)

__all__ = [
    'ResumableEpochBasedTrainLoop', 'ResumableIterBasedTrainLoop',
    'TimeBudgetEpochBasedTrainLoop', 'TimeBudgetIterBasedTrainLoop',
    'TrainingClock', 'apply_time_budget', 'format_seconds',
    'parse_time_budget', 'paused_training_clock', 'training_progress',
    'training_seconds'
]
