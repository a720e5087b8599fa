// hot call: invoking a reloadable function by name with arguments given as text (libffi).
//
// The function's recorded type (SymbolRecord::type_encoding, the Itanium RTTI name of its type,
// e.g. "FidE" for int(double)) is parsed with LLVM's Itanium demangler, so substitutions
// ("FvPKcS0_" is void(const char*, const char*)) and every other type are read correctly; each
// parameter is then either one of the supported kinds below or the call is refused before
// anything runs. The call goes through the function's stub, i.e. reaches its newest body, on the
// caller's thread.
//
// Supported parameter and return types: bool, char, signed/unsigned char, (unsigned) short, int,
// long, long long, wchar_t, char8_t, char16_t, char32_t, float, double, const char* (text),
// std::string_view and const std::string_view& (text), std::string, const std::string&,
// std::string& and std::string&& (text: a std::string made for the call and destroyed after it),
// any other pointer (an address: 0, 0x1234, null), and void (return). A returned std::string is
// shown as its text.
//
// std::string is the engine's own (the name of typeid(std::string) is compared, so a JIT unit
// built against another standard library's string is refused, not misread). It is not trivially
// copyable, so the Itanium C++ ABI passes it by the address of a temporary the caller owns and
// destroys, and returns it through a hidden first argument (the address of uninitialized storage
// the callee constructs it in): both are a pointer argument to libffi.
//
// Every type name in a message goes through prettyTypeNames(): libstdc++'s spellings
// ("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char>>") are shown as
// the names a user writes ("std::string").
#include "engine/EngineImpl.h"

#include "llvm/Demangle/Demangle.h"
#include "llvm/Demangle/ItaniumDemangle.h"

#include <ffi.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <typeinfo>
#include <system_error>
#include <type_traits>

namespace hot {
namespace {

namespace id = llvm::itanium_demangle;

// ---- reading the type encoding --------------------------------------------------------------

/// Node storage for the demangler's parser (freed with the arena).
class Arena {
public:
  void reset() { blocks_.clear(); }
  void *allocate(size_t n) {
    blocks_.push_back(std::make_unique<std::max_align_t[]>(n / sizeof(std::max_align_t) + 1));
    return blocks_.back().get();
  }
  template <class T, class... Args> T *makeNode(Args &&...args) {
    return new (allocate(sizeof(T))) T(std::forward<Args>(args)...);
  }
  void *allocateNodeArray(size_t n) { return allocate(n * sizeof(id::Node *)); }

private:
  std::vector<std::unique_ptr<std::max_align_t[]>> blocks_;
};

std::string printNode(const id::Node *n) {
  id::OutputBuffer ob;
  n->print(ob);
  std::string s(ob.getBuffer(), ob.getCurrentPosition());
  std::free(ob.getBuffer());
  return s;
}

enum class Kind {
  Void, Bool, Char, SChar, UChar, Short, UShort, Int, UInt, Long, ULong, LongLong, ULongLong,
  WChar, Char8, Char16, Char32, Float, Double, CString, StringView, Pointer,
  StringViewRef, ///< const std::string_view&: the address of a string_view.
  String,        ///< std::string by value: the address of a temporary (returned: hidden argument).
  StringRef,     ///< std::string const&, &, &&: the address of a std::string.
  Unsupported
};

struct TypeDesc {
  Kind kind = Kind::Unsupported;
  std::string name; ///< As the demangler prints it ("int", "char const*", "std::vector<...>").
};

// ---- type names as a user writes them ------------------------------------------------------

bool isIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

/// The index of the '>' closing the '<' at `open`, or npos.
size_t closingAngle(std::string_view s, size_t open) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '<' || s[i] == '(') ++depth;
    else if ((s[i] == '>' || s[i] == ')') && --depth == 0) return s[i] == '>' ? i : std::string_view::npos;
  }
  return std::string_view::npos;
}

/// Template arguments split at top-level commas, each trimmed.
std::vector<std::string> splitArguments(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || (s[i] == ',' && depth == 0)) {
      out.emplace_back(trim(s.substr(start, i - start)));
      start = i + 1;
    } else if (s[i] == '<' || s[i] == '(') {
      ++depth;
    } else if (s[i] == '>' || s[i] == ')') {
      --depth;
    }
  }
  return out;
}

