// jit/: what one rewrite of a unit consulted and produced, so that a later run (a warm start)
// replays it instead of parsing the module and rewriting it again.
//
// The rewrite is a function of the module, the TransformOptions, the engine's decisions on
// the unit's data (DataCandidate::symbol/is_new) and the oracle's answers. The module and
// options are covered by the record's key (the caller's); the decisions and every answer the
// rewrite got are in the record, and a replay checks each against this run's engine: one that
// differs (another unit took a symbol, state already holds a constant) is a real rewrite.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "jit/Transform.h"

namespace hot::jit {

struct TransformRecord {
  struct Function {
    std::string symbol, body, mangled;
    bool is_user = false, is_alias = false, strong = false;
  };
  std::vector<Function> functions;
  std::vector<DataCandidate> data;         ///< With the decisions the rewrite saw.
  std::set<std::string> hooks;             ///< UnitTransform::hasHook() kinds.
  std::string init_function, on_load, on_unload;
  std::map<std::string, std::string> migrate;
  std::vector<std::string> new_constants;
  unsigned skipped_initializers = 0;
  std::set<std::string> calls;
  std::set<std::string> externals;
  /// The oracle's answers, per question.
  std::map<std::string, bool> reloadable, has_data;
  std::map<std::string, std::string> data_symbol;
  /// Set by the caller: the cached object of the rewritten code module (after its backend),
  /// and the data module's object ("" if the rewrite made none).
  std::string code_object_key;
  std::string data_object;

  std::string serialize() const;
  /// A hash of everything the record holds (128 bits, hex).
  std::string digest() const;
  /// Null if `bytes` is not a record this engine wrote.
  static std::optional<TransformRecord> parse(const std::string &bytes);
};

/// Passes questions to `inner` and notes each answer (for a record).
class RecordingOracle : public SymbolOracle {
public:
  explicit RecordingOracle(const SymbolOracle &inner) : inner_(inner) {}
  bool isReloadable(const std::string &symbol) const override {
    return reloadable[symbol] = inner_.isReloadable(symbol);
  }
  bool hasData(const std::string &symbol) const override {
    return has_data[symbol] = inner_.hasData(symbol);
  }
  std::string dataSymbol(const std::string &key) const override {
    return data_symbol[key] = inner_.dataSymbol(key);
  }
  mutable std::map<std::string, bool> reloadable, has_data;
  mutable std::map<std::string, std::string> data_symbol;

private:
  const SymbolOracle &inner_;
};

} // namespace hot::jit
