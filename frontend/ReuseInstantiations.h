// frontend/ internal: a body-only recompile does not instantiate again the function templates
// whose code the running version already has. Sema queues every implicit instantiation a body
// needs and performs the queue at the end of the translation unit; this consumer takes out of
// the queue each function whose mangled names the running version defines, so Sema neither
// instantiates it nor what only it needs, and code generation declares it instead of defining
// it (the engine links the declaration to the running version's code). Sound only when no
// declaration changed: the same mangled name then means the same code (the one-definition
// rule across versions).
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "clang/AST/Mangle.h"
#include "clang/Sema/SemaConsumer.h"

namespace hot::fe::detail {

class InstantiationSkipper : public clang::SemaConsumer {
public:
  /// `names`: mangled names of the functions whose code can be reused.
  explicit InstantiationSkipper(std::shared_ptr<const std::set<std::string>> names)
      : names_(std::move(names)) {}

  void InitializeSema(clang::Sema &sema) override;
  void ForgetSema() override { sema_ = nullptr; }
  bool HandleTopLevelDecl(clang::DeclGroupRef) override;
  void HandleCXXImplicitFunctionInstantiation(clang::FunctionDecl *) override { prune(); }

private:
  /// Drops reusable functions from Sema's queue of pending instantiations.
  void prune();
  bool reusable(const clang::FunctionDecl *fd);
  bool known(clang::GlobalDecl gd);

  std::shared_ptr<const std::set<std::string>> names_;
  clang::Sema *sema_ = nullptr;
  std::unique_ptr<clang::MangleContext> mangle_;
  std::unordered_map<const clang::FunctionDecl *, bool> decided_;
};

} // namespace hot::fe::detail