/// "std::string" for basic_string<char> with default traits and allocator (also wstring,
/// u8string, u16string, u32string and the string_views); "" when the arguments are not those.
std::string stringAlias(bool view, const std::vector<std::string> &args) {
  static const std::pair<const char *, const char *> kPrefix[] = {
      {"char", ""}, {"wchar_t", "w"}, {"char8_t", "u8"}, {"char16_t", "u16"}, {"char32_t", "u32"}};
  if (args.empty() || args.size() > (view ? 2u : 3u)) return "";
  for (auto &[ch, prefix] : kPrefix) {
    if (args[0] != ch) continue;
    if (args.size() > 1 && args[1] != "std::char_traits<" + args[0] + ">") return "";
    if (args.size() > 2 && args[2] != "std::allocator<" + args[0] + ">") return "";
    return std::string("std::") + prefix + (view ? "string_view" : "string");
  }
  return "";
}

void replaceAll(std::string &s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

/// `text` (a signature or a type, from the demangler or from clang) with the standard library's
/// internal spellings replaced by the names a user writes: basic_string<char, char_traits<char>,
/// allocator<char>> is std::string, basic_string_view<char, ...> is std::string_view, and the
/// inline namespaces std::__cxx11:: (libstdc++) and std::__1:: (libc++) are left out.
std::string prettyTypeNames(std::string_view text) {
  static const std::pair<std::string_view, bool> kTemplates[] = {
      {"std::__cxx11::basic_string<", false}, {"std::__1::basic_string<", false},
      {"std::basic_string<", false},          {"std::__1::basic_string_view<", true},
      {"std::basic_string_view<", true}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool done = false;
    if (i == 0 || !isIdentifierChar(text[i - 1])) {
      for (auto &[prefix, view] : kTemplates) {
        if (text.substr(i, prefix.size()) != prefix) continue;
        size_t open = i + prefix.size() - 1, close = closingAngle(text, open);
        if (close == std::string_view::npos) break;
        std::string inner = prettyTypeNames(text.substr(open + 1, close - open - 1));
        std::string alias = stringAlias(view, splitArguments(inner));
        out += alias.empty() ? std::string(view ? "std::basic_string_view<" : "std::basic_string<") +
                                   std::string(trim(inner)) + ">"
                             : alias;
        i = close + 1;
        done = true;
        break;
      }
    }
    if (!done) out += text[i++];
  }
  replaceAll(out, "std::__cxx11::", "std::");
  replaceAll(out, "std::__1::", "std::");
  return out;
}

// ---- the types hot call converts ------------------------------------------------------------

/// How the demangler prints the mangled type name `rtti` (a typeid(T).name()).
std::string printedType(const char *rtti) {
  std::string_view s(rtti);
  id::ManglingParser<Arena> parser(s.data(), s.data() + s.size());
  const id::Node *type = parser.parseType();
  return type && parser.First == parser.Last ? printNode(type) : std::string();
}

/// The engine's own std::string and std::string_view as the demangler prints them.
const std::string &engineString() {
  static const std::string name = printedType(typeid(std::string).name());
  return name;
}
const std::string &engineStringView() {
  static const std::string name = printedType(typeid(std::string_view).name());
  return name;
}

TypeDesc describe(const id::Node *n) {
  TypeDesc t;
  const std::string printed = printNode(n);
  t.name = prettyTypeNames(printed);
  static const std::pair<const char *, Kind> kNamed[] = {
      {"void", Kind::Void},           {"bool", Kind::Bool},
      {"char", Kind::Char},           {"signed char", Kind::SChar},
      {"unsigned char", Kind::UChar}, {"short", Kind::Short},
      {"unsigned short", Kind::UShort}, {"int", Kind::Int},
      {"unsigned int", Kind::UInt},   {"long", Kind::Long},
      {"unsigned long", Kind::ULong}, {"long long", Kind::LongLong},
      {"unsigned long long", Kind::ULongLong}, {"wchar_t", Kind::WChar},
      {"char8_t", Kind::Char8},       {"char16_t", Kind::Char16},
      {"char32_t", Kind::Char32},     {"float", Kind::Float},
      {"double", Kind::Double},       {"char const*", Kind::CString}};
  for (auto &[name, kind] : kNamed)
    if (printed == name) {
      t.kind = kind;
      return t;
    }
  const std::string &str = engineString(), &view = engineStringView();
  if (!view.empty() && printed == view) t.kind = Kind::StringView;
  else if (!view.empty() && printed == view + " const&") t.kind = Kind::StringViewRef;
  else if (!str.empty() && printed == str) t.kind = Kind::String;
  else if (!str.empty() && (printed == str + " const&" || printed == str + "&" ||
                            printed == str + "&&"))
    t.kind = Kind::StringRef;
  else if (n->getKind() == id::Node::KPointerType) t.kind = Kind::Pointer;
  return t;
}

/// The function type's return and parameter types; false if `encoding` is not a function type.
struct Signature {
  TypeDesc ret;
  std::vector<TypeDesc> params;
  bool variadic = false;
};

bool parseSignature(const std::string &encoding, Signature &sig) {
  if (encoding.empty()) return false;
  id::ManglingParser<Arena> parser(encoding.data(), encoding.data() + encoding.size());
  const id::Node *type = parser.parseType();
  if (!type || parser.First != parser.Last || type->getKind() != id::Node::KFunctionType)
    return false;
  static_cast<const id::FunctionType *>(type)->match(
      [&](const id::Node *ret, id::NodeArray params, auto, auto, const id::Node *) {
        sig.ret = describe(ret);
        for (const id::Node *p : params) {
          if (printNode(p) == "...") {
            sig.variadic = true;
            continue;
          }
          sig.params.push_back(describe(p));
        }
      });
  return true;
}

// ---- text <-> values ------------------------------------------------------------------------

bool parseBool(std::string_view s, bool &out) {
  if (s == "true" || s == "1") return out = true, true;
  if (s == "false" || s == "0") return out = false, true;
  return false;
}

/// Decimal (optionally negative for signed types) or 0x-hex, the whole text, in range.
template <typename T> std::errc parseInteger(std::string_view s, T &out) {
  const char *first = s.data(), *last = s.data() + s.size();
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    first += 2;
    base = 16;
    if (*first == '-' || *first == '+') return std::errc::invalid_argument;
  }
  if (first == last) return std::errc::invalid_argument;
  auto [ptr, ec] = std::from_chars(first, last, out, base);
  if (ec != std::errc()) return ec;
  return ptr == last ? std::errc() : std::errc::invalid_argument;
}

