// Throughput of BatchLoader::get on Fashion-MNIST (batch 128, one thread), augmentation off and on.
//
//   sparsenas_data_bench --benchmark_out=data.json --benchmark_out_format=json
//
// Needs the Debian package dataset-fashion-mnist (or SNAS_FASHION_MNIST_DIR); otherwise the
// benchmarks report an error and are skipped.
#include <benchmark/benchmark.h>
#include <torch/utils.h>  // for torch::set_num_threads

#include <memory>
#include <string>

#include "sparsenas/core/error.h"
#include "sparsenas/data/batch_loader.h"
#include "sparsenas/data/dataset.h"

namespace {

using sparsenas::data::BatchLoader;
using sparsenas::data::Dataset;

/// The Fashion-MNIST training set, loaded once; null (with `error` set) when it is not installed.
const Dataset* fashion_mnist_train(std::string* error) {
  static std::string load_error;
  static const std::unique_ptr<Dataset> dataset = []() -> std::unique_ptr<Dataset> {
    try {
      const auto dir = sparsenas::data::find_fashion_mnist();
      return std::make_unique<Dataset>(
          sparsenas::data::load_idx(sparsenas::data::find_idx_file(dir, "train-images-idx3-ubyte"),
                                    sparsenas::data::find_idx_file(dir, "train-labels-idx1-ubyte"),
                                    sparsenas::data::fashion_mnist_class_names()));
    } catch (const sparsenas::Error& e) {
      load_error = e.what();
      return nullptr;
    }
  }();
  *error = load_error;
  return dataset.get();
}

// Arg 0: augment (0 = off, 1 = random crop + flip).
void BM_BatchLoaderFashionMnist(benchmark::State& state) {
  std::string error;
  const Dataset* dataset = fashion_mnist_train(&error);
  if (dataset == nullptr) {
    state.SkipWithError(error.c_str());
    return;
  }
  const bool augment = state.range(0) != 0;
  const auto stats = sparsenas::data::channel_stats(*dataset);
  BatchLoader loader(*dataset, /*batch_size=*/128, /*shuffle=*/true, /*drop_last=*/true, augment,
                     stats.mean, stats.std, /*seed=*/0);
  int64_t index = 0;
  int64_t images = 0;
  for (auto _ : state) {
    if (index == loader.num_batches()) {
      index = 0;
      loader.start_epoch(loader.epoch() + 1);  // includes the per-epoch shuffle in the timing
    }
    const sparsenas::data::Batch batch = loader.get(index++);
    benchmark::DoNotOptimize(batch.images.data_ptr());
    images += batch.images.size(0);
  }
  state.counters["img/s"] =
      benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
  state.SetLabel(augment ? "augment" : "no augment");
}
BENCHMARK(BM_BatchLoaderFashionMnist)->ArgName("augment")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(
      1);  // the loader is single-threaded; pin intra-op threads for comparability
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
