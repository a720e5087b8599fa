#include "jit/TransformRecord.h"

#include <cstring>

#include <cstdio>

#include "llvm/Support/xxhash.h"
#include <nlohmann/json.hpp>

namespace hot::jit {
namespace {

using Json = nlohmann::json;
constexpr int kFormat = 2; // bump with any change of what a record holds

Json dataToJson(const DataCandidate &d) {
  return Json::array({d.key, int(d.kind), d.fingerprint, d.display, d.cpp_type, d.size, d.file,
                      d.line, d.column, d.simple_name, d.strong, d.symbol, d.is_new});
}

DataCandidate dataFrom(const Json &j) {
  DataCandidate d;
  d.key = j.at(0).get<std::string>();
  d.kind = DataKind(j.at(1).get<int>());
  d.fingerprint = j.at(2).get<std::string>();
  d.display = j.at(3).get<std::string>();
  d.cpp_type = j.at(4).get<std::string>();
  d.size = j.at(5).get<std::uint64_t>();
  d.file = j.at(6).get<std::string>();
  d.line = j.at(7).get<unsigned>();
  d.column = j.at(8).get<unsigned>();
  d.simple_name = j.at(9).get<std::string>();
  d.strong = j.at(10).get<bool>();
  d.symbol = j.at(11).get<std::string>();
  d.is_new = j.at(12).get<bool>();
  return d;
}

} // namespace

std::string TransformRecord::serialize() const {
  Json fns = Json::array();
  for (const Function &f : functions)
    fns.push_back(Json::array({f.symbol, f.body, f.mangled, f.is_user, f.is_alias, f.strong}));
  Json data_j = Json::array();
  for (const DataCandidate &d : data) data_j.push_back(dataToJson(d));
  Json j = {{"format", kFormat},
            {"functions", fns},
            {"data", data_j},
            {"hooks", hooks},
            {"init", init_function},
            {"on_load", on_load},
            {"on_unload", on_unload},
            {"migrate", migrate},
            {"new_constants", new_constants},
            {"skipped_initializers", skipped_initializers},
            {"calls", calls},
            {"externals", externals},
            {"reloadable", reloadable},
            {"has_data", has_data},
            {"data_symbol", data_symbol},
            {"code_object", code_object_key}};
  std::vector<std::uint8_t> out = Json::to_msgpack(j);
  // The data object is binary: appended after the metadata, not escaped into it.
  std::string bytes(out.begin(), out.end());
  std::uint64_t n = bytes.size();
  std::string header(reinterpret_cast<const char *>(&n), sizeof n);
  return header + bytes + data_object;
}

std::string TransformRecord::digest() const {
  std::string bytes = serialize();
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size()));
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", (unsigned long long)h.high64,
                (unsigned long long)h.low64);
  return buf;
}

std::optional<TransformRecord> TransformRecord::parse(const std::string &bytes) {
  std::uint64_t n = 0;
  if (bytes.size() < sizeof n) return std::nullopt;
  std::memcpy(&n, bytes.data(), sizeof n);
  if (n > bytes.size() - sizeof n) return std::nullopt;
  Json j = Json::from_msgpack(bytes.begin() + sizeof n, bytes.begin() + sizeof n + n, true, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  try {
    if (j.at("format").get<int>() != kFormat) return std::nullopt;
    TransformRecord r;
    for (const Json &f : j.at("functions"))
      r.functions.push_back({f.at(0).get<std::string>(), f.at(1).get<std::string>(),
                             f.at(2).get<std::string>(), f.at(3).get<bool>(), f.at(4).get<bool>(),
                             f.at(5).get<bool>()});
    for (const Json &d : j.at("data")) r.data.push_back(dataFrom(d));
    r.hooks = j.at("hooks").get<std::set<std::string>>();
    r.init_function = j.at("init").get<std::string>();
    r.on_load = j.at("on_load").get<std::string>();
    r.on_unload = j.at("on_unload").get<std::string>();
    r.migrate = j.at("migrate").get<std::map<std::string, std::string>>();
    r.new_constants = j.at("new_constants").get<std::vector<std::string>>();
    r.skipped_initializers = j.at("skipped_initializers").get<unsigned>();
    r.calls = j.at("calls").get<std::set<std::string>>();
    r.externals = j.at("externals").get<std::set<std::string>>();
    r.reloadable = j.at("reloadable").get<std::map<std::string, bool>>();
    r.has_data = j.at("has_data").get<std::map<std::string, bool>>();
    r.data_symbol = j.at("data_symbol").get<std::map<std::string, std::string>>();
    r.code_object_key = j.at("code_object").get<std::string>();
    r.data_object = bytes.substr(sizeof n + n);
    return r;
  } catch (const Json::exception &) {
    return std::nullopt;
  }
}

} // namespace hot::jit
