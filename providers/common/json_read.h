// Reading fields of the JSON objects the clouds answer with (and of provider
// settings) without throwing: a missing key, a null or a value of another
// type gives the fallback, so one odd field in an answer never aborts a run.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace orch::providers::common {

// Member `key` of object `j` as text: a string as it is, an integer in
// decimal (clouds disagree on whether ids are numbers or strings); anything
// else, or `j` not being an object, gives `fallback`.
std::string Str(const nlohmann::json& j, const std::string& key, const std::string& fallback = "");

// Member `key` of object `j` when it is a string, else "". Unlike Str, a
// number is not turned into text: for fields that are only meaningful as
// strings (tokens, messages, names of settings).
std::string StringField(const nlohmann::json& j, const std::string& key);

// The string items of a JSON list, in order (anything else, or no list: none).
nlohmann::json StringItems(const nlohmann::json& list);
// The same, sorted and without repeats: lists the clouds treat as sets.
nlohmann::json SortedStrings(const nlohmann::json& list);

}  // namespace orch::providers::common
