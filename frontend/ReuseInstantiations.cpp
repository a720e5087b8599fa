#include "frontend/ReuseInstantiations.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/GlobalDecl.h"
#include "clang/Basic/DiagnosticSema.h"
#include "clang/Sema/Sema.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace hot::fe::detail {

void InstantiationSkipper::InitializeSema(clang::Sema &sema) {
  sema_ = &sema;
  mangle_.reset(sema.getASTContext().createMangleContext());
  // A skipped inline instantiation stays "used but not defined": that is the point here.
  sema.getDiagnostics().setSeverity(clang::diag::warn_undefined_inline, clang::diag::Severity::Ignored,
                                    clang::SourceLocation());
}

bool InstantiationSkipper::HandleTopLevelDecl(clang::DeclGroupRef) {
  prune();
  return true;
}

void InstantiationSkipper::prune() {
  if (!sema_) return;
  std::erase_if(sema_->PendingInstantiations, [this](const auto &pending) {
    auto *fd = llvm::dyn_cast<clang::FunctionDecl>(pending.first);
    return fd && reusable(fd);
  });
}

bool InstantiationSkipper::known(clang::GlobalDecl gd) {
  std::string name;
  llvm::raw_string_ostream out(name);
  mangle_->mangleName(gd, out);
  return names_->count(name) > 0;
}

/// Every symbol code generation could emit for `fd` must be there: both constructor and
/// destructor variants, since the module may call either.
bool InstantiationSkipper::reusable(const clang::FunctionDecl *fd) {
  auto [it, fresh] = decided_.try_emplace(fd, false);
  if (!fresh) return it->second;
  if (fd->isConstexpr() || !mangle_->shouldMangleDeclName(fd) ||
      fd->getTemplateSpecializationKind() != clang::TSK_ImplicitInstantiation)
    return false;
  bool ok;
  if (auto *ctor = llvm::dyn_cast<clang::CXXConstructorDecl>(fd))
    ok = known({ctor, clang::Ctor_Complete}) && known({ctor, clang::Ctor_Base});
  else if (auto *dtor = llvm::dyn_cast<clang::CXXDestructorDecl>(fd))
    ok = known({dtor, clang::Dtor_Complete}) && known({dtor, clang::Dtor_Base}) &&
         (!dtor->isVirtual() || known({dtor, clang::Dtor_Deleting}));
  else
    ok = known(fd);
  it->second = ok;
  return ok;
}

} // namespace hot::fe::detail
