#include "http/curl_transport.h"

#include <curl/curl.h>

#include <cstdlib>
#include <cstring>

#include "http/redact.h"

namespace orch::http {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

void ShareLock(CURL*, curl_lock_data data, curl_lock_access, void* userptr) {
  auto* mus = static_cast<std::mutex*>(userptr);
  mus[static_cast<int>(data) & 7].lock();
}

void ShareUnlock(CURL*, curl_lock_data data, void* userptr) {
  auto* mus = static_cast<std::mutex*>(userptr);
  mus[static_cast<int>(data) & 7].unlock();
}

size_t OnBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  static_cast<std::string*>(userdata)->append(ptr, size * nmemb);
  return size * nmemb;
}

size_t OnHeader(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* headers = static_cast<env::HeaderList*>(userdata);
  std::string_view line(ptr, size * nmemb);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue, say): keep only the final headers
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    headers->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * nmemb;
}

std::string EnvVar(const char* name) {
  const char* v = getenv(name);
  return v ? v : "";
}

// Maps a failed transfer to a Status per env/http_transport.h.
Status MapError(CURLcode code, const char* errbuf, const env::HttpRequest& req, bool sent) {
  std::string what = errbuf[0] ? errbuf : curl_easy_strerror(code);
  std::string where = req.method + " " + Redact(req.url);
  std::string not_sent = sent ? "" : "; request not sent";
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status::Timeout(where + ": timed out (" + what + ")" + not_sent);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CERTPROBLEM:
      return Status::PermissionDenied(
          where + ": TLS certificate verification failed (" + what +
          "); if the server uses a private or self-signed CA, pass its certificate with --cacert "
          "FILE" + not_sent);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::InvalidArgument(where + ": invalid URL (" + what + ")");
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
      return Status::Internal(where + ": " + what);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    default:
      return Status::Transient(where + ": " + what + not_sent);
  }
}

}  // namespace

CurlTransport::CurlTransport() : CurlTransport(Options()) {}

CurlTransport::CurlTransport(Options options) : options_(std::move(options)) {
  GlobalInit();
  ca_bundle_ = options_.cacert;
  if (ca_bundle_.empty()) ca_bundle_ = EnvVar("CURL_CA_BUNDLE");
  if (ca_bundle_.empty()) ca_bundle_ = EnvVar("SSL_CERT_FILE");
  no_proxy_ = "localhost,127.0.0.1,::1";
  for (const char* name : {"no_proxy", "NO_PROXY"}) {
    std::string v = EnvVar(name);
    if (!v.empty()) {
      no_proxy_ += "," + v;
      break;
    }
  }
  CURLSH* share = curl_share_init();
  curl_share_setopt(share, CURLSHOPT_LOCKFUNC, ShareLock);
  curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, ShareUnlock);
  curl_share_setopt(share, CURLSHOPT_USERDATA, static_cast<void*>(share_mu_));
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
  curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  share_ = share;
}

CurlTransport::~CurlTransport() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
  curl_share_cleanup(static_cast<CURLSH*>(share_));
}

void* CurlTransport::Acquire() {
  {
    std::lock_guard<std::mutex> l(pool_mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();  // most recently used: its connection is warmest
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlTransport::Release(void* easy) {
  std::lock_guard<std::mutex> l(pool_mu_);
  if (idle_.size() < options_.max_idle_handles) {
    idle_.push_back(easy);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(easy));
  }
}

Result<env::HttpResponse> CurlTransport::Send(const env::HttpRequest& req) {
  CURL* h = static_cast<CURL*>(Acquire());
  if (!h) return Status::Internal("curl_easy_init failed");
  curl_easy_reset(h);  // keeps the handle's connection cache

  env::HttpResponse resp;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) {
    std::string line = v.empty() ? k + ";" : k + ": " + v;  // "Name;" sends an empty header
    headers = curl_slist_append(headers, line.c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_SHARE, static_cast<CURLSH*>(share_));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_ms));
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ca_bundle_.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_bundle_.c_str());
  curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy_.c_str());
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &resp.headers);

  // libcurl silently re-sends a request once when a reused connection dies
  // before any answer. Harmless for idempotent methods, but it would repeat
  // a POST the server may have processed, so those get a fresh connection.
  if (req.method == "POST" || req.method == "PATCH") curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);

  if (req.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    if (req.method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method == "POST" || !req.body.empty()) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    }
  }

  CURLcode rc = curl_easy_perform(h);
  long connects = 0;
  if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
    connections_opened_ += connects;
  }
  Result<env::HttpResponse> result = Status::Internal("unreachable");
  if (rc == CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    resp.status = static_cast<int>(code);
    result = std::move(resp);
  } else {
    // Zero time to pretransfer means curl never began sending the request.
    curl_off_t pretransfer = 0;
    curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    result = MapError(rc, errbuf, req, pretransfer > 0);
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(headers);
  Release(h);
  return result;
}

}  // namespace orch::http
