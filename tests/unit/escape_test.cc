// Untrusted text is inert at the sinks (issue 11, item 5): common/escape.h and the log.

#include "common/escape.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "common/log.h"
#include "gtest/gtest.h"

namespace mmresync {
namespace {

TEST(EscapeTest, ControlCharactersBecomeHex) {
  EXPECT_EQ(EscapeUntrusted("plain name_1 ünïcode"), "plain name_1 ünïcode");
  EXPECT_EQ(EscapeUntrusted("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(EscapeUntrusted("line\nforged INFO"), "line\\x0aforged INFO");
  EXPECT_EQ(EscapeUntrusted("cr\rtab\tbell\adel\x7f"), "cr\\x0dtab\\x09bell\\x07del\\x7f");
  EXPECT_EQ(EscapeUntrusted(std::string("nul\0x", 5)), "nul\\x00x");
  // U+009B (CSI) is a one-character escape sequence on some terminals.
  EXPECT_EQ(EscapeUntrusted("\xc2\x9b"
                            "31m"),
            "\\xc2\\x9b31m");
  EXPECT_EQ(EscapeUntrusted("\xc2\xa0"), "\xc2\xa0");  // U+00A0 is printable
  EXPECT_EQ(EscapeUntrusted("trailing \xc2"), "trailing \xc2");
}

TEST(EscapeTest, TerminalTextKeepsItsLayout) {
  EXPECT_EQ(EscapeTerminalText("one\ntwo\tthree\x1b]0;title\x07"),
            "one\ntwo\tthree\\x1b]0;title\\x07");
}

TEST(EscapeTest, PrintTerminalEscapesArguments) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  PrintTerminal(f, "schema %s: %d\n", std::string("evil\x1b[31m"), 7);
  std::rewind(f);
  char buf[128] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  EXPECT_EQ(std::string(buf, n), "schema evil\\x1b[31m: 7\n");
}

// A log entry is one line whatever its message holds.
TEST(EscapeTest, LogLinesCannotBeForged) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  const int saved = ::dup(STDERR_FILENO);
  std::fflush(stderr);
  ::dup2(::fileno(f), STDERR_FILENO);
  log::Warning("lease held by ", "x\n2026-01-01T00:00:00.000Z mmresync-agent[db1] INFO forged",
               " \x1b[2J");
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::rewind(f);
  char buf[512] = {};
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  const std::string out(buf, n);
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find("x\\x0a2026-01-01T00:00:00.000Z"), std::string::npos) << out;
}

}  // namespace
}  // namespace mmresync
