//===- ScheduleTest.cpp - Learning-rate schedules against torch's ---------===//
//
// Each table is torch.optim.lr_scheduler's learning rate before every step
// of a 12-step run with lr 0.1, the scheduler stepped once per step
// (PyTorch 1.13.1, Debian's python3-torch; tests/unit/schedules_torch.py
// prints them). Tolerance 1e-12 relative: both compute in double, and
// torch's chained form (lr *= gamma each step) rounds differently from the
// closed form in the last bits.
//
//===----------------------------------------------------------------------===//
#include "tools/nablac/Schedule.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nabla::tools;

namespace {

constexpr int64_t kSteps = 12;

void expectTable(const LrSchedule &schedule, const double (&torch)[kSteps]) {
  for (int64_t t = 0; t < kSteps; ++t) {
    SCOPED_TRACE("step " + std::to_string(t));
    double got = schedule.at(0.1, t, kSteps);
    EXPECT_NEAR(got, torch[t], 1e-12 * std::max(1e-3, std::abs(torch[t])));
  }
}

TEST(Schedule, StepLR) {
  LrSchedule s;
  s.kind = "step";
  s.stepSize = 4;
  s.gamma = 0.5;
  const double torch[kSteps] = {0.1,  0.1,  0.1,   0.1,   0.05,  0.05,
                                0.05, 0.05, 0.025, 0.025, 0.025, 0.025};
  expectTable(s, torch);
}

TEST(Schedule, MultiStepLR) {
  LrSchedule s;
  s.kind = "multistep";
  s.milestones = {3, 7, 10};
  const double torch[kSteps] = {0.1,
                                0.1,
                                0.1,
                                0.010000000000000002,
                                0.010000000000000002,
                                0.010000000000000002,
                                0.010000000000000002,
                                0.0010000000000000002,
                                0.0010000000000000002,
                                0.0010000000000000002,
                                0.00010000000000000003,
                                0.00010000000000000003};
  expectTable(s, torch);
}

TEST(Schedule, ExponentialLR) {
  LrSchedule s;
  s.kind = "exponential";
  s.gamma = 0.8;
  const double torch[kSteps] = {0.1,
                                0.08000000000000002,
                                0.06400000000000002,
                                0.051200000000000016,
                                0.04096000000000002,
                                0.03276800000000001,
                                0.026214400000000013,
                                0.02097152000000001,
                                0.016777216000000008,
                                0.013421772800000007,
                                0.010737418240000006,
                                0.008589934592000005};
  expectTable(s, torch);
}

TEST(Schedule, CosineAnnealingLR) {
  LrSchedule s;
  s.kind = "cosine";
  const double torch[kSteps] = {0.1,
                                0.09829629131445342,
                                0.09330127018922195,
                                0.08535533905932738,
                                0.07500000000000001,
                                0.06294095225512605,
                                0.05000000000000001,
                                0.03705904774487397,
                                0.025000000000000015,
                                0.01464466094067263,
                                0.006698729810778066,
                                0.0017037086855465904};
  expectTable(s, torch);
}

TEST(Schedule, OneCycleLR) {
  LrSchedule s;
  s.kind = "onecycle";
  const double torch[kSteps] = {
      0.0040000000000000036, 0.0349789654219583,    0.08792851591221287,
      0.09944154354509119,   0.09330129698414118,   0.0811745653949763,
      0.06473789976951033,   0.046263710266697504,  0.028306099820869922,
      0.01334775301888306,   0.0034566987425395223, 4e-07};
  expectTable(s, torch);
}

// Warm-up over 3 steps then cosine over the other 9: torch's SequentialLR
// of LinearLR(start_factor = 1/3, total_iters = 2) and CosineAnnealingLR
// (T_max = 9), switching at step 3.
TEST(Schedule, WarmupThenCosine) {
  LrSchedule s;
  s.kind = "cosine";
  s.warmup = 3;
  const double torch[kSteps] = {0.03333333333333333,
                                0.06666666666666667,
                                0.1,
                                0.1,
                                0.09698463103929543,
                                0.08830222215594889,
                                0.075,
                                0.058682408883346526,
                                0.041317591116653486,
                                0.025000000000000012,
                                0.011697777844051105,
                                0.0030153689607045845};
  expectTable(s, torch);
}

TEST(Schedule, MilestonesMustIncrease) {
  EXPECT_EQ(parseMilestones("[100, 200]"), std::vector<int64_t>({100, 200}));
  EXPECT_FALSE(parseMilestones("200,100"));
  EXPECT_FALSE(parseMilestones("0,5"));
  EXPECT_FALSE(parseMilestones("ten"));
  LrSchedule s;
  s.kind = "step";
  EXPECT_TRUE(s.problem()) << "step needs its step size";
}

} // namespace
