#include "sparsenas/nn/state_dict_file.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/serialize.h>

#include <cstring>
#include <fstream>
#include <map>
#include <memory>

#include "sparsenas/core/error.h"
#include "sparsenas/core/fs.h"

namespace sparsenas::nn {

namespace fs = std::filesystem;

namespace {

// A value of the pickle machine. Lists and dicts are shared (the memo refers to them).
struct Value;
using ValuePtr = std::shared_ptr<Value>;
struct Value {
  enum class Kind { kNone, kBool, kInt, kFloat, kString, kTuple, kList, kDict, kTensor, kGlobal, kOpaque };
  Kind kind = Kind::kNone;
  int64_t i = 0;
  double f = 0;
  std::string s;  ///< a string; a global's "module.name"; an opaque object's constructor
  std::vector<ValuePtr> items;
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;
  torch::Tensor tensor;  ///< a tensor, or a storage (1-D, its dtype)
};

ValuePtr make(Value::Kind kind) {
  auto v = std::make_shared<Value>();
  v->kind = kind;
  return v;
}
ValuePtr make_int(int64_t i) {
  auto v = make(Value::Kind::kInt);
  v->i = i;
  return v;
}
ValuePtr make_string(std::string s, Value::Kind kind = Value::Kind::kString) {
  auto v = make(kind);
  v->s = std::move(s);
  return v;
}

torch::ScalarType storage_dtype(const std::string& type) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool},
      {"torch.UntypedStorage", torch::kUInt8}};
  const auto it = types.find(type);
  SNAS_CHECK(it != types.end(), "a storage of type ", type, ", which this reader does not know");
  return it->second;
}

std::vector<int64_t> ints_of(const Value& tuple, const char* what) {
  SNAS_CHECK(tuple.kind == Value::Kind::kTuple, "a tensor's ", what, " is not a tuple");
  std::vector<int64_t> out;
  for (const auto& v : tuple.items) {
    SNAS_CHECK(v->kind == Value::Kind::kInt, "a tensor's ", what, " holds a non-integer");
    out.push_back(v->i);
  }
  return out;
}

// The pickle machine over one archive's data.pkl (opcodes: Python's Lib/pickletools.py).
class Unpickler {
 public:
  Unpickler(const char* data, size_t size, caffe2::serialize::PyTorchStreamReader& archive)
      : p_(data), end_(data + size), archive_(archive) {}

