// Feeds a hostile HTTP request to the operational HTTP server's parsing
// (common/net/http_parsing.h) the way HttpServer reads one: the bytes arrive
// in pieces, FindRequestHeadEnd scans the growing buffer, ParseRequestHead
// parses the head. Also ParseListenAddress on the same bytes.
//
// Input: u8 piece size, then the request bytes. Checks: the incremental
// scan finds the same head end as one scan of the whole buffer; a parsed
// head has a token method, a path, lower-case header names and a
// Content-Length within the limit; a parsed listen address has a host and a
// port in 0..65535.

#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "common/net/http_parsing.h"
#include "fuzz/fuzz_support.h"

namespace {

constexpr size_t kLimit = 4096;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fedge::net;
  fedge::fuzz::FuzzInput in(data, size);
  const size_t piece = 1 + in.U8() % 64;
  std::string bytes(in.Rest());

  absl::StatusOr<ListenAddress> address = ParseListenAddress(bytes);
  if (address.ok()) {
    FEDGE_FUZZ_CHECK(!address->host.empty());
    FEDGE_FUZZ_CHECK(address->port >= 0 && address->port <= 65535);
  }

  // As HttpServer: blank lines before a request are skipped.
  const size_t start = bytes.find_first_not_of("\r\n");
  bytes.erase(0, start == std::string::npos ? bytes.size() : start);

  std::string whole = bytes;
  size_t whole_from = 0;
  const size_t expected_end = FindRequestHeadEnd(whole, &whole_from);

  std::string buffer;
  size_t scan_from = 0;
  size_t head_end = 0;
  for (size_t at = 0; at < bytes.size() && head_end == 0; at += piece) {
    buffer.append(bytes, at, piece);
    head_end = FindRequestHeadEnd(buffer, &scan_from);
    FEDGE_FUZZ_CHECK(scan_from <= buffer.size());
  }
  FEDGE_FUZZ_CHECK(head_end == expected_end);
  if (head_end == 0) return 0;
  FEDGE_FUZZ_CHECK(head_end <= bytes.size());

  HttpRequestHead parsed;
  const HttpError error = ParseRequestHead(
      absl::string_view(bytes).substr(0, head_end), kLimit, &parsed);
  if (error.status != 0) {
    FEDGE_FUZZ_CHECK(error.status >= 400 && error.status < 600);
    FEDGE_FUZZ_CHECK(!error.message.empty());
    return 0;
  }
  FEDGE_FUZZ_CHECK(!parsed.request.method.empty());
  FEDGE_FUZZ_CHECK(parsed.content_length <= kLimit);
  for (const auto& [name, value] : parsed.request.headers) {
    FEDGE_FUZZ_CHECK(!name.empty());
    FEDGE_FUZZ_CHECK(absl::AsciiStrToLower(name) == name);
  }
  const std::string response = SerializeHttpResponse(
      HttpErrorResponse(404, parsed.request.path), false, "GET, HEAD");
  FEDGE_FUZZ_CHECK(response.rfind("HTTP/1.1 404 ", 0) == 0);
  return 0;
}
