"""Prints the tables of tests/unit/ScheduleTest.cpp: torch.optim.lr_scheduler's
learning rate before each of 12 steps, lr 0.1, stepped once per step.
Run with Debian's python3-torch: python3 tests/unit/schedules_torch.py"""
import torch
from torch.optim import lr_scheduler as S

STEPS = 12


def table(make):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    lrs = []
    for _ in range(STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return ", ".join(repr(v) for v in lrs)


print("torch", torch.__version__)
print("STEP", table(lambda o: S.StepLR(o, step_size=4, gamma=0.5)))
print("MULTISTEP", table(lambda o: S.MultiStepLR(o, milestones=[3, 7, 10], gamma=0.1)))
print("EXPONENTIAL", table(lambda o: S.ExponentialLR(o, gamma=0.8)))
print("COSINE", table(lambda o: S.CosineAnnealingLR(o, T_max=STEPS)))
print("ONECYCLE", table(lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=STEPS,
                                               cycle_momentum=False)))
# Linear warm-up over 3 steps (lr (t + 1) / 3), then cosine over the other 9.
print("WARMUP_COSINE", table(lambda o: S.SequentialLR(o, [
    S.LinearLR(o, start_factor=1 / 3, end_factor=1.0, total_iters=2),
    S.CosineAnnealingLR(o, T_max=STEPS - 3)], milestones=[3])))
