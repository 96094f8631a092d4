// Our supernet against Once-for-All's own code (tests/testdata/ofa_parity.py runs the unmodified
// `ofa` package): a state dict we write loads into OFA's OFAMobileNetV3 / OFAProxylessNASNets and
// gives our logits, and a checkpoint OFA's code saves loads into ours and gives OFA's logits, for
// the largest, the smallest and 20 random sub-networks, BN in eval mode, at ImageNet's shape
// (224x224x3, 1,000 classes) and at the protocol's (28x28x1, 10 classes). Also the reader of
// torch.save files and the errors of a bad checkpoint.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "support/error_of.h"
#include "support/ofa_peer.h"
#include "support/randomize_state.h"
#include "support/temp_dir.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/core/random.h"
#include "sparsenas/nn/ofa_state_dict.h"
#include "sparsenas/nn/state_dict_file.h"
#include "sparsenas/nn/supernet.h"

namespace sparsenas {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::contains;
using test::error_of;

struct Case {
  std::string space;
  double width;
  int resolution, channels, classes;
  bool old_names;
};

std::string describe(const Case& c) {
  return c.space + " x" + std::to_string(c.width) + " at " + std::to_string(c.resolution) + "x" +
         std::to_string(c.resolution) + "x" + std::to_string(c.channels);
}

// gtest prints a parameter with this (ctest's test list shows it).
void PrintTo(const Case& c, std::ostream* os) { *os << describe(c); }

space::SearchSpace space_of(const Case& c) {
  space::SpaceOptions o;
  o.resolution = c.resolution;
  o.in_channels = c.channels;
  o.num_classes = c.classes;
  o.width_mult = c.width;
  return space::SearchSpace::from_name(c.space, o);
}

std::vector<space::Arch> archs_of(const space::SearchSpace& sp, uint64_t seed) {
  std::vector<space::Arch> archs = {sp.max_arch(), sp.min_arch()};
  Rng rng(seed);
  for (const auto& a : sp.sample_distinct(20, rng)) archs.push_back(a);
  return archs;
}

// max |a - b| relative to max |b|, per sub-network.
double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(1e-12, b.abs().max().item<double>());
}

std::map<std::string, torch::Tensor> tensors_in(const fs::path& file) {
  std::map<std::string, torch::Tensor> out;
  for (auto& [k, v] : nn::read_state_dict_file(file).tensors) out[k] = v;
  return out;
}

class OfaParityTest : public ::testing::TestWithParam<Case> {};

