#pragma once
// The names of a run directory's files (docs/run-directory.md), in one place. Paths are relative
// to the run directory.

namespace sparsenas::rundir {

inline constexpr const char* kConfig = "config.json";        ///< the resolved RunConfig
inline constexpr const char* kManifest = "manifest.json";    ///< stage records (manifest.h)
inline constexpr const char* kTeacher = "teacher.pt";        ///< stage teacher
inline constexpr const char* kProxy = "proxy_supernet.pt";   ///< stage proxy (sparsenas)
inline constexpr const char* kPairs = "pairs.csv";           ///< stage pairs
inline constexpr const char* kPairsPartial = "pairs.partial.csv";
inline constexpr const char* kPairsNoise = "pairs_noise.json";  ///< pairs' noise vs spread (pairs_noise.h)
inline constexpr const char* kPredictorModel = "predictor/gbdt.json";  ///< the early predictor
inline constexpr const char* kPredictorScores = "predictors.csv";      ///< Table 3
inline constexpr const char* kHeldout = "predictor/heldout.csv";       ///< held-out predictions
inline constexpr const char* kSparseSpace = "sparse_space.json";       ///< sparse space or family list
inline constexpr const char* kSupernet = "supernet.pt";     ///< the final supernet of every method
inline constexpr const char* kFamily = "family.csv";        ///< stage family
inline constexpr const char* kFamilyPartial = "family.partial.csv";
inline constexpr const char* kFamilyCorrect = "family_correct.json";  ///< per-image correctness (image_correctness.h)
inline constexpr const char* kFamilyCorrectPartial = "family_correct.partial.json";
inline constexpr const char* kCheckSelection = "check_selection.json";  ///< `sparsenas check-selection`
inline constexpr const char* kCheckSelectionPartial = "check_selection.partial.json";
inline constexpr const char* kReport = "report.md";
inline constexpr const char* kSpaceStatsJson = "space_stats.json";
inline constexpr const char* kSpaceStatsMarkdown = "space_stats.md";
/// `sparsenas latency`: `latency/<device>.csv` per measured device (device_latency.h).
inline constexpr const char* kLatencyDir = "latency";

/// A training stage keeps its checkpoint and history in a folder named after the stage.
inline constexpr const char* kHistoryFile = "history.json";      ///< `<stage>/history.json`
inline constexpr const char* kCheckpointFile = "checkpoint.pt";  ///< `<stage>/checkpoint.pt`

}  // namespace sparsenas::rundir
