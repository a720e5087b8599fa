// engine/: hot::Config to and from JSON, with errors that name the key; hot::toString(ErrorCode).
#include "hot/config.h"

#include "engine/Util.h"
#include "hot/status.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <system_error>

#include <nlohmann/json.hpp>

namespace hot {
namespace {

// ordered_json: errors come in document order and toJson() follows the struct's field order.
using Json = nlohmann::ordered_json;

// Upper bounds of numeric keys: far above any real use, low enough that a typo cannot make the
// engine start thousands of threads or wait for hours.
constexpr std::uint64_t kMaxDebounceMs = 60000;
constexpr std::uint64_t kMaxHistory = 1000;
constexpr std::uint64_t kMaxCompileThreads = 256;

Status configError(std::string message) {
  return Status(ErrorCode::ConfigError, std::move(message));
}

/// A JSON value's type as a user would name it; numbers carry their value, since "-3" says more
/// than "negative integer" alone.
std::string describe(const Json &v) {
  switch (v.type()) {
  case Json::value_t::number_unsigned:
    return "integer " + v.dump();
  case Json::value_t::number_integer:
    return "negative integer " + v.dump();
  case Json::value_t::number_float:
    return "floating-point number " + v.dump();
  default:
    return v.type_name();
  }
}

std::size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string join(const std::string &object, const std::string &key) {
  return object.empty() ? key : object + "." + key;
}

/// Walks a parsed document into a Config. Every error names the key by its full path.
class Reader {
public:
  explicit Reader(const std::string &origin) : origin_(origin) {}

  Status read(const Json &doc, Config &config) {
    if (!doc.is_object())
      return configError(origin_ + ": the top level must be an object, got " + describe(doc));
    return readObject(doc, "", configFields(config));
  }

private:
  /// Reads one value into its field; `key` is the full path ("tiering.enabled").
  using Handler = std::function<Status(const Json &value, const std::string &key)>;
  struct Field {
    const char *name;
    Handler read;
  };

  std::vector<Field> configFields(Config &c) {
    return {
        {"std", string(c.std)},
        {"c_std", string(c.c_std)},
        {"opt_level", optLevel(c.opt_level)},
        {"debug_info", boolean(c.debug_info)},
        {"include_dirs", strings(c.include_dirs)},
        {"defines", strings(c.defines)},
        {"flags", strings(c.flags)},
        {"extensions", strings(c.extensions)},
        {"exclude", strings(c.exclude)},
        {"compile_commands", string(c.compile_commands)},
        {"libraries", strings(c.libraries)},
        {"library_dirs", strings(c.library_dirs)},
        {"build_libraries", boolean(c.build_libraries)},
        {"debounce_ms", unsignedInt(c.debounce_ms, kMaxDebounceMs)},
        {"apply_in_background", boolean(c.apply_in_background)},
        {"header_cache", boolean(c.header_cache)},
        {"function_patches", boolean(c.function_patches)},
        {"reuse_inline_code", boolean(c.reuse_inline_code)},
        {"perf_map", boolean(c.perf_map)},
        {"register_with_debugger", boolean(c.register_with_debugger)},
        {"crash_report", boolean(c.crash_report)},
        {"cache_dir", string(c.cache_dir)},
        {"cache_max_mb", unsignedInt(c.cache_max_mb, 1000000)},
        {"history", unsignedInt(c.history, kMaxHistory)},
        {"compile_threads", unsignedInt(c.compile_threads, kMaxCompileThreads)},
        {"track_system_headers", boolean(c.track_system_headers)},
        {"start_with_errors", boolean(c.start_with_errors)},
        {"log_to_stderr", boolean(c.log_to_stderr)},
        {"init_timeout_ms", unsignedInt(c.init_timeout_ms, 3600000)},
        {"compile_budget_ms", unsignedInt(c.compile_budget_ms, 3600000)},
        {"tiering", object(tieringFields(c.tiering))},
    };
  }