TEST_P(OfaParityTest, LogitsEqualOfasBothWays) {
  const auto ofa = test::ofa_peer_dir();
  if (!ofa) GTEST_SKIP() << "OFA's code not found (set SNAS_OFA_DIR to the folder holding ofa/)";
  ASSERT_TRUE(test::ofa_runs(*ofa)) << "/usr/bin/python3 cannot import OFA's networks from " << *ofa
                                    << " (install python3-torch python3-torchvision python3-tqdm, "
                                       "as scripts/setup.sh does)";
  const Case c = GetParam();
  SCOPED_TRACE(describe(c));
  torch::manual_seed(7);
  const space::SearchSpace sp = space_of(c);
  nn::Supernet ours(sp);
  test::randomize_state(*ours);
  ours->eval();
  const std::vector<space::Arch> archs = archs_of(sp, 11);

  test::TempDir dir;
  nn::write_state_dict_file(dir.path() / "ours.pt", nn::to_ofa_state_dict(*ours));
  json arch_args = json::array();
  for (const auto& a : archs) arch_args.push_back(nn::ofa_subnet_args(sp, a));
  const json case_json = {{"network", nn::ofa_network(sp)}, {"archs", arch_args}, {"resolution", c.resolution},
                          {"batch", 2},  {"seed", 3}, {"old_names", c.old_names}, {"legacy_copy", c.old_names}};
  write_json_file(dir.path() / "case.json", case_json);
  const std::string cmd = "PYTHONPATH='" + ofa->string() + "' /usr/bin/python3 '" SNAS_TEST_DATA_DIR "/ofa_parity.py' '" +
                          (dir.path() / "case.json").string() + "' '" + (dir.path() / "ours.pt").string() + "' '" +
                          (dir.path() / "out.pt").string() + "' '" + (dir.path() / "ofa.pt").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto out = tensors_in(dir.path() / "out.pt");
  ASSERT_EQ(out.at("export_keys_ok").item<int64_t>(), 1) << "our state dict's keys are not OFA's";
  const torch::Tensor x = out.at("inputs");
  ASSERT_EQ(out.at("export_logits").size(0), static_cast<int64_t>(archs.size()));

  // Export: OFA's forward on our weights gives our logits.
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < archs.size(); ++i) {
    ours->set_active(archs[i]);
    const torch::Tensor mine = ours->forward(x);
    EXPECT_LT(relative_error(mine, out.at("export_logits")[i]), 1e-4) << "export, network " << i << " "
                                                                       << archs[i].to_string();
  }
  // Import: our forward on OFA's checkpoint gives OFA's logits.
  nn::Supernet imported(sp);
  const nn::StateDictFile file = nn::read_state_dict_file(dir.path() / "ofa.pt");
  EXPECT_EQ(file.location, "state_dict");
  EXPECT_EQ(file.other_keys, (std::vector<std::string>{"epoch", "best_acc"}));
  nn::load_ofa_state_dict(*imported, file.tensors, "ofa.pt");
  imported->eval();
  for (size_t i = 0; i < archs.size(); ++i) {
    imported->set_active(archs[i]);
    EXPECT_LT(relative_error(imported->forward(x), out.at("import_logits")[i]), 1e-4)
        << "import, network " << i << " " << archs[i].to_string();
  }
  // And back: what we write of the imported supernet is what OFA saved, tensor for tensor.
  std::map<std::string, torch::Tensor> saved;
  for (const auto& [k, v] : file.tensors) saved[k] = v;
  for (const auto& [k, v] : nn::to_ofa_state_dict(*imported)) {
    std::string key = k;
    if (c.old_names && key.rfind("blocks.", 0) == 0) key.replace(key.find(".conv."), 6, ".mobile_inverted_conv.");
    ASSERT_TRUE(saved.count(key)) << key;
    EXPECT_TRUE(torch::equal(v, saved.at(key))) << key;
  }
  if (c.old_names) {
    const std::string e = error_of([&] { nn::read_state_dict_file(dir.path() / "ofa.pt.legacy.pt"); });
    EXPECT_TRUE(contains(e, "before 1.6")) << e;
    EXPECT_TRUE(contains(e, "torch.save(torch.load(")) << e;
  }
}

INSTANTIATE_TEST_SUITE_P(Spaces, OfaParityTest,
                         ::testing::Values(Case{"ofa-mbv3", 1.0, 224, 3, 1000, false},
                                           Case{"proxyless", 1.3, 224, 3, 1000, true},
                                           Case{"ofa-mbv3", 1.0, 28, 1, 10, true},
                                           Case{"proxyless", 1.0, 28, 1, 10, false}),
                         [](const auto& info) {
                           return std::string(info.param.space == "proxyless" ? "Proxyless" : "Mbv3") +
                                  std::to_string(info.param.resolution);
                         });

class OfaCheckpointTest : public ::testing::Test {
 protected:
  static space::SearchSpace space(const std::string& name, double width) {
    space::SpaceOptions o;
    o.resolution = 32;
    o.width_mult = width;
    o.num_classes = 10;
    return space::SearchSpace::from_name(name, o);
  }
};