template <typename T> std::errc parseFloating(std::string_view s, T &out) {
  if (s.empty()) return std::errc::invalid_argument;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc()) return ec;
  return ptr == s.data() + s.size() ? std::errc() : std::errc::invalid_argument;
}

std::errc parseAddress(std::string_view s, std::uintptr_t &out) {
  if (s == "null" || s == "nullptr" || s == "NULL") return out = 0, std::errc();
  return parseInteger(s, out);
}

std::string hexAddress(std::uintptr_t v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  return "0x" + std::string(buf, r.ptr);
}

template <typename T> std::string floatingText(T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

/// Storage for one argument or the return value (big enough for a string_view).
struct alignas(16) Cell {
  unsigned char bytes[32];
};

template <typename T> void store(Cell &c, T v) {
  static_assert(sizeof(T) <= sizeof(Cell));
  std::memcpy(c.bytes, &v, sizeof v);
}
template <typename T> T load(const Cell &c) {
  T v;
  std::memcpy(&v, c.bytes, sizeof v);
  return v;
}

/// libffi widens integral return values narrower than a register to ffi_arg.
template <typename T> T loadReturned(const Cell &c) {
  if constexpr (std::is_integral_v<T> && sizeof(T) < sizeof(ffi_arg)) {
    if constexpr (std::is_signed_v<T>) return T(load<ffi_sarg>(c));
    else return T(load<ffi_arg>(c));
  } else {
    return load<T>(c);
  }
}

const char *plainName(Kind k, const std::string &fallback) {
  switch (k) {
  case Kind::CString: return "const char*";
  case Kind::StringView: return "std::string_view";
  case Kind::StringViewRef: return "const std::string_view&";
  case Kind::String: return "std::string";
  default: return fallback.c_str();
  }
}

/// A string_view (libstdc++ {size_t, const char*}; libc++ {const char*, size_t}): two words,
/// passed and returned in two integer registers on x86-64.
ffi_type *stringViewType() {
  static ffi_type *elements[] = {&ffi_type_uint64, &ffi_type_uint64, nullptr};
  static ffi_type type = [] {
    ffi_type t{};
    t.size = 0;
    t.alignment = 0;
    t.type = FFI_TYPE_STRUCT;
    t.elements = elements;
    return t;
  }();
  static_assert(sizeof(std::string_view) == 16 && sizeof(std::size_t) == 8);
  return &type;
}

ffi_type *ffiType(Kind k) {
  switch (k) {
  case Kind::Void: return &ffi_type_void;
  case Kind::Bool: return &ffi_type_uint8;
  case Kind::Char: return std::is_signed_v<char> ? &ffi_type_sint8 : &ffi_type_uint8;
  case Kind::SChar: return &ffi_type_sint8;
  case Kind::UChar: case Kind::Char8: return &ffi_type_uint8;
  case Kind::Short: return &ffi_type_sint16;
  case Kind::UShort: case Kind::Char16: return &ffi_type_uint16;
  case Kind::Int: return &ffi_type_sint32;
  case Kind::UInt: case Kind::Char32: return &ffi_type_uint32;
  case Kind::WChar: return std::is_signed_v<wchar_t> ? &ffi_type_sint32 : &ffi_type_uint32;
  case Kind::Long: case Kind::LongLong: return &ffi_type_sint64;
  case Kind::ULong: case Kind::ULongLong: return &ffi_type_uint64;
  case Kind::Float: return &ffi_type_float;
  case Kind::Double: return &ffi_type_double;
  case Kind::CString: case Kind::Pointer: case Kind::StringViewRef: case Kind::String:
  case Kind::StringRef:
    return &ffi_type_pointer;
  case Kind::StringView: return stringViewType();
  case Kind::Unsupported: return nullptr;
  }
  return nullptr;
}

/// Objects that arguments point to, alive until the call returns (deque: stable addresses).
struct Temporaries {
  std::deque<std::string> strings;
  std::deque<std::string_view> views;
};

/// Converts `text` into `cell` as type `t`; on failure returns why ("" on success). `text`
/// outlives the call; objects an argument points to are made in `temps`.
std::string convert(const TypeDesc &t, const std::string &text, Cell &cell, Temporaries &temps) {
  auto integer = [&](auto zero) -> std::string {
    decltype(zero) v{};
    std::errc ec = parseInteger(text, v);
    if (ec == std::errc::result_out_of_range) return "out of range";
    if (ec != std::errc()) return "not a number";
    store(cell, v);
    return "";
  };
  switch (t.kind) {
  case Kind::Bool: {
    bool v = false;
    if (!parseBool(text, v)) return "not true, false, 1 or 0";
    store(cell, v);
    return "";
  }
  case Kind::Char:
    if (text.size() != 1) return "not a single character";
    store(cell, text[0]);
    return "";
  case Kind::SChar: return integer((signed char)0);
  case Kind::UChar: return integer((unsigned char)0);
  case Kind::Char8: return integer((unsigned char)0);
  case Kind::Short: return integer(short(0));
  case Kind::UShort: return integer((unsigned short)0);
  case Kind::Char16: return integer((unsigned short)0);
  case Kind::Int: return integer(0);
  case Kind::UInt: return integer(0u);
  case Kind::Char32: return integer(0u);
  case Kind::WChar: return integer(std::make_signed_t<wchar_t>(0));
  case Kind::Long: return integer(0l);
  case Kind::ULong: return integer(0ul);
  case Kind::LongLong: return integer(0ll);
  case Kind::ULongLong: return integer(0ull);
  case Kind::Float: case Kind::Double: {
    std::errc ec;
    if (t.kind == Kind::Float) {
      float v = 0;
      ec = parseFloating(text, v);
      if (ec == std::errc()) store(cell, v);
    } else {
      double v = 0;
      ec = parseFloating(text, v);
      if (ec == std::errc()) store(cell, v);
    }
    if (ec == std::errc::result_out_of_range) return "out of range";
    return ec == std::errc() ? "" : "not a number";
  }
  case Kind::CString: store(cell, text.c_str()); return "";
  case Kind::StringView: store(cell, std::string_view(text)); return "";
  case Kind::StringViewRef: store(cell, &temps.views.emplace_back(text)); return "";
  case Kind::String: case Kind::StringRef: store(cell, &temps.strings.emplace_back(text)); return "";
  case Kind::Pointer: {
    std::uintptr_t v = 0;
    if (parseAddress(text, v) != std::errc()) return "not an address (0x..., 0 or null)";
    store(cell, reinterpret_cast<void *>(v));
    return "";
  }
  case Kind::Void: case Kind::Unsupported: break;
  }
  return "unsupported";
}

std::string format(Kind k, const Cell &c) {
  switch (k) {
  case Kind::Void: return "";
  case Kind::Bool: return loadReturned<unsigned char>(c) ? "true" : "false";
  case Kind::Char: {
    char ch = loadReturned<char>(c);
    if (std::isprint(static_cast<unsigned char>(ch))) return std::string(1, ch);
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(static_cast<unsigned char>(ch)));
    return buf;
  }
  case Kind::SChar: return std::to_string(int(loadReturned<signed char>(c)));
  case Kind::UChar: case Kind::Char8:
    return std::to_string(unsigned(loadReturned<unsigned char>(c)));
  case Kind::Short: return std::to_string(loadReturned<short>(c));
  case Kind::UShort: case Kind::Char16:
    return std::to_string(loadReturned<unsigned short>(c));
  case Kind::Int: return std::to_string(loadReturned<int>(c));
  case Kind::UInt: case Kind::Char32: return std::to_string(loadReturned<unsigned>(c));
  case Kind::WChar: return std::to_string(loadReturned<std::make_signed_t<wchar_t>>(c));
  case Kind::Long: return std::to_string(load<long>(c));
  case Kind::ULong: return std::to_string(load<unsigned long>(c));
  case Kind::LongLong: return std::to_string(load<long long>(c));
  case Kind::ULongLong: return std::to_string(load<unsigned long long>(c));
  case Kind::Float: return floatingText(load<float>(c));
  case Kind::Double: return floatingText(load<double>(c));
  case Kind::CString: {
    const char *s = load<const char *>(c);
    return s ? std::string(s) : std::string("(null)");
  }
  case Kind::StringView: {
    std::string_view sv = load<std::string_view>(c);
    return sv.data() ? std::string(sv) : std::string();
  }
  case Kind::StringViewRef: {
    const std::string_view *sv = load<const std::string_view *>(c);
    return sv && sv->data() ? std::string(*sv) : std::string();
  }
  case Kind::StringRef: {
    const std::string *s = load<const std::string *>(c);
    return s ? *s : std::string();
  }
  case Kind::String: break; // returned through storage the caller provides (callByName)
  case Kind::Pointer: return hexAddress(reinterpret_cast<std::uintptr_t>(load<void *>(c)));
  case Kind::Unsupported: break;
  }
  return "";
}

