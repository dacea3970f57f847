#include "common/compression.h"

#include <zstd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace mmresync {

absl::StatusOr<int> ParseCompression(absl::string_view text) {
  if (text.empty() || text == "auto") return kCompressionAuto;
  if (text == "none" || text == "off") return kCompressionNone;
  absl::string_view digits = text;
  absl::ConsumePrefix(&digits, "zstd:");
  int level = 0;
  const bool only_digits = !digits.empty() && digits.size() <= 2 &&
                           digits.find_first_not_of("0123456789") == absl::string_view::npos;
  if (!only_digits || !absl::SimpleAtoi(digits, &level) || level < 1 || level > kMaxZstdLevel) {
    return absl::InvalidArgumentError(absl::StrCat(
        "compression \"", text, "\" is not auto, none or a zstd level 1..", kMaxZstdLevel));
  }
  return level;
}

std::string DescribeCompression(int level) {
  if (level == kCompressionAuto) return "auto";
  if (level == kCompressionNone) return "none";
  return absl::StrCat("zstd ", level);
}

absl::Status ValidateZstdLevel(int level) {
  if (level < kCompressionAuto || level > kMaxZstdLevel) {
    return absl::InvalidArgumentError(
        absl::StrCat("zstd_level ", level, " is outside -1..", kMaxZstdLevel));
  }
  return absl::OkStatus();
}

struct ZstdCompressor::Ctx {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ~Ctx() { ZSTD_freeCCtx(cctx); }
};

ZstdCompressor::ZstdCompressor() : ctx_(std::make_unique<Ctx>()) {}
ZstdCompressor::~ZstdCompressor() = default;

absl::StatusOr<std::string> ZstdCompressor::Compress(absl::string_view raw, int level) {
  if (ctx_->cctx == nullptr) return absl::ResourceExhaustedError("zstd: no compression context");
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n =
      ZSTD_compressCCtx(ctx_->cctx, out.data(), out.size(), raw.data(), raw.size(), level);
  if (ZSTD_isError(n)) {
    return absl::InternalError(absl::StrCat("zstd compression failed: ", ZSTD_getErrorName(n)));
  }
  out.resize(n);
  return out;
}

absl::StatusOr<std::string> ZstdDecompress(absl::string_view frame, size_t raw_bytes,
                                           size_t max_bytes) {
  if (raw_bytes > max_bytes) {
    return absl::DataLossError(absl::StrCat("a compressed chunk claims ", raw_bytes,
                                            " bytes, more than the ", max_bytes, " allowed"));
  }
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR || declared != raw_bytes) {
    return absl::DataLossError(absl::StrCat("a compressed chunk is not one zstd frame of the ",
                                            raw_bytes, " bytes it claims"));
  }
  std::string out(raw_bytes, '\0');
  const size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) {
    return absl::DataLossError(
        absl::StrCat("a compressed chunk does not decompress: ", ZSTD_getErrorName(n)));
  }
  if (n != raw_bytes) {
    return absl::DataLossError(absl::StrCat("a compressed chunk decompressed to ", n,
                                            " bytes, not the ", raw_bytes, " it claims"));
  }
  return out;
}

absl::Status DecompressFrames(absl::string_view data, size_t max_frame_bytes,
                              const std::function<absl::Status(absl::string_view)>& sink) {
  while (!data.empty()) {
    const size_t frame = ZSTD_findFrameCompressedSize(data.data(), data.size());
    if (ZSTD_isError(frame)) {
      return absl::DataLossError(
          absl::StrCat("a zstd frame is truncated or damaged: ", ZSTD_getErrorName(frame)));
    }
    const unsigned long long raw = ZSTD_getFrameContentSize(data.data(), frame);
    if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN) {
      return absl::DataLossError("a zstd frame does not record its size");
    }
    ASSIGN_OR_RETURN(std::string out, ZstdDecompress(data.substr(0, frame),
                                                     static_cast<size_t>(raw), max_frame_bytes));
    RETURN_IF_ERROR(sink(out));
    data.remove_prefix(frame);
  }
  return absl::OkStatus();
}

}  // namespace mmresync