TEST_F(OfaCheckpointTest, RoundTripThroughTheFileKeepsEveryTensor) {
  torch::manual_seed(1);
  nn::Supernet a(space("ofa-mbv3", 1.0));
  test::randomize_state(*a);
  test::TempDir dir;
  nn::write_state_dict_file(dir.path() / "a.pt", nn::to_ofa_state_dict(*a));
  nn::Supernet b(space("ofa-mbv3", 1.0));
  nn::load_ofa_state_dict(*b, nn::read_state_dict_file(dir.path() / "a.pt").tensors, "a.pt");
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  for (const auto& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  const auto ba = a->named_buffers(), bb = b->named_buffers();
  for (const auto& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
  // Every tensor has an OFA name, and no two share one.
  std::set<std::string> names;
  for (const auto& n : nn::ofa_names(*a)) EXPECT_TRUE(names.insert(n.ofa).second) << n.ofa;
  EXPECT_EQ(names.size(), pa.size() + ba.size());
}

TEST_F(OfaCheckpointTest, CompofaSupernetGetsIdentityTransformsAndRefusesOthers) {
  nn::Supernet a(space("compofa", 1.0), nn::SupernetOptions{/*kernel_transform=*/false});
  const nn::StateDict state = nn::to_ofa_state_dict(*a);
  int identities = 0;
  for (const auto& [k, v] : state) {
    if (k.find("_matrix") == std::string::npos) continue;
    ++identities;
    EXPECT_TRUE(torch::equal(v, torch::eye(v.size(0)))) << k;
  }
  EXPECT_EQ(identities, 2 * a->space().num_slots());
  nn::Supernet b(space("compofa", 1.0), nn::SupernetOptions{false});
  nn::load_ofa_state_dict(*b, state, "x.pt");
  nn::StateDict changed = state;
  for (auto& [k, v] : changed) {
    if (k.find("_matrix") != std::string::npos) v = v + 0.1;
  }
  const std::string e = error_of([&] { nn::load_ofa_state_dict(*b, changed, "x.pt"); });
  EXPECT_TRUE(contains(e, "not the identity")) << e;
}

TEST_F(OfaCheckpointTest, BadCheckpointsNameTheKeyAndTheLikelyCause) {
  nn::Supernet net(space("ofa-mbv3", 1.0));
  const nn::StateDict good = nn::to_ofa_state_dict(*net);

  // Another width: the first convolution has other channels.
  nn::Supernet wide(space("ofa-mbv3", 1.2));
  std::string e = error_of([&] { nn::load_ofa_state_dict(*net, nn::to_ofa_state_dict(*wide), "w12.pt"); });
  EXPECT_TRUE(contains(e, "w12.pt: key first_conv.conv.weight has shape [24, 3, 3, 3]")) << e;
  EXPECT_TRUE(contains(e, "another --width-mult")) << e;

  // Another space.
  nn::Supernet proxyless(space("proxyless", 1.0));
  e = error_of([&] { nn::load_ofa_state_dict(*net, nn::to_ofa_state_dict(*proxyless), "p.pt"); });
  EXPECT_TRUE(contains(e, "give --space proxyless")) << e;

  // A missing key, an unknown key, a key given twice under two of OFA's spellings.
  nn::StateDict missing(good.begin(), good.end() - 1);
  e = error_of([&] { nn::load_ofa_state_dict(*net, missing, "m.pt"); });
  EXPECT_TRUE(contains(e, "m.pt: key classifier.linear.bias is missing")) << e;
  nn::StateDict unknown = good;
  unknown.emplace_back("blocks.99.conv.point_linear.conv.conv.weight", torch::zeros({1}));
  e = error_of([&] { nn::load_ofa_state_dict(*net, unknown, "u.pt"); });
  EXPECT_TRUE(contains(e, "key blocks.99.conv.point_linear.conv.conv.weight is not a tensor of OFA's OFAMobileNetV3"))
      << e;
  nn::StateDict twice = good;
  twice.emplace_back("first_conv.bn.bn.weight", good[1].second);
  e = error_of([&] { nn::load_ofa_state_dict(*net, twice, "t.pt"); });
  EXPECT_TRUE(contains(e, "is given twice")) << e;

  // A DataParallel prefix and OFA's alternative spellings load.
  nn::StateDict spelled;
  for (const auto& [k, v] : good) {
    std::string key = "module." + k;
    if (const size_t at = key.find(".bn.bn."); at != std::string::npos) key.replace(at, 7, ".bn.");
    spelled.emplace_back(key, v);
  }
  nn::load_ofa_state_dict(*net, spelled, "s.pt");

  // Files: missing, truncated, not a torch.save file, without a state dict.
  test::TempDir dir;
  e = error_of([&] { nn::read_state_dict_file(dir.path() / "none.pt"); });
  EXPECT_TRUE(contains(e, "no such file")) << e;
  nn::write_state_dict_file(dir.path() / "good.pt", good);
  const std::string bytes = read_file(dir.path() / "good.pt");
  write_file_atomic(dir.path() / "cut.pt", bytes.substr(0, bytes.size() / 2));
  e = error_of([&] { nn::read_state_dict_file(dir.path() / "cut.pt"); });
  EXPECT_TRUE(contains(e, "not a complete torch.save archive")) << e;
  write_file_atomic(dir.path() / "text.pt", "hello");
  e = error_of([&] { nn::read_state_dict_file(dir.path() / "text.pt"); });
  EXPECT_TRUE(contains(e, "is not a torch.save file")) << e;
}

}  // namespace
}  // namespace sparsenas
