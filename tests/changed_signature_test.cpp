// Signatures are recorded. A C++ function whose parameters change is a new function (the old
// one keeps its body and its handles); a function that keeps its symbol but changes its type
// (extern "C", or a C++ return type) is refused; a typed handle with the wrong type is an error.
#include <gtest/gtest.h>

#include "TestSupport.h"

TEST(ChangedSignature, CppParametersMakeANewFunction) {
  hot::test::LiveProject p;
  p.write("a.cpp", "namespace m { int scale(int x) { return x * 2; } }\n");
  ASSERT_TRUE(p.start().ok());
  auto one = p.fn<int(int)>("m::scale");
  ASSERT_EQ(one(4), 8);
  ASSERT_TRUE(p.edit("a.cpp", "namespace m { int scale(int x, int k) { return x * k; } }\n").success);
  auto two = p.fn<int(int, int)>("m::scale");
  ASSERT_TRUE(two);
  EXPECT_EQ(two(4, 3), 12);
  EXPECT_EQ(one(4), 8) << "the old handle still calls a body with its own signature";
  EXPECT_FALSE(one.current());
}

TEST(ChangedSignature, ExternCTypeChangeIsRefused) {
  hot::test::LiveProject p;
  p.write("c.cpp", "extern \"C\" int api(int x) { return x + 1; }\n");
  ASSERT_TRUE(p.start().ok());
  auto api = p.fn<int(int)>("api");
  ASSERT_EQ(api(1), 2);
  auto e = p.edit("c.cpp", "extern \"C\" double api(double x, double y) { return x + y; }\n");
  EXPECT_FALSE(e.success);
  EXPECT_EQ(e.code, hot::ErrorCode::SignatureChanged);
  EXPECT_NE(e.message.find(p.path("c.cpp") + ":1:"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("api"), std::string::npos) << e.message;
  EXPECT_EQ(api(1), 2) << "never called with the wrong ABI: the old body still runs";
}

TEST(ChangedSignature, CppReturnTypeChangeIsRefused) {
  hot::test::LiveProject p;
  p.write("r.cpp", "int ratio() { return 3; }\n");
  ASSERT_TRUE(p.start().ok());
  auto e = p.edit("r.cpp", "double ratio() { return 3.5; }\n");
  EXPECT_EQ(e.code, hot::ErrorCode::SignatureChanged) << e.message;
  EXPECT_EQ(p.fn<int()>("ratio")(), 3);
}

TEST(ChangedSignature, HandleWithWrongTypeIsAClearError) {
  hot::test::LiveProject p;
  p.write("w.cpp", "int twice(int x) { return 2 * x; }\n");
  ASSERT_TRUE(p.start().ok());
  auto wrong = p.engine->function<int(double)>("twice");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), hot::ErrorCode::SignatureChanged);
  EXPECT_NE(wrong.status().message().find("int twice(int)"), std::string::npos)
      << wrong.status().message();
}