  std::vector<Field> tieringFields(TieringConfig &t) {
    return {
        {"enabled", boolean(t.enabled)},
        {"tier0_opt", optLevel(t.tier0_opt)},
        {"tier1_opt", optLevel(t.tier1_opt)},
        {"call_threshold", unsignedInt(t.call_threshold)},
        {"native_cpu", boolean(t.native_cpu)},
    };
  }

  Status readObject(const Json &obj, const std::string &key, const std::vector<Field> &fields) {
    for (const auto &[name, value] : obj.items()) {
      auto field = std::find_if(fields.begin(), fields.end(),
                                [&](const Field &f) { return name == f.name; });
      if (field == fields.end())
        return unknownKey(key, name, fields);
      if (Status st = field->read(value, join(key, name)); !st.ok())
        return st;
    }
    return Status();
  }

  Status unknownKey(const std::string &object, const std::string &name,
                    const std::vector<Field> &fields) {
    std::string message = "unknown key \"" + join(object, name) + "\" in " + origin_;
    const Field *best = nullptr;
    std::size_t bestDistance = 3; // suggest only near misses (typos), not arbitrary keys
    for (const Field &f : fields) {
      std::size_t d = editDistance(name, f.name);
      if (d < bestDistance)
        best = &f, bestDistance = d;
    }
    if (best)
      message += " (did you mean \"" + join(object, best->name) + "\"?)";
    return configError(message);
  }

  Status keyError(const std::string &key, const std::string &what) {
    return configError("key \"" + key + "\" in " + origin_ + ": " + what);
  }

  Status typeError(const std::string &key, const char *expected, const Json &v) {
    return keyError(key, std::string("expected ") + expected + ", got " + describe(v));
  }

  Handler object(std::vector<Field> fields) {
    return [this, fields = std::move(fields)](const Json &v, const std::string &key) {
      return v.is_object() ? readObject(v, key, fields) : typeError(key, "object", v);
    };
  }

  Handler boolean(bool &out) {
    return [this, &out](const Json &v, const std::string &key) {
      if (!v.is_boolean())
        return typeError(key, "boolean", v);
      out = v.get<bool>();
      return Status();
    };
  }

  Handler string(std::string &out) {
    return [this, &out](const Json &v, const std::string &key) {
      if (!v.is_string())
        return typeError(key, "string", v);
      out = v.get<std::string>();
      return Status();
    };
  }

  Handler strings(std::vector<std::string> &out) {
    return [this, &out](const Json &v, const std::string &key) {
      if (!v.is_array())
        return typeError(key, "array of strings", v);
      std::vector<std::string> items;
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string())
          return typeError(key + "[" + std::to_string(i) + "]", "string", v[i]);
        items.push_back(v[i].get<std::string>());
      }
      out = std::move(items);
      return Status();
    };
  }

  /// An unsigned integer of at most `max` (a value past what the engine can use, such as
  /// 4294967295 compile threads, is an error rather than a start-up that never ends).
  template <typename T>
  Handler unsignedInt(T &out, std::uint64_t max = std::numeric_limits<T>::max()) {
    return [this, &out, max](const Json &v, const std::string &key) {
      // nlohmann stores every non-negative integer literal as number_unsigned.
      if (!v.is_number_unsigned())
        return typeError(key, "unsigned integer", v);
      auto n = v.get<std::uint64_t>();
      if (n > max)
        return keyError(key, "must be at most " + std::to_string(max) + ", got " + v.dump());
      out = static_cast<T>(n);
      return Status();
    };
  }

  Handler optLevel(int &out) {
    return [this, &out](const Json &v, const std::string &key) {
      if (!v.is_number_integer())
        return typeError(key, "integer 0-3", v);
      if (!v.is_number_unsigned() || v.get<std::uint64_t>() > 3)
        return keyError(key, "optimization level must be 0-3, got " + v.dump());
      out = v.get<int>();
      return Status();
    };
  }

  const std::string &origin_;
};

Status syntaxError(const std::string &text, const std::string &origin,
                   const Json::parse_error &e) {
  auto [line, column] = util::jsonErrorPosition(text, e.byte);
  // what() is "[json.exception.parse_error.101] parse error at line 1, column 2: <detail>";
  // keep only the detail, since we lead with our own file:line:col.
  std::string what = e.what();
  std::size_t colon = what.find(": ");
  std::string detail = colon == std::string::npos ? what : what.substr(colon + 2);
  return configError(origin + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                     detail);
}

