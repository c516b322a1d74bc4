#include "common/net/http_parsing.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace fedge::net {
namespace {

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool IsToken(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(const std::string& address) {
  const auto invalid = [&address](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid listen address '", address, "': ", why,
                     " (expected host:port, e.g. 127.0.0.1:8080, [::1]:8080 or "
                     "localhost:0; port 0 picks a free port)"));
  };
  ListenAddress out;
  std::string port_text;
  if (!address.empty() && address[0] == '[') {
    const size_t close = address.find(']');
    if (close == std::string::npos) {
      return invalid("missing ']' after the IPv6 address");
    }
    if (close + 1 >= address.size() || address[close + 1] != ':') {
      return invalid("missing ':port' after ']'");
    }
    out.host = address.substr(1, close - 1);
    out.bracketed = true;
    port_text = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) return invalid("missing ':port'");
    out.host = address.substr(0, colon);
    if (out.host.find(':') != std::string::npos) {
      return invalid("an IPv6 address needs brackets, e.g. [::1]:8080");
    }
    port_text = address.substr(colon + 1);
  }
  if (out.host.empty()) {
    return invalid("missing host; use 0.0.0.0 or [::] for all interfaces");
  }
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port_text, &out.port) || out.port > 65535) {
    return invalid(
        absl::StrCat("port '", port_text, "' is not a number from 0 to 65535"));
  }
  return out;
}

size_t FindRequestHeadEnd(const std::string& buffer, size_t* scan_from) {
  for (size_t i = *scan_from; i < buffer.size(); ++i) {
    if (buffer[i] != '\n') continue;
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n') return i + 2;
    if (i + 2 < buffer.size() && buffer[i + 1] == '\r' &&
        buffer[i + 2] == '\n') {
      return i + 3;
    }
    if (i + 2 >= buffer.size()) {
      *scan_from = i;
      return 0;
    }
  }
  *scan_from = buffer.size();
  return 0;
}

HttpError ParseRequestHead(absl::string_view head, size_t max_request_bytes,
                           HttpRequestHead* parsed) {
  HttpRequest& request = parsed->request;
  std::vector<absl::string_view> lines = absl::StrSplit(head, '\n');
  for (absl::string_view& line : lines) absl::ConsumeSuffix(&line, "\r");

  const std::vector<absl::string_view> parts = absl::StrSplit(lines[0], ' ');
  if (parts.size() != 3 || !IsToken(parts[0]) || parts[1].empty()) {
    return {400, "malformed request line; expected 'METHOD /path HTTP/1.1'"};
  }
  const absl::string_view version = parts[2];
  if (version.size() != 8 || !absl::StartsWith(version, "HTTP/") ||
      !absl::ascii_isdigit(version[5]) || version[6] != '.' ||
      !absl::ascii_isdigit(version[7])) {
    return {400, absl::StrCat("malformed HTTP version '", version,
                              "'; expected HTTP/1.1")};
  }
  if (version[5] != '1') {
    return {505, absl::StrCat(version, " is not supported; use HTTP/1.1")};
  }
  absl::string_view target = parts[1];
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(target, scheme)) {
      // Absolute form: keep only the path and query.
      target.remove_prefix(scheme.size());
      const size_t slash = target.find('/');
      target = slash == absl::string_view::npos ? "/" : target.substr(slash);
    }
  }
  if (target[0] != '/') {
    return {400, "request target must be a path starting with '/'"};
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      return {400, "request target contains a control character"};
    }
  }
  request.method = std::string(parts[0]);
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != absl::string_view::npos) {
    request.query = std::string(target.substr(question + 1));
  }

  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      return {400, "folded header lines are not supported"};
    }
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos || !IsToken(line.substr(0, colon))) {
      return {400, absl::StrCat("malformed header line '",
                                absl::CEscape(line.substr(0, 80)), "'")};
    }
    const std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    const absl::string_view value =
        absl::StripAsciiWhitespace(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
        return {400, absl::StrCat("header '", name,
                                  "' contains a control character")};
      }
    }
    auto [it, inserted] = request.headers.emplace(name, std::string(value));
    if (!inserted) {
      if (name == "content-length") {
        if (it->second != value) {
          return {400, "conflicting Content-Length headers"};
        }
      } else {
        absl::StrAppend(&it->second, ", ", value);
      }
    }
  }

  if (request.headers.count("transfer-encoding") != 0) {
    return {411,
            "Transfer-Encoding (chunked) request bodies are not supported; "
            "send the body with a Content-Length header"};
  }
  if (auto it = request.headers.find("content-length");
      it != request.headers.end()) {
    const std::string& text = it->second;
    if (text.empty() ||
        !std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) {
      return {400, absl::StrCat("invalid Content-Length '", absl::CEscape(text),
                                "'")};
    }
    uint64_t length = 0;
    if (text.size() > 18 || !absl::SimpleAtoi(text, &length) ||
        length > max_request_bytes) {
      return {413, absl::StrCat("request body of ", text,
                                " bytes exceeds the limit of ",
                                max_request_bytes, " bytes")};
    }
    parsed->content_length = static_cast<size_t>(length);
  }
  if (auto it = request.headers.find("expect"); it != request.headers.end()) {
    if (!absl::EqualsIgnoreCase(it->second, "100-continue")) {
      return {417, absl::StrCat("unsupported expectation '",
                                absl::CEscape(it->second), "'")};
    }
    parsed->expect_continue = true;
  }
  return {};
}

const char* HttpReasonPhrase(int status) {
  static constexpr std::pair<int, const char*> kPhrases[] = {
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {204, "No Content"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {304, "Not Modified"},
      {307, "Temporary Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {411, "Length Required"},
      {413, "Content Too Large"},
      {415, "Unsupported Media Type"},
      {417, "Expectation Failed"},
      {422, "Unprocessable Content"},
      {429, "Too Many Requests"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
  };
  for (const auto& [code, phrase] : kPhrases) {
    if (code == status) return phrase;
  }
  return "Status";  // clients must not depend on the phrase (RFC 9112 4)
}

HttpResponse HttpErrorResponse(int status, absl::string_view message) {
  HttpResponse response;
  response.status = status;
  response.body =
      absl::StrCat(status, " ", HttpReasonPhrase(status), ": ", message, "\n");
  return response;
}

std::string SerializeHttpResponse(const HttpResponse& response, bool head_only,
                                  const std::string& allow) {
  const int status = response.status;
  // 204 and 304 carry no body (RFC 9110 §6.4.1); 204 also no length.
  const bool no_body = status == 204 || status == 304;
  std::string out = absl::StrCat(
      "HTTP/1.1 ", status, " ", HttpReasonPhrase(status), "\r\nDate: ",
      absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", absl::Now(),
                       absl::UTCTimeZone()),
      "\r\nConnection: close\r\n");
  if (!no_body) {
    absl::StrAppend(&out, "Content-Type: ", response.content_type,
                    "\r\nContent-Length: ", response.body.size(), "\r\n");
  }
  if (!allow.empty()) absl::StrAppend(&out, "Allow: ", allow, "\r\n");
  out += "\r\n";
  if (!head_only && !no_body) out += response.body;
  return out;
}

}  // namespace fedge::net
