// Diagnostic collection (clang -> hot::Diagnostic) and clang-style formatting of our own ones.
#include "clang/Basic/SourceManager.h"
#include "frontend/SafeFileSystem.h"
#include "frontend/FrontendInternal.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"

namespace hot::fe {
namespace detail {

CollectingDiagConsumer::CollectingDiagConsumer(clang::DiagnosticOptions &opts,
                                               std::vector<Diagnostic> &out, llvm::StringRef prefix)
    : stream_(buffer_), printer_(stream_, opts), out_(out) {
  printer_.setPrefix(prefix.str());
}

void CollectingDiagConsumer::BeginSourceFile(const clang::LangOptions &lo,
                                             const clang::Preprocessor *pp) {
  DiagnosticConsumer::BeginSourceFile(lo, pp);
  printer_.BeginSourceFile(lo, pp);
}

void CollectingDiagConsumer::EndSourceFile() {
  printer_.EndSourceFile();
  DiagnosticConsumer::EndSourceFile();
}

static Severity toSeverity(clang::DiagnosticsEngine::Level level) {
  switch (level) {
  case clang::DiagnosticsEngine::Error:
  case clang::DiagnosticsEngine::Fatal:
    return Severity::Error;
  case clang::DiagnosticsEngine::Warning:
    return Severity::Warning;
  default:
    return Severity::Note; // notes and remarks
  }
}

void CollectingDiagConsumer::HandleDiagnostic(clang::DiagnosticsEngine::Level level,
                                              const clang::Diagnostic &info) {
  DiagnosticConsumer::HandleDiagnostic(level, info); // keeps error/warning counts right
  if (level == clang::DiagnosticsEngine::Ignored) return;
  // A file of garbage (a 2 MB run of NUL bytes: one warning each) must not cost minutes of
  // formatting; clang's own error limit ends the compile, warnings past this are dropped.
  if (out_.size() >= kMaxDiagnostics && level < clang::DiagnosticsEngine::Error) return;
  Diagnostic d;
  d.severity = toSeverity(level);
  llvm::SmallString<256> msg;
  info.FormatDiagnostic(msg);
  d.message = msg.str().str();
  if (info.getLocation().isValid() && info.hasSourceManager()) {
    // Presumed location of the expansion point: the file:line:col clang itself prints.
    clang::PresumedLoc ploc = info.getSourceManager().getPresumedLoc(info.getLocation());
    if (ploc.isValid()) {
      d.file = ploc.getFilename();
      d.line = ploc.getLine();
      d.column = ploc.getColumn();
    }
  }
  // Let clang's own printer render it, so `formatted` is byte-for-byte what clang++ shows.
  buffer_.clear();
  printer_.HandleDiagnostic(level, info);
  stream_.flush();
  while (!buffer_.empty() && buffer_.back() == '\n') buffer_.pop_back();
  d.formatted = buffer_ + "\n"; // like clang's output: every diagnostic ends its line
  out_.push_back(std::move(d));
}

} // namespace detail

static const char *severityWord(Severity s) {
  switch (s) {
  case Severity::Note: return "note";
  case Severity::Warning: return "warning";
  default: return "error";
  }
}

/// Line `line` (1-based) of `path`, or nullopt when unreadable or too short.
static std::optional<std::string> readLine(const std::string &path, unsigned line) {
  auto buf = detail::readFileSafely(path, /*is_text=*/true);
  if (!buf) return std::nullopt;
  llvm::StringRef rest = (*buf)->getBuffer();
  for (unsigned i = 1; i < line; ++i) {
    size_t nl = rest.find('\n');
    if (nl == llvm::StringRef::npos) return std::nullopt;
    rest = rest.drop_front(nl + 1);
  }
  return rest.take_until([](char c) { return c == '\n' || c == '\r'; }).str();
}

/// Clang expands tabs to 8-column stops and counts a UTF-8 sequence as one column.
static std::string expandTabs(llvm::StringRef text, unsigned byte_col, unsigned &display_col) {
  std::string out;
  display_col = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i + 1 == byte_col) display_col = static_cast<unsigned>(out.size());
    unsigned char c = text[i];
    if (c == '\t') out.append(8 - out.size() % 8, ' ');
    else out.push_back(static_cast<char>(c));
  }
  if (byte_col > text.size()) display_col = static_cast<unsigned>(out.size());
  // Subtract UTF-8 continuation bytes before the caret so it lands under the right glyph.
  unsigned continuation = 0;
  for (unsigned i = 0; i < display_col && i < out.size(); ++i)
    if ((static_cast<unsigned char>(out[i]) & 0xC0) == 0x80) ++continuation;
  display_col -= continuation;
  return out;
}

std::string formatDiagnostic(const Diagnostic &d) {
  std::string out;
  if (!d.file.empty()) {
    out += d.file;
    if (d.line) out += ":" + std::to_string(d.line);
    if (d.line && d.column) out += ":" + std::to_string(d.column);
    out += ": ";
  }
  out += severityWord(d.severity);
  out += ": " + d.message;
  if (d.file.empty() || d.line == 0) return out + "\n";
  std::optional<std::string> text = readLine(d.file, d.line);
  if (!text) return out + "\n";
  // Same gutter as clang 22: line numbers right-aligned in at least 4 columns.
  std::string num = std::to_string(d.line);
  size_t width = std::max<size_t>(4, num.size());
  unsigned caret = 0;
  std::string shown = expandTabs(*text, d.column ? d.column : 1, caret);
  out += "\n " + std::string(width - num.size(), ' ') + num + " | " + shown;
  out += "\n " + std::string(width, ' ') + " | " + std::string(caret, ' ') + "^\n";
  return out;
}

} // namespace hot::fe