/// A config is read like a source file: regular files only, size-limited, never blocking.
Status readFile(const std::string &path, std::string &out) {
  std::string why;
  if (!util::readFile(path, out, &why))
    return Status(ErrorCode::IoError, "cannot read config file \"" + path + "\": " + why);
  return Status();
}

} // namespace

Result<Config> Config::fromJson(const std::string &text, const std::string &origin) {
  try {
    Json doc = Json::parse(text);
    Config config;
    if (Status st = Reader(origin).read(doc, config); !st.ok())
      return st;
    return config;
  } catch (const Json::parse_error &e) {
    return syntaxError(text, origin, e);
  } catch (const std::exception &e) {
    return configError(origin + ": " + e.what());
  } catch (...) {
    return Status(ErrorCode::Internal, origin + ": unexpected error while reading the config");
  }
}

Result<Config> Config::fromJsonFile(const std::string &path) {
  std::string text;
  if (Status st = readFile(path, text); !st.ok())
    return st;
  return fromJson(text, path);
}

std::string Config::toJson() const {
  Json tier;
  tier["enabled"] = tiering.enabled;
  tier["tier0_opt"] = tiering.tier0_opt;
  tier["tier1_opt"] = tiering.tier1_opt;
  tier["call_threshold"] = tiering.call_threshold;
  tier["native_cpu"] = tiering.native_cpu;

  Json j;
  j["std"] = this->std;
  j["c_std"] = c_std;
  j["opt_level"] = opt_level;
  j["debug_info"] = debug_info;
  j["include_dirs"] = include_dirs;
  j["defines"] = defines;
  j["flags"] = flags;
  j["extensions"] = extensions;
  j["exclude"] = exclude;
  j["compile_commands"] = compile_commands;
  j["libraries"] = libraries;
  j["library_dirs"] = library_dirs;
  j["build_libraries"] = build_libraries;
  j["debounce_ms"] = debounce_ms;
  j["apply_in_background"] = apply_in_background;
  j["header_cache"] = header_cache;
  j["function_patches"] = function_patches;
  j["reuse_inline_code"] = reuse_inline_code;
  j["perf_map"] = perf_map;
  j["register_with_debugger"] = register_with_debugger;
  j["crash_report"] = crash_report;
  j["cache_dir"] = cache_dir;
  j["cache_max_mb"] = cache_max_mb;
  j["history"] = history;
  j["compile_threads"] = compile_threads;
  j["track_system_headers"] = track_system_headers;
  j["start_with_errors"] = start_with_errors;
  j["log_to_stderr"] = log_to_stderr;
  j["init_timeout_ms"] = init_timeout_ms;
  j["compile_budget_ms"] = compile_budget_ms;
  j["tiering"] = std::move(tier);
  // replace: invalid UTF-8 in a path must not throw out of a function that cannot fail.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

const char *toString(ErrorCode code) {
  switch (code) {
  case ErrorCode::Ok: return "ok";
  case ErrorCode::CompileError: return "compile error";
  case ErrorCode::LinkError: return "link error";
  case ErrorCode::LayoutChanged: return "layout changed";
  case ErrorCode::SignatureChanged: return "signature changed";
  case ErrorCode::ConfigError: return "config error";
  case ErrorCode::IoError: return "I/O error";
  case ErrorCode::NotFound: return "not found";
  case ErrorCode::Crashed: return "crashed";
  case ErrorCode::InitializerFailed: return "initializer failed";
  case ErrorCode::InvalidArgument: return "invalid argument";
  case ErrorCode::Internal: return "internal error";
  }
  return "unknown error";
}

} // namespace hot

namespace hot {
std::string Config::defaultCacheDir() {
  const char *xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && *xdg == '/') return std::string(xdg) + "/hotengine";
  const char *home = std::getenv("HOME");
  return home && *home ? std::string(home) + "/.cache/hotengine" : std::string();
}
} // namespace hot
