#include "sparsenas/rundir/history.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"
#include "sparsenas/rundir/json_read.h"

namespace sparsenas::rundir {
namespace {

using nlohmann::json;

using detail::read_count;
using detail::read_number;

}  // namespace

std::vector<HistoryEpoch> read_history(const std::filesystem::path& path) {
  const json j = read_json_file(path);
  const std::string source = path.string();
  SNAS_CHECK(j.is_array(), source, ": expected a JSON array of epochs, got ", j.type_name());
  std::vector<HistoryEpoch> out;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& e = j[i];
    const std::string where = source + ": [" + std::to_string(i) + "]";
    SNAS_CHECK(e.is_object(), where, ": expected an object, got ", e.type_name());
    HistoryEpoch h;
    h.epoch = static_cast<int64_t>(i);
    read_count(e, "epoch", h.epoch, where);
    SNAS_CHECK(e.contains("train_loss"), where, ": no key \"train_loss\"");
    read_number(e, "train_loss", h.train_loss, where);
    read_number(e, "train_top1", h.train_top1, where);
    read_number(e, "lr", h.lr, where);
    read_number(e, "seconds", h.seconds, where);
    const auto val = e.find("val_top1");
    if (val != e.end() && !val->is_null()) {
      double v = 0.0;
      read_number(e, "val_top1", v, where);
      h.val_top1 = v;
    }
    out.push_back(h);
  }
  return out;
}

}  // namespace sparsenas::rundir
