#include "cli/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "http/redact.h"

namespace orch::cli {
namespace {

std::string Iso8601(std::chrono::system_clock::time_point tp) {
  std::time_t t = std::chrono::system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count() % 1000;
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

// Writes redacted lines to a FILE*, as text ("2026-11-26T07:16:11.123Z info  msg")
// or as one JSON object per line.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RedactingSink(std::FILE* out, bool owns, bool json) : out_(out), owns_(owns), json_(json) {}
  ~RedactingSink() override {
    if (owns_ && out_) std::fclose(out_);
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text = http::Redact(std::string_view(msg.payload.data(), msg.payload.size()));
    std::string level(spdlog::level::to_string_view(msg.level).data(), spdlog::level::to_string_view(msg.level).size());
    std::string line;
    if (json_) {
      nlohmann::json j = {{"time", Iso8601(msg.time)}, {"level", level}, {"msg", text}};
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = Iso8601(msg.time) + " " + level + (level.size() < 5 ? std::string(5 - level.size(), ' ') : "") + " " + text;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out_);
  }
  void flush_() override { std::fflush(out_); }

 private:
  std::FILE* out_;
  bool owns_;
  bool json_;
};

}  // namespace

bool SetupLogging(const LogOptions& options, std::string* error) {
  std::vector<spdlog::sink_ptr> sinks;
  auto console = std::make_shared<RedactingSink>(stderr, false, options.json);
  spdlog::level::level_enum console_level = options.verbosity >= 2   ? spdlog::level::debug
                                            : options.verbosity == 1 ? spdlog::level::info
                                                                     : spdlog::level::warn;
  console->set_level(console_level);
  sinks.push_back(console);
  spdlog::level::level_enum logger_level = console_level;
  if (!options.file.empty()) {
    std::FILE* f = std::fopen(options.file.c_str(), "a");
    if (!f) {
      *error = "cannot open log file '" + options.file + "': " + std::strerror(errno) +
               "; check the directory exists and is writable";
      return false;
    }
    auto file_sink = std::make_shared<RedactingSink>(f, true, options.json);
    file_sink->set_level(spdlog::level::debug);
    sinks.push_back(file_sink);
    logger_level = spdlog::level::debug;
  }
  auto logger = std::make_shared<spdlog::logger>("orchestrator", sinks.begin(), sinks.end());
  logger->set_level(logger_level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

}  // namespace orch::cli
