// Maps the module's function/variable definitions back to their clang Decls: names, RTTI type
// encodings, locations and layout fingerprints the engine compares across reloads.
#include <memory>

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/RecordLayout.h"
#include "clang/Basic/SourceManager.h"
#include "clang/CodeGen/ModuleBuilder.h"
#include "frontend/FrontendInternal.h"
#include "llvm/IR/Module.h"

namespace hot::fe::detail {
namespace {

/// Layout fingerprints recurse this deep; deeper types contribute only name, size, alignment.
constexpr int kMaxLayoutDepth = 4;

/// Printing rules for every name and type we report: stable across edits (no source
/// locations inside "(unnamed struct)" / "(lambda)" names, which move when lines shift).
clang::PrintingPolicy stablePolicy(const clang::ASTContext &ctx) {
  clang::PrintingPolicy pp(ctx.getLangOpts());
  pp.AnonymousTagLocations = false;
  return pp;
}

struct Location {
  std::string file;
  unsigned line = 0, column = 0;
  bool in_system_header = false;
};

/// Presumed location of the expansion point of `d`, as clang reports positions.
Location locate(const clang::Decl &d) {
  const clang::SourceManager &sm = d.getASTContext().getSourceManager();
  clang::SourceLocation loc = sm.getExpansionLoc(d.getLocation());
  Location out;
  if (loc.isInvalid()) return out;
  clang::PresumedLoc ploc = sm.getPresumedLoc(loc);
  if (ploc.isValid()) {
    out.file = ploc.getFilename();
    out.line = ploc.getLine();
    out.column = ploc.getColumn();
  }
  out.in_system_header = sm.isInSystemHeader(loc);
  return out;
}

/// "(int, float)", "(const char *, ...)".
std::string parameterList(const clang::FunctionDecl &fd, const clang::PrintingPolicy &pp) {
  std::string out = "(";
  for (unsigned i = 0; i < fd.getNumParams(); ++i)
    out += (i ? ", " : "") + fd.getParamDecl(i)->getType().getAsString(pp);
  if (fd.isVariadic()) out += fd.getNumParams() ? ", ..." : "...";
  return out + ")";
}

/// "game::update", "game::Box<int>::get", "game::tick()::calls"; extern "C": the bare name.
std::string qualifiedName(const clang::NamedDecl &d, const clang::PrintingPolicy &pp) {
  if (const auto *fd = llvm::dyn_cast<clang::FunctionDecl>(&d); fd && fd->isExternC())
    return fd->getNameAsString();
  if (const auto *vd = llvm::dyn_cast<clang::VarDecl>(&d); vd && vd->isExternC())
    return vd->getNameAsString();
  // Clang prints only "calls" for a function-local static: qualify it with its function, whose
  // parameter list tells overloads apart.
  if (const auto *owner = llvm::dyn_cast<clang::FunctionDecl>(d.getDeclContext()))
    return qualifiedName(*owner, pp) + parameterList(*owner, pp) + "::" + d.getNameAsString();
  std::string out;
  llvm::raw_string_ostream os(out);
  d.getNameForDiagnostic(os, pp, /*Qualified=*/true); // adds template arguments, unlike printQualifiedName
  return out;
}

/// "int game::update(float)", "void Foo::bar() const".
std::string displaySignature(const clang::FunctionDecl &fd, const std::string &qualified,
                             const clang::PrintingPolicy &pp) {
  std::string out;
  if (!llvm::isa<clang::CXXConstructorDecl, clang::CXXDestructorDecl, clang::CXXConversionDecl>(fd))
    out = fd.getReturnType().getAsString(pp) + " ";
  out += qualified + parameterList(fd, pp);
  if (const auto *md = llvm::dyn_cast<clang::CXXMethodDecl>(&fd)) {
    if (md->isConst()) out += " const";
    if (md->isVolatile()) out += " volatile";
    if (md->getRefQualifier() == clang::RQ_LValue) out += " &";
    if (md->getRefQualifier() == clang::RQ_RValue) out += " &&";
  }
  return out;
}

/// The function's type as a free function: no cv/ref qualifiers of `this` (typeid cannot
/// even name such "abominable" types, and the encoding is only used for free functions).
clang::QualType plainFunctionType(clang::ASTContext &ctx, const clang::FunctionDecl &fd) {
  clang::QualType t = ctx.getCanonicalType(fd.getType());
  const auto *fpt = t->getAs<clang::FunctionProtoType>();
  if (!fpt || (fpt->getMethodQuals().empty() && fpt->getRefQualifier() == clang::RQ_None))
    return t;
  clang::FunctionProtoType::ExtProtoInfo epi = fpt->getExtProtoInfo();
  epi.TypeQuals = clang::Qualifiers();
  epi.RefQualifier = clang::RQ_None;
  return ctx.getFunctionType(fpt->getReturnType(), fpt->getParamTypes(), epi);
}

/// Itanium RTTI name without "_ZTS": what g++ returns from typeid(R(Args...)).name().
std::string rttiName(clang::MangleContext &mangle, clang::QualType t) {
  std::string out;
  llvm::raw_string_ostream os(out);
  mangle.mangleCXXRTTIName(t, os);
  llvm::StringRef name(out);
  name.consume_front("_ZTS");
  return name.str();
}

/// Where the definition is (the Decl codegen remembers may be an earlier declaration).
const clang::FunctionDecl &definitionOf(const clang::FunctionDecl &fd) {
  const clang::FunctionDecl *def = nullptr;
  return fd.isDefined(def) && def ? *def : fd;
}

const clang::VarDecl &definitionOf(const clang::VarDecl &vd) {
  const clang::VarDecl *def = vd.getDefinition();
  return def ? *def : vd;
}

class SymbolCollector {
public:
  SymbolCollector(clang::ASTContext &ctx, clang::CodeGenerator &gen, CompileResult &out)
      : ctx_(ctx), gen_(gen), out_(out), pp_(stablePolicy(ctx)),
        mangle_(ctx.createMangleContext()) {}

