// Wire-format helpers for HttpServer: request-head parsing, percent-decoding
// and response serialization. Pure functions, no I/O; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "server/http.h"

namespace cloudsim {

// Decodes %XX escapes (and '+' as space when plus_as_space). False on a
// malformed escape.
bool PercentDecode(std::string_view in, bool plus_as_space, std::string* out);

// Splits an origin-form target ("/a%20b?x=1&y") into a decoded path and a
// decoded query multimap. False if the target is not origin-form or is
// malformed.
bool ParseTarget(const std::string& target, std::string* path, std::multimap<std::string, std::string>* query);

// Parses the request line and header fields (everything before the blank
// line, without it). Fills method, target, path, query and headers (names
// lower-cased; repeated fields joined with ", "). *http_minor is 0 or 1.
bool ParseRequestHead(std::string_view head, HttpRequest* req, int* http_minor, std::string* error);

// The standard reason phrase for a status ("Not Found"), or "Unknown".
const char* ReasonPhrase(int status);

// Status line, headers (plus Content-Length and, when close, Connection:
// close) and, unless head_only, the body.
std::string SerializeResponse(const HttpResponse& response, bool head_only, bool close);

}  // namespace cloudsim
