// CurlTransport: env::HttpTransport over libcurl (the only libcurl user).
//
// * Connection reuse: a pool of curl easy handles, each keeping its own
//   connection cache; Send() takes the most recently returned handle, so
//   sequential requests to one host ride one kept-alive connection. DNS
//   answers and TLS sessions are shared between handles. POST and PATCH
//   always open a fresh connection: on a reused connection that dies before
//   answering, libcurl re-sends the request by itself, which must not
//   happen to a request that is not idempotent.
// * Timeouts come from each request (connect_timeout_ms, timeout_ms).
// * TLS verification is always on (peer and host name). Trust: the system
//   store, plus Options::cacert if given, else the file named by
//   CURL_CA_BUNDLE or SSL_CERT_FILE.
// * Proxies: the usual *_proxy environment variables apply, except that
//   localhost, 127.0.0.1 and ::1 always bypass them (plus whatever no_proxy
//   / NO_PROXY lists). Redirects are not followed.
// * Failures map to Status per env/http_transport.h: timeouts -> kTimeout;
//   refused / reset / DNS / TLS handshake -> kTransient; certificate
//   verification -> kPermissionDenied suggesting --cacert; malformed URL ->
//   kInvalidArgument. When curl shows that no byte of the request was sent
//   (connect or handshake failed), the message ends with "; request not
//   sent", which lets HttpClient retry even a POST (see http_client.h).
//   URLs in messages are redacted.
// Thread-safe: Send() may be called from many threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "env/http_transport.h"

namespace orch::http {

class CurlTransport final : public env::HttpTransport {
 public:
  struct Options {
    std::string cacert;  // extra CA bundle (PEM file), e.g. from --cacert
    std::string user_agent = "orchestrator/0.1";
    size_t max_idle_handles = 16;  // pooled handles (and their connections) kept
  };

  CurlTransport();
  explicit CurlTransport(Options options);
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<env::HttpResponse> Send(const env::HttpRequest& request) override;

  // The CA bundle actually used beyond the system store ("" if none).
  const std::string& ca_bundle() const { return ca_bundle_; }
  // New TCP connections opened so far (curl's CURLINFO_NUM_CONNECTS summed).
  int64_t TEST_ConnectionsOpened() const { return connections_opened_.load(); }

 private:
  void* Acquire();          // CURL*
  void Release(void* easy);

  const Options options_;
  std::string ca_bundle_;
  std::string no_proxy_;
  void* share_ = nullptr;   // CURLSH*
  std::mutex share_mu_[8];  // one per curl_lock_data kind, for the share callbacks
  std::mutex pool_mu_;
  std::vector<void*> idle_;
  std::atomic<int64_t> connections_opened_{0};

  friend struct CurlShareLock;
};

}  // namespace orch::http