  ValuePtr run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80: byte(); break;                   // PROTO
        case 0x95: bytes(8); break;                 // FRAME
        case '.': SNAS_CHECK(!stack_.empty(), "an empty pickle"); return stack_.back();  // STOP
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '}': push(make(Value::Kind::kDict)); break;
        case ']': push(make(Value::Kind::kList)); break;
        case ')': push(make(Value::Kind::kTuple)); break;
        case 'N': push(make(Value::Kind::kNone)); break;
        case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
          auto v = make(Value::Kind::kBool);
          v->i = op == 0x88;
          push(v);
          break;
        }
        case 'q': memo_[byte()] = top(); break;                  // BINPUT
        case 'r': memo_[uint(4)] = top(); break;                 // LONG_BINPUT
        case 0x94: memo_[memo_.size()] = top(); break;           // MEMOIZE
        case 'h': push(memo(byte())); break;                     // BINGET
        case 'j': push(memo(uint(4))); break;                    // LONG_BINGET
        case 'X': case 'T': case 'B': push(make_string(bytes(uint(4)))); break;  // BIN{UNICODE,STRING,BYTES}
        case 0x8c: case 'U': case 'C': push(make_string(bytes(byte()))); break;  // SHORT_*
        case 0x8d: case 0x8e: push(make_string(bytes(uint(8)))); break;          // *8
        case 'J': push(make_int(static_cast<int32_t>(uint(4)))); break;          // BININT
        case 'K': push(make_int(byte())); break;                                 // BININT1
        case 'M': push(make_int(static_cast<int64_t>(uint(2)))); break;          // BININT2
        case 0x8a: push(make_int(long_of(byte()))); break;                       // LONG1
        case 'G': {                                                              // BINFLOAT
          uint64_t bits = 0;
          for (int k = 0; k < 8; ++k) bits = (bits << 8) | byte();
          auto v = make(Value::Kind::kFloat);
          std::memcpy(&v->f, &bits, 8);
          push(v);
          break;
        }
        case 't': push(tuple(pop_mark())); break;  // TUPLE
        case 0x85: case 0x86: case 0x87: {        // TUPLE1..3
          const size_t n = op - 0x84;
          SNAS_CHECK(stack_.size() >= n, "a tuple of missing items");
          std::vector<ValuePtr> items(stack_.end() - n, stack_.end());
          stack_.resize(stack_.size() - n);
          push(tuple(std::move(items)));
          break;
        }
        case 'l': {  // LIST
          auto v = make(Value::Kind::kList);
          v->items = pop_mark();
          push(v);
          break;
        }
        case 'd': {  // DICT
          auto v = make(Value::Kind::kDict);
          set_items(*v, pop_mark());
          push(v);
          break;
        }
        case 'a': {  // APPEND
          ValuePtr item = pop();
          append(*top(), {item});
          break;
        }
        case 'e': {  // APPENDS
          std::vector<ValuePtr> items = pop_mark();
          append(*top(), items);
          break;
        }
        case 's': {  // SETITEM
          ValuePtr value = pop(), key = pop();
          set_items(*top(), {key, value});
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<ValuePtr> items = pop_mark();
          set_items(*top(), items);
          break;
        }
        case 'c': {  // GLOBAL
          std::string module = line(), name = line();
          push(make_string(module + "." + name, Value::Kind::kGlobal));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          ValuePtr name = pop(), module = pop();
          push(make_string(module->s + "." + name->s, Value::Kind::kGlobal));
          break;
        }
        case 'R': {  // REDUCE
          ValuePtr args = pop(), callable = pop();
          push(reduce(*callable, *args));
          break;
        }
        case 0x81: {  // NEWOBJ
          pop();
          push(make_string(pop()->s, Value::Kind::kOpaque));
          break;
        }
        case 0x92: {  // NEWOBJ_EX
          pop();
          pop();
          push(make_string(pop()->s, Value::Kind::kOpaque));
          break;
        }
        case 'b': pop(); break;  // BUILD: an object's state (e.g. a state dict's _metadata), not read
        case 'Q': push(storage(*pop())); break;  // BINPERSID
        case '0': pop(); break;                  // POP
        case '1': pop_mark(); break;             // POP_MARK
        case '2': push(top()); break;            // DUP
        default:
          SNAS_FAIL("pickle opcode 0x", std::hex, static_cast<int>(op), std::dec, " at byte ",
                    p_ - begin_ - 1, ", which this reader does not run");
      }
    }
  }

 private:
  uint8_t byte() {
    SNAS_CHECK(p_ < end_, "the pickle data end early (truncated?)");
    return static_cast<uint8_t>(*p_++);
  }
  std::string bytes(size_t n) {
    SNAS_CHECK(static_cast<size_t>(end_ - p_) >= n, "the pickle data end early (truncated?)");
    std::string s(p_, n);
    p_ += n;
    return s;
  }
  uint64_t uint(int n) {
    uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= static_cast<uint64_t>(byte()) << (8 * k);
    return v;
  }
  int64_t long_of(size_t n) {
    SNAS_CHECK(n <= 8, "an integer of ", n, " bytes");
    if (n == 0) return 0;
    const uint64_t v = uint(static_cast<int>(n));
    if (n < 8 && (v >> (8 * n - 1)) & 1) return static_cast<int64_t>(v | (~uint64_t{0} << (8 * n)));
    return static_cast<int64_t>(v);
  }
  std::string line() {
    std::string s;
    for (char ch = static_cast<char>(byte()); ch != '\n'; ch = static_cast<char>(byte())) s += ch;
    return s;
  }
  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr top() {
    SNAS_CHECK(!stack_.empty(), "the pickle stack is empty");
    return stack_.back();
  }
  ValuePtr pop() {
    ValuePtr v = top();
    stack_.pop_back();
    return v;
  }
  ValuePtr memo(uint64_t id) {
    const auto it = memo_.find(id);
    SNAS_CHECK(it != memo_.end(), "the pickle refers to memo entry ", id, ", which it never stored");
    return it->second;
  }
  std::vector<ValuePtr> pop_mark() {
    SNAS_CHECK(!marks_.empty() && marks_.back() <= stack_.size(), "the pickle pops a mark it never set");
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  static ValuePtr tuple(std::vector<ValuePtr> items) {
    auto v = make(Value::Kind::kTuple);
    v->items = std::move(items);
    return v;
  }
  static void append(Value& list, const std::vector<ValuePtr>& items) {
    if (list.kind != Value::Kind::kList) return;  // an opaque object's items
    list.items.insert(list.items.end(), items.begin(), items.end());
  }
  static void set_items(Value& dict, const std::vector<ValuePtr>& items) {
    SNAS_CHECK(items.size() % 2 == 0, "a dict with an odd number of keys and values");
    if (dict.kind != Value::Kind::kDict) return;  // an opaque object's items
    for (size_t k = 0; k < items.size(); k += 2) dict.entries.emplace_back(items[k], items[k + 1]);
  }

  ValuePtr reduce(const Value& callable, const Value& args) {
    const std::string& name = callable.s;
    if (callable.kind == Value::Kind::kGlobal && name == "collections.OrderedDict") return make(Value::Kind::kDict);
    // LibTorch's torch::pickle_save tags typed containers: (value, "Dict[str, Tensor]").
    if (callable.kind == Value::Kind::kGlobal && name == "torch.jit._pickle.restore_type_tag") {
      SNAS_CHECK(args.kind == Value::Kind::kTuple && !args.items.empty(), name, " with unexpected arguments");
      return args.items[0];
    }
    const bool v2 = name == "torch._utils._rebuild_tensor_v2";
    if (callable.kind == Value::Kind::kGlobal && (v2 || name == "torch._utils._rebuild_tensor")) {
      SNAS_CHECK(args.kind == Value::Kind::kTuple && args.items.size() >= 4 &&
                     args.items[0]->kind == Value::Kind::kTensor && args.items[1]->kind == Value::Kind::kInt,
                 name, " with unexpected arguments");
      const torch::Tensor& storage = args.items[0]->tensor;
      const std::vector<int64_t> size = ints_of(*args.items[2], "size");
      const std::vector<int64_t> stride = ints_of(*args.items[3], "stride");
      int64_t extent = 1;
      for (size_t k = 0; k < size.size(); ++k) extent += (size[k] - 1) * stride[k];
      if (std::find(size.begin(), size.end(), int64_t{0}) != size.end()) extent = 0;
      SNAS_CHECK(args.items[1]->i >= 0 && args.items[1]->i + extent <= storage.numel(),
                 "a tensor that reaches past the end of its storage");
      auto v = make(Value::Kind::kTensor);
      v->tensor = storage.as_strided(size, stride, args.items[1]->i).clone();
      return v;
    }
    if (callable.kind == Value::Kind::kGlobal &&
        (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state")) {
      SNAS_CHECK(args.kind == Value::Kind::kTuple && !args.items.empty() &&
                     args.items[0]->kind == Value::Kind::kTensor,
                 name, " with unexpected arguments");
      return args.items[0];
    }
    return make_string(name, Value::Kind::kOpaque);
  }

  // ("storage", storage type, key, location, numel): the archive's record data/<key>.
  ValuePtr storage(const Value& pid) {
    SNAS_CHECK(pid.kind == Value::Kind::kTuple && pid.items.size() >= 5 && pid.items[0]->s == "storage",
               "a persistent id that is not a storage");
    const std::string& key = pid.items[2]->s;
    const auto cached = storages_.find(key);
    if (cached != storages_.end()) return cached->second;
    const torch::ScalarType dtype = storage_dtype(pid.items[1]->s);
    const int64_t numel = pid.items[4]->i;
    const std::string record = "data/" + key;
    SNAS_CHECK(archive_.hasRecord(record), "the archive lacks the record ", record, " of a tensor");
    auto [data, size] = archive_.getRecord(record);
    const size_t expected = static_cast<size_t>(numel) * torch::elementSize(dtype);
    SNAS_CHECK(size == expected, "the record ", record, " holds ", size, " bytes, its storage needs ", expected);
    auto v = make(Value::Kind::kTensor);
    v->tensor = torch::from_blob(data.get(), {numel}, torch::TensorOptions().dtype(dtype)).clone();
    storages_[key] = v;
    return v;
  }

  const char* p_;
  const char* begin_ = p_;
  const char* end_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
  std::map<std::string, ValuePtr> storages_;
};

bool all_tensors(const Value& dict) {
  for (const auto& [key, value] : dict.entries) {
    if (key->kind != Value::Kind::kString || value->kind != Value::Kind::kTensor) return false;
  }
  return true;
}

}  // namespace

