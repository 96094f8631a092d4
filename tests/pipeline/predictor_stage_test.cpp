// Unit tests for src/sparsenas/pipeline/predictor_stage.h
#include "sparsenas/pipeline/predictor_stage.h"

#include <gtest/gtest.h>

#include "support/fashion_space.h"
#include "support/synthetic_pairs.h"

namespace sparsenas::pipeline {
namespace {

// The held-out metrics come from the fit on the training part; the early predictor handed to the
// sparse-space search is refit on all pairs.
TEST(PredictorStageTest, EarlyPredictorIsRefitOnAllPairsAfterTheHeldOutScoring) {
  const space::SearchSpace space = test::fashion_space();
  const test::Synthetic data = test::make_synthetic(space, 60, 4, 0.002, [&](const space::Arch& a) {
    double s = 0.7;
    for (int slot = 0; slot < space.num_slots(); ++slot) {
      if (space.is_active(a, slot)) s += 0.002 * a.expand_ratios[slot];
    }
    return s;
  });
  predictor::PairsDataset pairs;
  for (size_t i = 0; i < data.archs.size(); ++i) {
    pairs.pairs.push_back({data.archs[i], space.macs(data.archs[i]), space.params(data.archs[i]), data.accuracies[i]});
  }
  PredictorStageConfig config;
  config.compare = {};
  const PredictorStageResult result = run_predictor_comparison(space, pairs, config, 1);
  EXPECT_EQ(result.early_fit_pairs, 60);
  ASSERT_EQ(result.scores.size(), 1u);
  EXPECT_EQ(result.scores[0].n_train, 48);
  EXPECT_EQ(result.scores[0].n_heldout, 12);

  const auto [train, heldout] = pairs.split(config.heldout_fraction, config.seed);
  predictor::GbdtConfig gbdt = config.early;
  gbdt.nthread = 1;
  predictor::XgbAccuracyPredictor on_all(space, gbdt), on_train(space, gbdt);
  on_all.fit(pairs.archs(), pairs.accuracies());
  on_train.fit(train.archs(), train.accuracies());
  // The reported held-out predictions are the split fit's.
  EXPECT_EQ(result.scores[0].predictions, on_train.predict(heldout.archs()));
  // The returned model is the fit on all pairs (XGBoost is deterministic on one thread).
  EXPECT_EQ(result.early.predict(heldout.archs()), on_all.predict(heldout.archs()));
  EXPECT_NE(result.early.predict(heldout.archs()), on_train.predict(heldout.archs()));
}

}  // namespace
}  // namespace sparsenas::pipeline
