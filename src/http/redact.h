// Redact: scrubs credentials from text before it reaches a log or an error.
//
// Redact() replaces with "[REDACTED]":
//  * header values of Authorization, Proxy-Authorization, X-Auth-Token and
//    X-Subject-Token ("Name: value" up to the end of the line), and the token
//    after "Bearer " / "Basic ";
//  * JSON string values of the keys password, access_token, refresh_token,
//    id_token, client_secret, private_key, secret, api_key, token and the
//    header names above, also when that JSON is itself quoted inside a JSON
//    string (\"password\":\"...\");
//  * query / form parameters whose name ends in "token" or is password,
//    client_secret, secret, api_key, key, signature;
//  * every string registered with RegisterSecret() (4 characters or more;
//    shorter ones would mangle ordinary text and are ignored).
// Matching of names is case-insensitive. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace orch::http {

inline constexpr std::string_view kRedacted = "[REDACTED]";

std::string Redact(std::string_view text);

// Adds a secret (a token, a password from the environment...) to scrub from
// every later Redact() result. Process-wide.
void RegisterSecret(std::string_view secret);

// For tests: forgets every registered secret.
void TEST_ClearSecrets();

}  // namespace orch::http