std::string legacy_converter_command(const fs::path& from, const fs::path& to) {
  return "/usr/bin/python3 -c \"import sys, torch; torch.save(torch.load(sys.argv[1], map_location='cpu'), "
         "sys.argv[2])\" " +
         from.string() + " " + to.string();
}

StateDictFile read_state_dict_file(const fs::path& path) {
  SNAS_CHECK(fs::is_regular_file(path), path, ": no such file");
  char magic[4] = {0, 0, 0, 0};
  {
    std::ifstream in(path, std::ios::binary);
    in.read(magic, 4);
  }
  if (static_cast<uint8_t>(magic[0]) == 0x80) {
    fs::path converted = path;
    converted.replace_extension(".zip.pt");
    SNAS_FAIL(path, " is in the format of PyTorch before 1.6 (a bare pickle, not a zip archive), which LibTorch ",
              "cannot read; rewrite it once with python3-torch:\n  ", legacy_converter_command(path, converted),
              "\nand give ", converted, " instead");
  }
  SNAS_CHECK(std::memcmp(magic, "PK\x03\x04", 4) == 0, path,
             " is not a torch.save file (neither a zip archive nor a pre-1.6 pickle)");
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> archive;
  try {
    archive = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path.string());
  } catch (const c10::Error& e) {
    SNAS_FAIL(path, " is not a complete torch.save archive (truncated or damaged?): ", e.what_without_backtrace());
  }
  SNAS_CHECK(archive->hasRecord("data.pkl"), path, " is a zip archive without data.pkl: not a torch.save file");
  ValuePtr root;
  try {
    auto [data, size] = archive->getRecord("data.pkl");
    Unpickler unpickler(static_cast<const char*>(data.get()), size, *archive);
    root = unpickler.run();
  } catch (const c10::Error& e) {
    SNAS_FAIL(path, ": cannot read the archive (truncated or damaged?): ", e.what_without_backtrace());
  } catch (const Error& e) {
    SNAS_FAIL(path, ": ", e.what());
  }
  SNAS_CHECK(root->kind == Value::Kind::kDict, path, " holds no dict (a state dict or a checkpoint dict)");
  StateDictFile out;
  const Value* dict = root.get();
  if (!all_tensors(*root)) {
    dict = nullptr;
    for (const auto& [key, value] : root->entries) {
      const std::string name = key->kind == Value::Kind::kString ? key->s : "(a non-string key)";
      if (name == "state_dict" && value->kind == Value::Kind::kDict) {
        dict = value.get();
        out.location = "state_dict";
      } else {
        out.other_keys.push_back(name);
      }
    }
    std::string keys;
    for (const auto& k : out.other_keys) keys += (keys.empty() ? "" : ", ") + k;
    SNAS_CHECK(dict != nullptr, path, " is neither a state dict (a dict of tensors) nor a checkpoint with a ",
               "\"state_dict\" entry; its top-level keys: ", keys);
    SNAS_CHECK(all_tensors(*dict), path, ": its \"state_dict\" holds values other than tensors");
  }
  for (const auto& [key, value] : dict->entries) out.tensors.emplace_back(key->s, value->tensor);
  return out;
}

void write_state_dict_file(const fs::path& path, const StateDict& tensors) {
  c10::Dict<std::string, torch::Tensor> state;
  for (const auto& [name, tensor] : tensors) {
    SNAS_INTERNAL_ASSERT(!state.contains(name), "state dict key ", name, " twice");
    state.insert(name, tensor.detach().cpu().contiguous());
  }
  c10::Dict<std::string, c10::Dict<std::string, torch::Tensor>> root;
  root.insert("state_dict", state);
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(root));
  write_file_atomic(path, std::string(bytes.data(), bytes.size()));
}

}  // namespace sparsenas::nn
