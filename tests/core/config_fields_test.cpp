// Unit tests for src/sparsenas/core/config_fields.h: each generic visitor on a small config.
#include "sparsenas/core/config_fields.h"

#include <gtest/gtest.h>

#include "support/error_of.h"

namespace sparsenas::config_fields {
namespace {

using nlohmann::json;
using test::error_of;

using test::contains;

// A library config: named, delegated to its own functions when nested.
struct InnerConfig {
  static constexpr const char* kName = "InnerConfig";
  int64_t depth = 3;
  template <class V>
  void fields(V& v) {
    v("depth", depth, "tree depth").range(1, 8);
  }
  void validate() const { validate_fields(*this, kName); }
};
void to_json(json& j, const InnerConfig& c) { j = config_fields::to_json(c); }
void from_json(const json& j, InnerConfig& c) { read(j, c, InnerConfig::kName); }

// A section: recursed into, named by dotted path.
struct Section {
  int64_t count = 1000;
  uint64_t seed = 1;
  template <class V>
  void fields(V& v) {
    v("count", count, "networks evaluated").min(1);
    v("seed", seed, "seed of the sample");
  }
};

struct Demo {
  double lr = 0.1;
  bool nesterov = true;
  std::string schedule = "cosine";
  std::string name = "x";
  std::optional<double> base;
  std::vector<std::string> compare = {"a", "b"};
  json extra = json::object();
  int64_t threads = 0;
  Section pairs;
  InnerConfig inner;
  template <class V>
  void fields(V& v) {
    v("lr", lr, "peak learning rate").above(0);
    v("nesterov", nesterov, "Nesterov momentum");
    v("schedule", schedule, "schedule after warm-up").one_of({"cosine", "step2", "step2_cosine"});
    v("name", name, "a name").check([](const std::string& s) { return !s.empty(); }, "not be empty");
    v("base", base, "initial prediction");
    v("compare", compare, "predictors compared");
    v("extra", extra, "free-form overrides");
    v("threads", threads, "threads").range(0, 64).note("0 = all cores");
    v("pairs", pairs, "stage 3");
    v("inner", inner, "a nested library config");
  }
};

TEST(ConfigFieldsTest, ToJsonWritesEveryFieldWithItsType) {
  const json j = config_fields::to_json(Demo{});
  EXPECT_EQ(j.dump(),
            R"({"base":null,"compare":["a","b"],"extra":{},"inner":{"depth":3},"lr":0.1,)"
            R"("name":"x","nesterov":true,"pairs":{"count":1000,"seed":1},"schedule":"cosine",)"
            R"("threads":0})");
  EXPECT_TRUE(j["pairs"]["seed"].is_number_unsigned());
  EXPECT_TRUE(j["threads"].is_number_integer());
  EXPECT_TRUE(j["lr"].is_number_float());
}

TEST(ConfigFieldsTest, RoundTrip) {
  Demo d;
  d.lr = 0.25;
  d.nesterov = false;
  d.schedule = "step2";
  d.base = 0.75;
  d.compare = {"mlp"};
  d.extra = {{"epochs", 3}};
  d.pairs.seed = 12345678901234ULL;
  d.inner.depth = 5;
  Demo back;
  read(config_fields::to_json(d), back, "Demo");
  EXPECT_EQ(config_fields::to_json(back), config_fields::to_json(d));
  EXPECT_EQ(back.pairs.seed, 12345678901234ULL);
  ASSERT_TRUE(back.base.has_value());
  EXPECT_EQ(*back.base, 0.75);
  read(json{{"base", nullptr}}, back, "Demo");
  EXPECT_FALSE(back.base.has_value());
  EXPECT_EQ(back.lr, 0.25);  // absent keys keep their values
}

TEST(ConfigFieldsTest, UnknownKeyListsTheValidKeys) {
  Demo d;
  const std::string top = error_of([&] { read(json{{"learning_rate", 1}}, d, "", "demo config"); });
  EXPECT_TRUE(contains(top, "demo config: unknown key 'learning_rate'; valid keys: lr, nesterov, "
                            "schedule, name, base, compare, extra, threads, pairs, inner"))
      << top;
  const std::string nested = error_of([&] { read(json{{"pairs", {{"cnt", 3}}}}, d, ""); });
  EXPECT_TRUE(contains(nested, "pairs: unknown key 'cnt'; valid keys: count, seed")) << nested;
  const std::string inner = error_of([&] { read(json{{"inner", {{"deep", 3}}}}, d, ""); });
  EXPECT_TRUE(contains(inner, "inner: InnerConfig: unknown key 'deep'; valid keys: depth")) << inner;
  EXPECT_TRUE(contains(error_of([&] { read(json::array(), d, "Demo"); }), "Demo must be a JSON object"));
}

TEST(ConfigFieldsTest, WrongTypeNamesStructAndKey) {
  Demo d;
  EXPECT_EQ(error_of([&] { read(json{{"threads", 2.5}}, d, "Demo"); }),
            "Demo.threads must be an integer, got 2.5");
  EXPECT_EQ(error_of([&] { read(json{{"threads", "10"}}, d, "Demo"); }),
            "Demo.threads must be an integer, got string \"10\"");
  EXPECT_EQ(error_of([&] { read(json{{"pairs", {{"seed", -1}}}}, d, ""); }),
            "pairs.seed must be a non-negative integer, got -1");
  EXPECT_EQ(error_of([&] { read(json{{"lr", true}}, d, "Demo"); }),
            "Demo.lr must be a number, got boolean true");
  EXPECT_EQ(error_of([&] { read(json{{"nesterov", 1}}, d, "Demo"); }),
            "Demo.nesterov must be a boolean, got 1");
  EXPECT_EQ(error_of([&] { read(json{{"compare", {"a", 2}}}, d, "Demo"); }),
            "Demo.compare must be an array of strings, got array [\"a\",2]");
  EXPECT_EQ(error_of([&] { read(json{{"base", "x"}}, d, "Demo"); }),
            "Demo.base must be a number or null, got string \"x\"");
  EXPECT_EQ(error_of([&] { read(json{{"inner", {{"depth", 1.5}}}}, d, "Demo"); }),
            "Demo.inner: InnerConfig.depth must be an integer, got 1.5");
}

TEST(ConfigFieldsTest, ValidateNamesTheFullPath) {
  const auto error = [](const std::function<void(Demo&)>& edit) {
    Demo d;
    edit(d);
    return error_of([&] { validate_fields(d, ""); });
  };
  EXPECT_EQ(error([](Demo&) {}), "(no error)");
  EXPECT_EQ(error([](Demo& d) { d.pairs.count = 0; }), "pairs.count must be >= 1, got 0");
  EXPECT_EQ(error([](Demo& d) { d.lr = 0; }), "lr must be > 0, got 0");
  EXPECT_EQ(error([](Demo& d) { d.lr = std::nan(""); }), "lr must be > 0, got nan");
  EXPECT_EQ(error([](Demo& d) { d.lr = INFINITY; }), "lr must be > 0, got inf");
  EXPECT_EQ(error([](Demo& d) { d.threads = 65; }),
            "threads must be in [0, 64] (0 = all cores), got 65");
  EXPECT_EQ(error([](Demo& d) { d.schedule = "linear"; }),
            "schedule must be \"cosine\", \"step2\" or \"step2_cosine\", got \"linear\"");
  EXPECT_EQ(error([](Demo& d) { d.name = ""; }), "name must not be empty, got \"\"");
  EXPECT_EQ(error([](Demo& d) { d.inner.depth = 9; }),
            "inner: InnerConfig.depth must be in [1, 8], got 9");
  Demo d;
  d.pairs.count = 0;
  EXPECT_EQ(error_of([&] { validate_fields(d, "Demo"); }), "Demo.pairs.count must be >= 1, got 0");
}

struct Choices {
  std::string source = "a";
  std::string method = "a";
  double ratio = 0.5;
  template <class V>
  void fields(V& v) {
    v("source", source, "").one_of({"a", "b"}, ChoiceWording::kBraced);
    v("method", method, "").one_of({"a", "b"}, ChoiceWording::kList);
    v("ratio", ratio, "").range(0, 1, "(]");
  }
};

TEST(ConfigFieldsTest, ChoiceWordingsAndOpenRanges) {
  Choices c;
  c.source = "z";
  EXPECT_EQ(error_of([&] { validate_fields(c, ""); }), "source must be one of {a, b}, got 'z'");
  c.source = "a";
  c.method = "z";
  EXPECT_EQ(error_of([&] { validate_fields(c, ""); }), "method must be one of a, b, got \"z\"");
  c.method = "b";
  c.ratio = 0;
  EXPECT_EQ(error_of([&] { validate_fields(c, ""); }), "ratio must be in (0, 1], got 0");
  c.ratio = 1;
  EXPECT_EQ(error_of([&] { validate_fields(c, ""); }), "(no error)");
}

TEST(ConfigFieldsTest, DefaultTextAndHelpComeFromTheStruct) {
  EXPECT_EQ(default_text<Demo>("lr"), "0.1");
  EXPECT_EQ(default_text<Demo>("schedule"), "cosine");
  EXPECT_EQ(default_text<Demo>("nesterov"), "true");
  EXPECT_EQ(default_text<Demo>("base"), "null");
  EXPECT_EQ(default_text<Demo>("pairs.count"), "1000");
  EXPECT_EQ(default_text<Demo>("inner.depth"), "3");
  EXPECT_EQ(help_text<Demo>("schedule"),
            "schedule after warm-up: cosine, step2 or step2_cosine (default cosine)");
  EXPECT_EQ(help_text<Demo>("pairs.count"), "networks evaluated (default 1000)");
  const FieldInfo info = field_info<Demo>("schedule");
  EXPECT_EQ(info.doc, "schedule after warm-up");
  EXPECT_EQ(info.choices, (std::vector<std::string>{"cosine", "step2", "step2_cosine"}));
  EXPECT_EQ(field_infos<Demo>().size(), 11u);  // 8 scalars + pairs.count, pairs.seed, inner.depth
  EXPECT_TRUE(contains(error_of([] { default_text<Demo>("nope"); }), "no field 'nope'"));
}

}  // namespace
}  // namespace sparsenas::config_fields
