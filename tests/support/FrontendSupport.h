// Helpers shared by the frontend tests (tests that drive hot::fe::Frontend directly).
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "TestSupport.h"
#include "frontend/Frontend.h"
#include "llvm/IR/Function.h"
#include "llvm/Support/raw_ostream.h"

namespace hot::test {

/// A Frontend, or a test failure naming why there is none.
inline std::unique_ptr<hot::fe::Frontend> makeFrontend() {
  auto fe = hot::fe::Frontend::create();
  if (!fe) {
    ADD_FAILURE() << llvm::toString(fe.takeError());
    return nullptr;
  }
  return std::move(*fe);
}

/// Every diagnostic of a compile, formatted, one per line (for failure messages).
inline std::string allDiagnostics(const hot::fe::CompileResult &r) {
  std::string out;
  for (const auto &d : r.diagnostics) out += d.formatted + "\n";
  return out;
}

/// Writes `text` to `dir/name` and builds a job compiling exactly that text.
inline hot::fe::CompileJob jobFor(const TempDir &dir, const std::string &name,
                                  const std::string &text, std::vector<std::string> args = {}) {
  hot::fe::CompileJob job;
  job.path = dir.file(name);
  job.contents = text;
  job.args = std::move(args);
  writeFile(job.path, text);
  return job;
}

/// The constant `mangled` returns ("ret i32 N" in its IR); -1 when it is not a constant.
inline int returnedConstant(const hot::fe::CompileResult &r, const std::string &mangled = "_Z5valuev") {
  llvm::Function *f = r.module ? r.module->getFunction(mangled) : nullptr;
  if (!f) return -1;
  std::string ir;
  llvm::raw_string_ostream os(ir);
  f->print(os);
  size_t at = ir.find("ret i32 ");
  if (at == std::string::npos || !std::isdigit(static_cast<unsigned char>(ir[at + 8]))) return -1;
  return std::stoi(ir.substr(at + 8));
}

} // namespace hot::test