/// One function `name` may mean, copied out of the tables (the call runs without mu_).
struct Candidate {
  std::string symbol, display, encoding, file;
  unsigned line = 0;
  void *stub = nullptr;
  std::string member_of; ///< Non-empty: a non-static member function of this class.
  Signature sig;
  bool parsed = false;
};

std::string describeCandidate(const Candidate &c) {
  std::string s = "\n  " + prettyTypeNames(c.display.empty() ? c.symbol : c.display);
  if (!c.file.empty()) s += "  (" + c.file + ":" + std::to_string(c.line) + ")";
  s += "  [" + c.symbol + "]";
  return s;
}

std::string plural(size_t n, const char *word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

} // namespace

Result<std::string> HotEngine::Impl::callByName(std::string_view name,
                                                const std::vector<std::string> &args) {
  std::vector<Candidate> candidates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<SymbolRecord *> found = findSymbols(name);
    if (found.empty())
      return Status(ErrorCode::NotFound,
                    "no reloadable function named '" + std::string(name) + "'");
    for (SymbolRecord *rec : found) {
      Candidate c;
      c.symbol = rec->symbol;
      c.display = rec->display;
      c.encoding = rec->type_encoding;
      c.file = rec->file;
      c.line = rec->line;
      c.stub = stubs_->stub(rec->stub);
      // The recorded type of a member function has no `this`: calling one would pass garbage.
      c.member_of = rec->member_of;
      candidates.push_back(std::move(c));
    }
  }
  for (Candidate &c : candidates) c.parsed = parseSignature(c.encoding, c.sig);

  // Overloads: the one taking as many arguments as given.
  const Candidate *chosen = &candidates.front();
  if (candidates.size() > 1) {
    std::vector<const Candidate *> fit;
    std::string all;
    for (const Candidate &c : candidates) {
      all += describeCandidate(c);
      if (c.parsed && c.sig.params.size() == args.size()) fit.push_back(&c);
    }
    if (fit.empty())
      return Status(ErrorCode::InvalidArgument,
                    "'" + std::string(name) + "' has " + std::to_string(candidates.size()) +
                        " overloads and none takes " + plural(args.size(), "argument") + ":" +
                        all);
    if (fit.size() > 1) {
      std::string list;
      for (const Candidate *c : fit) list += describeCandidate(*c);
      return Status(ErrorCode::InvalidArgument,
                    "'" + std::string(name) + "' is ambiguous: " + std::to_string(fit.size()) +
                        " overloads take " + plural(args.size(), "argument") + ":" + list +
                        "\ncall one by its mangled name (in brackets)");
    }
    chosen = fit.front();
  }
  const Candidate &fn = *chosen;
  const std::string shown = prettyTypeNames(fn.display.empty() ? fn.symbol : fn.display);

  if (!fn.parsed)
    return Status(ErrorCode::InvalidArgument,
                  "cannot call '" + shown + "': its signature is unknown" +
                      (fn.encoding.empty() ? " (compiler-generated function)"
                                           : " ('" + fn.encoding + "')"));
  if (!fn.member_of.empty())
    return Status(ErrorCode::InvalidArgument,
                  "cannot call '" + shown + "': it is a member function of '" +
                      prettyTypeNames(fn.member_of) +
                      "' (hot call calls free functions and extern \"C\" functions only)");
  if (fn.sig.variadic)
    return Status(ErrorCode::InvalidArgument,
                  "cannot call '" + shown + "': variadic functions are not supported");
  for (size_t i = 0; i < fn.sig.params.size(); ++i) {
    const TypeDesc &t = fn.sig.params[i];
    if (t.kind == Kind::Unsupported || t.kind == Kind::Void)
      return Status(ErrorCode::InvalidArgument,
                    "cannot call '" + shown + "': parameter " + std::to_string(i + 1) +
                        " has type " + t.name + " which hot call does not support");
  }
  if (fn.sig.ret.kind == Kind::Unsupported)
    return Status(ErrorCode::InvalidArgument,
                  "cannot call '" + shown + "': it returns " + fn.sig.ret.name +
                      " which hot call does not support");
  if (args.size() != fn.sig.params.size())
    return Status(ErrorCode::InvalidArgument,
                  "'" + shown + "' takes " + plural(fn.sig.params.size(), "argument") + ", got " +
                      std::to_string(args.size()));

  std::vector<Cell> values(args.size());
  std::vector<void *> value_ptrs;
  std::vector<ffi_type *> types;
  Temporaries temps;
  // A returned std::string: the callee constructs it in `returned`, whose address is passed
  // first (where the ABI passes the hidden return-slot argument); the function returns void here.
  const bool returns_string = fn.sig.ret.kind == Kind::String;
  alignas(std::string) unsigned char returned[sizeof(std::string)];
  void *return_slot = returned;
  if (returns_string) {
    value_ptrs.push_back(&return_slot);
    types.push_back(&ffi_type_pointer);
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const TypeDesc &t = fn.sig.params[i];
    std::string why = convert(t, args[i], values[i], temps);
    if (!why.empty())
      return Status(ErrorCode::InvalidArgument,
                    "argument " + std::to_string(i + 1) + " of '" + shown + "': expected " +
                        plainName(t.kind, t.name) + ", got '" + args[i] + "' (" + why + ")");
    value_ptrs.push_back(values[i].bytes);
    types.push_back(ffiType(t.kind));
  }

  ffi_cif cif;
  ffi_type *ret_type = returns_string ? &ffi_type_void : ffiType(fn.sig.ret.kind);
  if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, unsigned(types.size()), ret_type,
                   types.empty() ? nullptr : types.data()) != FFI_OK)
    return Status(ErrorCode::Internal, "cannot call '" + shown + "': ffi_prep_cif failed");
  Cell ret{};
  // The stub reaches the newest body; a reload cannot change its type (signature changes are
  // refused while the symbol is live), so the call is well-typed even if one lands meanwhile.
  // An exception thrown by the function leaves through here: `returned` was not constructed then.
  ffi_call(&cif, FFI_FN(fn.stub), ret_type == &ffi_type_void ? nullptr : ret.bytes,
           value_ptrs.empty() ? nullptr : value_ptrs.data());
  if (returns_string) {
    std::string *s = std::launder(reinterpret_cast<std::string *>(returned));
    std::string text = std::move(*s);
    s->~basic_string();
    return text;
  }
  return format(fn.sig.ret.kind, ret);
}

} // namespace hot
