// A crash in new code is reported with the faulting thread's backtrace: every JIT frame by
// function, file:line, unit and version (internal functions and lambdas included, not the
// nearest exported body), and library frames by symbol and object, innermost first.
#include <gtest/gtest.h>

#include "TestSupport.h"

namespace {

/// The position of `needle` in `text` at or after `from` (npos if absent).
size_t after(const std::string &text, const std::string &needle, size_t from) {
  return from == std::string::npos ? from : text.find(needle, from);
}

} // namespace

TEST(CrashBacktrace, NamesEveryJitFrameInnermostFirst) {
  hot::test::LiveProject p;
  p.write("outer.cpp", "int middle(int);\nint outer(int x) {\n  return middle(x) + 1;\n}\n");
  p.write("middle.cpp", "int middle(int x) { return x; }\n");
  ASSERT_TRUE(p.start().ok());
  auto outer = p.fn<int(int)>("outer");
  ASSERT_EQ(outer(1), 2);
  // Version 2: a lambda inside middle() calls a file-local helper that dereferences null.
  ASSERT_TRUE(p.edit("middle.cpp", "static int inner(int *p) {\n  return *p;\n}\n"
                                   "int middle(int x) {\n"
                                   "  auto call = [&] { return inner(x > 0 ? nullptr : &x); };\n"
                                   "  return call() + x;\n}\n")
                  .success);
  std::string loaded_hash = p.engine->history(p.path("middle.cpp")).back().content_hash;
  hot::Status st = p.engine->guarded([&] { (void)outer(1); });
  ASSERT_EQ(st.code(), hot::ErrorCode::Crashed) << st.message();
  const std::string &m = st.message();
  // The edit the crash may be due to: the version loaded last, when, and which text.
  EXPECT_NE(m.find("last loaded: " + p.path("middle.cpp") + " version 2 at 20"), std::string::npos)
      << m;
  EXPECT_NE(m.find("(content " + loaded_hash.substr(0, 16) + ")"), std::string::npos) << m;
  size_t bt = m.find("backtrace:");
  ASSERT_NE(bt, std::string::npos) << m;
  size_t inner = after(m, "#0 0x", bt);
  inner = after(m, "inner(int *)' (middle.cpp:1) [middle.cpp version 2]", inner);
  size_t lambda = after(m, "'int middle(int)::(lambda)::operator()() const' (middle.cpp:5)", inner);
  lambda = after(m, "[middle.cpp version 2]", lambda);
  size_t middle = after(m, "'int middle(int)' (middle.cpp:4) [middle.cpp version 2]", lambda);
  size_t outer_at = after(m, "'int outer(int)' (outer.cpp:2) [outer.cpp version 1]", middle);
  EXPECT_NE(inner, std::string::npos) << m;
  EXPECT_NE(lambda, std::string::npos) << m;
  EXPECT_NE(middle, std::string::npos) << m;
  EXPECT_NE(outer_at, std::string::npos) << m;
  EXPECT_EQ(m.find("hotengine"), std::string::npos) << "the engine's own frames are left out: " << m;
  EXPECT_EQ(outer(1), 2) << "middle.cpp was rolled back";
}

TEST(CrashBacktrace, AFaultInsideALibraryNamesTheLibraryAndTheJitCaller) {
  hot::test::LiveProject p;
  p.write("len.cpp", "#include <cstring>\nunsigned long len(const char *s) {\n"
                     "  return std::strlen(s);\n}\n");
  ASSERT_TRUE(p.start().ok());
  auto len = p.fn<unsigned long(const char *)>("len");
  ASSERT_EQ(len("abc"), 3u);
  ASSERT_TRUE(p.edit("len.cpp", "#include <cstring>\nunsigned long len(const char *s) {\n"
                                "  return std::strlen(s[0] ? nullptr : s) + 1;\n}\n")
                  .success);
  hot::Status st = p.engine->guarded([&] { (void)len("abc"); });
  ASSERT_EQ(st.code(), hot::ErrorCode::Crashed) << st.message();
  const std::string &m = st.message();
  // Blamed on the JIT caller, and the library frame comes first in the backtrace.
  EXPECT_NE(m.find("len.cpp: version 2 crashed with SIGSEGV (address 0x0) in "
                   "'unsigned long len(const char *)' (len.cpp:2)"),
            std::string::npos)
      << m;
  size_t lib = after(m, "#0 0x", m.find("backtrace:"));
  lib = after(m, "libc.so.6", lib);
  EXPECT_NE(after(m, "'unsigned long len(const char *)' (len.cpp:2) [len.cpp version 2]", lib),
            std::string::npos)
      << m;
  EXPECT_EQ(len("abc"), 3u);
}
