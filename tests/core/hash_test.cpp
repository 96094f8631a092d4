// Unit tests for src/sparsenas/core/hash.h.
#include "sparsenas/core/hash.h"

#include <gtest/gtest.h>

#include "sparsenas/core/fs.h"
#include "support/error_of.h"
#include "support/temp_dir.h"

namespace sparsenas {
namespace {

TEST(HashTest, HashesAreFnv1a64) {
  EXPECT_EQ(hash_string(""), "cbf29ce484222325");  // the FNV-1a 64 offset basis
  EXPECT_EQ(hash_string("a"), "af63dc4c8601ec8c");  // published FNV-1a test vector
  test::TempDir dir;
  write_file_atomic(dir.path() / "f", "a");
  EXPECT_EQ(hash_file(dir.path() / "f"), hash_string("a"));
  EXPECT_NE(test::error_of([&] { hash_file(dir.path() / "missing"); }).find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace sparsenas
