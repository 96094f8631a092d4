#pragma once
// OFA-style architecture encoding: the feature vector every accuracy predictor reads.

#include <string>
#include <vector>

#include "sparsenas/space/arch.h"
#include "sparsenas/space/search_space.h"

namespace sparsenas::predictor {

/// The encoding, following OFA's library encoder (`ofa/nas/accuracy_predictor/arch_encoder.py`,
/// reference/ofa_compofa.md section 5) without its resolution one-hot (a space here has one
/// input resolution):
///
///   [ kernel one-hot of slot 0 | kernel one-hot of slot 1 | ... | kernel one-hot of slot S-1 |
///     expand one-hot of slot 0 | expand one-hot of slot 1 | ... | expand one-hot of slot S-1 ]
///
/// - Slots are the block slots of `SearchSpace::blocks()` in order (stage by stage, every stage
///   holding max(depths) slots), so S = `space.num_slots()` (20 for ofa-mbv3).
/// - A slot's kernel one-hot has one entry per kernel choice of its stage, in ascending order of
///   kernel size (ofa-mbv3: k = 3, 5, 7); its expand one-hot one entry per expand choice of its
///   stage in ascending order (ofa-mbv3: e = 3, 4, 6). For coupled (CompOFA) stages the expand
///   choices are the union of `expands` and `coupled_expands`.
/// - An active slot (its position in the stage is below the stage depth) has exactly one 1 in each
///   of its two one-hots. An inactive slot is all zero, whatever values the Arch holds there.
/// - Depth is implicit: stage s has depth d exactly when its first d slots are non-zero. There is
///   no depth one-hot, as in OFA.
/// - Values are 0.0f or 1.0f.
///
/// For ofa-mbv3 the dimension is 20*3 + 20*3 = 120: features [0, 60) are kernels (slot i at
/// 3*i .. 3*i+2), features [60, 120) expands (slot i at 60 + 3*i .. 60 + 3*i + 2).
///
/// Example:
/// ```
/// const auto space = space::SearchSpace::from_name("ofa-mbv3");
/// std::vector<float> x = encode(space, space.max_arch());  // x.size() == 120
/// ```

/// Length of the feature vector of `space` (see the layout above).
int feature_dim(const space::SearchSpace& space);

/// Encodes one architecture. Throws sparsenas::Error when `arch` is not a member of `space`
/// (wrong list sizes or a value outside the stage's choices; SearchSpace::validate).
std::vector<float> encode(const space::SearchSpace& space, const space::Arch& arch);

/// Encodes many architectures into a row-major matrix of archs.size() rows and
/// feature_dim(space) columns (row i = encode(space, archs[i])).
std::vector<float> encode_batch(const space::SearchSpace& space,
                                const std::vector<space::Arch>& archs);

/// Human-readable name of feature `index`, e.g. "ks[3]=5" or "e[19]=6" (for feature importance
/// tables and error messages). Throws when `index` is outside [0, feature_dim(space)).
std::string feature_name(const space::SearchSpace& space, int index);

}  // namespace sparsenas::predictor