  void addFunction(const llvm::GlobalValue &gv) {
    const auto *fd = llvm::dyn_cast_or_null<clang::FunctionDecl>(gen_.GetDeclForMangledName(gv.getName()));
    if (!fd) return; // compiler-generated (__cxx_global_var_init, _GLOBAL__sub_I_..., thunks)
    const clang::FunctionDecl &def = definitionOf(*fd);
    FunctionInfo info;
    info.mangled = gv.getName().str();
    info.qualified_name = qualifiedName(def, pp_);
    info.display = displaySignature(def, info.qualified_name, pp_);
    info.type_encoding = rttiName(*mangle_, plainFunctionType(ctx_, def));
    Location loc = locate(def);
    info.file = loc.file;
    info.line = loc.line;
    info.column = loc.column;
    info.in_system_header = loc.in_system_header;
    info.is_extern_c = def.isExternC();
    if (const auto *md = llvm::dyn_cast<clang::CXXMethodDecl>(&def); md && md->isInstance()) {
      info.is_member = true;
      info.member_of = md->getParent()->getQualifiedNameAsString();
    }
    out_.functions[info.mangled] = std::move(info);
  }

  void addGlobal(const llvm::GlobalVariable &gv) {
    const auto *vd = llvm::dyn_cast_or_null<clang::VarDecl>(gen_.GetDeclForMangledName(gv.getName()));
    if (!vd) return; // guard variables, vtables, typeinfo, string literals: no variable Decl
    const clang::VarDecl &def = definitionOf(*vd);
    GlobalInfo info;
    info.mangled = gv.getName().str();
    info.qualified_name = qualifiedName(def, pp_);
    clang::QualType type = ctx_.getCanonicalType(def.getType());
    info.cpp_type = type.getAsString(pp_);
    info.layout = layoutFingerprint(ctx_, type.getUnqualifiedType()); // const is not layout
    Location loc = locate(def);
    info.file = loc.file;
    info.line = loc.line;
    info.column = loc.column;
    info.in_system_header = loc.in_system_header;
    out_.globals[info.mangled] = std::move(info);
  }

private:
  clang::ASTContext &ctx_;
  clang::CodeGenerator &gen_;
  CompileResult &out_;
  clang::PrintingPolicy pp_;
  std::unique_ptr<clang::MangleContext> mangle_;
};

/// Bases (with offsets, in bytes) and fields (name, type layout, offset in bits) of `rd`.
void appendRecordLayout(clang::ASTContext &ctx, const clang::RecordDecl &rd, int depth,
                        std::string &out) {
  const clang::ASTRecordLayout &rl = ctx.getASTRecordLayout(&rd);
  if (const auto *cxx = llvm::dyn_cast<clang::CXXRecordDecl>(&rd)) {
    if (cxx->isDynamicClass()) out += ";vptr";
    for (const clang::CXXBaseSpecifier &b : cxx->bases()) {
      const clang::CXXRecordDecl *base = b.getType()->getAsCXXRecordDecl();
      if (!base) continue;
      auto off = b.isVirtual() ? rl.getVBaseClassOffset(base) : rl.getBaseClassOffset(base);
      out += b.isVirtual() ? ";vbase " : ";base ";
      out += layoutFingerprint(ctx, b.getType(), depth + 1) + "@" + std::to_string(off.getQuantity());
    }
  }
  for (const clang::FieldDecl *f : rd.fields()) {
    out += ";" + f->getNameAsString() + ":" + layoutFingerprint(ctx, f->getType(), depth + 1);
    out += "@" + std::to_string(rl.getFieldOffset(f->getFieldIndex()));
    if (f->isBitField()) out += ":" + std::to_string(f->getBitWidthValue());
  }
}

} // namespace

std::string layoutFingerprint(clang::ASTContext &ctx, clang::QualType t, int depth) {
  t = ctx.getCanonicalType(t);
  clang::PrintingPolicy pp = stablePolicy(ctx);
  std::string out = t.getAsString(pp);
  if (t->isDependentType() || t->isIncompleteType() || t->isFunctionType()) return out + "{?}";
  out += "{" + std::to_string(ctx.getTypeSizeInChars(t).getQuantity()) + "," +
         std::to_string(ctx.getTypeAlignInChars(t).getQuantity());
  if (depth < kMaxLayoutDepth) {
    if (const auto *arr = ctx.getAsConstantArrayType(t)) {
      out += ";" + std::to_string(arr->getZExtSize()) + "x" +
             layoutFingerprint(ctx, arr->getElementType(), depth + 1);
    } else if (const clang::RecordDecl *rd = t->getAsRecordDecl(); rd && rd->getDefinition()) {
      appendRecordLayout(ctx, *rd->getDefinition(), depth, out);
    }
  }
  return out + "}";
}

void collectSymbols(clang::ASTContext &ctx, clang::CodeGenerator &gen, const llvm::Module &m,
                    CompileResult &result) {
  SymbolCollector collector(ctx, gen, result);
  // available_externally bodies are copies of definitions living elsewhere: not ours.
  for (const llvm::Function &f : m.functions())
    if (!f.isDeclarationForLinker()) collector.addFunction(f);
  // -mconstructor-aliases defines complete ctors/dtors (C1/D1) as aliases of base ones.
  for (const llvm::GlobalAlias &a : m.aliases())
    if (llvm::isa_and_nonnull<llvm::Function>(a.getAliaseeObject())) collector.addFunction(a);
  for (const llvm::GlobalVariable &g : m.globals())
    if (!g.isDeclarationForLinker()) collector.addGlobal(g);
}

} // namespace hot::fe::detail
