#include "node/http_api.hpp"

#include <httplib.h>

#include <array>
#include <asio/ip/address.hpp>
#include <limits>

#include "base/log.hpp"
#include "peer/node_id.hpp"

namespace peerlink::node {

using nlohmann::json;

namespace {

// JSON-RPC 2.0 error codes, as CometBFT's RPC server uses them.
constexpr int k_parse_error = -32700;
constexpr int k_invalid_request = -32600;
constexpr int k_method_not_found = -32601;
constexpr int k_invalid_params = -32602;
constexpr int k_internal_error = -32603;

constexpr std::array<const char*, 4> k_get_routes = {"/status", "/net_info", "/bans", "/gossip"};
constexpr std::array<const char*, 6> k_post_routes = {"/dial_peers", "/dial_seeds", "/ban",
                                                      "/unban",      "/disconnect", "/gossip/publish"};
/// Nesting allowed in a request body: every valid request is two levels deep.
constexpr int k_max_depth = 8;
constexpr std::size_t k_max_string = 1024;

template <std::size_t N>
bool listed(const std::array<const char*, N>& routes, const std::string& path) {
    for (const char* r : routes) {
        if (path == r) return true;
    }
    return false;
}

void reply(httplib::Response& res, int status, const json& body) {
    res.status = status;
    // Backend JSON may carry peer-supplied strings (monikers): invalid UTF-8 is replaced, not thrown.
    res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, int status, int code, std::string_view message,
                 std::string_view data) {
    reply(res, status, rpc_error(code, message, data));
}

void invalid_params(httplib::Response& res, std::string_view reason) {
    reply_error(res, 400, k_invalid_params, "Invalid params", reason);
}

/// Deepest nesting of arrays and objects in `text`, outside strings; stops counting past the limit.
int nesting_depth(std::string_view text) {
    int depth = 0;
    int deepest = 0;
    bool in_string = false;
    bool escaped = false;
    for (const char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > k_max_depth) return deepest;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

/// The body as a JSON object whose keys are all in `allowed`, or nullopt with the 400 answered.
template <std::size_t N>
std::optional<json> parse_object(const httplib::Request& req, httplib::Response& res,
                                 const std::array<const char*, N>& allowed) {
    if (req.body.empty()) {
        reply_error(res, 400, k_invalid_request, "Invalid request", "empty body: expected a JSON object");
        return std::nullopt;
    }
    if (nesting_depth(req.body) > k_max_depth) {
        reply_error(res, 400, k_parse_error, "Parse error", "JSON nested too deeply");
        return std::nullopt;
    }
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) {
        reply_error(res, 400, k_parse_error, "Parse error", "body is not valid JSON");
        return std::nullopt;
    }
    if (!body.is_object()) {
        invalid_params(res, "body must be a JSON object");
        return std::nullopt;
    }
    for (const auto& item : body.items()) {
        if (!listed(allowed, item.key())) {
            invalid_params(res, "unknown field \"" + item.key() + "\"");
            return std::nullopt;
        }
    }
    return body;
}

/// A bounded, non-empty string field, or nullopt with the 400 answered.
std::optional<std::string> string_field(const json& body, const char* name, httplib::Response& res) {
    const auto& v = body.at(name);
    if (!v.is_string() || v.get_ref<const std::string&>().empty() ||
        v.get_ref<const std::string&>().size() > k_max_string) {
        invalid_params(res, std::string(name) + " must be a non-empty string of at most 1024 bytes");
        return std::nullopt;
    }
    return v.get<std::string>();
}

std::optional<std::vector<std::string>> address_list(const json& v, const char* name,
                                                     httplib::Response& res) {
    if (!v.is_array() || v.empty()) {
        invalid_params(res, std::string(name) + " must be a non-empty array of id@host:port strings");
        return std::nullopt;
    }
    std::vector<std::string> out;
    out.reserve(v.size());
    for (const auto& item : v) {
        if (!item.is_string() || item.get_ref<const std::string&>().empty() ||
            item.get_ref<const std::string&>().size() > k_max_string) {
            invalid_params(res, std::string(name) + " must hold non-empty strings of at most 1024 bytes");
            return std::nullopt;
        }
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::optional<std::string> checked_id(const json& body, httplib::Response& res) {
    auto id = string_field(body, "id", res);
    if (!id) return std::nullopt;
    if (!peer::NodeId::from_hex(*id)) {
        invalid_params(res, "id must be a node ID in hex");
        return std::nullopt;
    }
    return id;
}

std::optional<std::string> checked_ip(const json& body, httplib::Response& res) {
    auto ip = string_field(body, "ip", res);
    if (!ip) return std::nullopt;
    asio::error_code ec;
    const auto address = asio::ip::make_address(*ip, ec);
    if (ec) {
        invalid_params(res, "ip must be an IPv4 or IPv6 address");
        return std::nullopt;
    }
    return address.to_string();
}

/// "duration": whole seconds or a Go duration string, at least 1 s; 24 h when absent.
std::optional<std::chrono::seconds> checked_duration(const json& body, httplib::Response& res) {
    if (!body.contains("duration")) return k_default_ban_duration;
    const auto& v = body.at("duration");
    constexpr auto k_max = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::nanoseconds::max());
    std::optional<std::chrono::seconds> out;
    if (v.is_number_unsigned() || v.is_number_integer()) {
        const auto n = v.get<std::int64_t>();
        if (n > 0 && n <= k_max.count()) out = std::chrono::seconds(n);
    } else if (v.is_string()) {
        const auto parsed = parse_go_duration(v.get_ref<const std::string&>());
        if (parsed) out = std::chrono::duration_cast<std::chrono::seconds>(*parsed);
    } else {
        invalid_params(res, "duration must be whole seconds or a duration string such as \"24h\"");
        return std::nullopt;
    }
    if (!out || *out < std::chrono::seconds(1)) {
        invalid_params(res,
                       "duration must be between 1s and 2562047h (seconds, or a string such as \"24h\", "
                       "\"30m\", \"15s\")");
        return std::nullopt;
    }
    return out;
}

/// Answers a control request: the backend's refusal, or `result`.
void finish(httplib::Response& res, const std::optional<ApiError>& error, json result) {
    if (!error) {
        reply(res, 200, rpc_result(std::move(result)));
    } else if (error->kind == ApiError::Kind::invalid_params) {
        invalid_params(res, error->reason);
    } else {
        reply_error(res, 500, k_internal_error, "Internal error", error->reason);
    }
}

std::string duration_text(std::chrono::seconds s) {
    return std::to_string(s.count()) + "s";
}

}  // namespace

json rpc_result(json result) {
    return {{"jsonrpc", "2.0"}, {"id", -1}, {"result", std::move(result)}};
}

json rpc_error(int code, std::string_view message, std::string_view data) {
    return {{"jsonrpc", "2.0"},
            {"id", -1},
            {"error", {{"code", code}, {"message", std::string(message)}, {"data", std::string(data)}}}};
}

std::optional<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
    // time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+ with the special case "0".
    using u64 = std::uint64_t;
    constexpr u64 k_limit = static_cast<u64>(std::numeric_limits<std::int64_t>::max());
    bool negative = false;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        negative = s[0] == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return std::chrono::nanoseconds(0);
    if (s.empty()) return std::nullopt;
    const auto digit = [](char c) { return c >= '0' && c <= '9'; };
    u64 total = 0;
    while (!s.empty()) {
        if (!digit(s[0]) && s[0] != '.') return std::nullopt;
        u64 whole = 0;
        bool any = false;
        while (!s.empty() && digit(s[0])) {
            const auto d = static_cast<u64>(s[0] - '0');
            if (whole > (k_limit - d) / 10) return std::nullopt;
            whole = whole * 10 + d;
            any = true;
            s.remove_prefix(1);
        }
        u64 fraction = 0;
        double scale = 1;
        if (!s.empty() && s[0] == '.') {
            s.remove_prefix(1);
            bool overflowed = false;
            while (!s.empty() && digit(s[0])) {
                any = true;
                const auto d = static_cast<u64>(s[0] - '0');
                // Digits past what fits change nothing measurable (Go drops them too).
                if (!overflowed && fraction <= (k_limit - d) / 10) {
                    fraction = fraction * 10 + d;
                    scale *= 10;
                } else {
                    overflowed = true;
                }
                s.remove_prefix(1);
            }
        }
        if (!any) return std::nullopt;
        std::size_t unit_length = 0;
        while (unit_length < s.size() && s[unit_length] != '.' && !digit(s[unit_length]))
            ++unit_length;
        const std::string_view unit = s.substr(0, unit_length);
        s.remove_prefix(unit_length);
        u64 ns_per_unit = 0;
        if (unit == "ns") {
            ns_per_unit = 1;
        } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {  // µ (U+00B5), μ (U+03BC)
            ns_per_unit = 1'000;
        } else if (unit == "ms") {
            ns_per_unit = 1'000'000;
        } else if (unit == "s") {
            ns_per_unit = 1'000'000'000;
        } else if (unit == "m") {
            ns_per_unit = 60'000'000'000;
        } else if (unit == "h") {
            ns_per_unit = 3'600'000'000'000;
        } else {
            return std::nullopt;  // missing or unknown unit
        }
        if (whole > k_limit / ns_per_unit) return std::nullopt;
        u64 value = whole * ns_per_unit;
        if (fraction > 0) {
            const double extra = static_cast<double>(fraction) * (static_cast<double>(ns_per_unit) / scale);
            if (extra >= static_cast<double>(k_limit)) return std::nullopt;
            const auto add = static_cast<u64>(extra);
            if (value > k_limit - add) return std::nullopt;
            value += add;
        }
        if (total > k_limit - value) return std::nullopt;
        total += value;
    }
    const auto signed_total = static_cast<std::int64_t>(total);
    return std::chrono::nanoseconds(negative ? -signed_total : signed_total);
}

HttpApi::HttpApi(HttpApiOptions options, ApiBackend& backend)
    : m_options(std::move(options)),
      m_backend(backend),
      m_server(HttpServerOptions{.host = m_options.host,
                                 .port = m_options.port,
                                 .threads = m_options.threads,
                                 .max_body_bytes = m_options.max_body_bytes}) {
    register_routes();
}

HttpApi::~HttpApi() {
    stop();
}

base::Result<void> HttpApi::start() {
    return m_server.start();
}

void HttpApi::stop() {
    m_server.stop();
}

void HttpApi::register_routes() {
    auto& server = m_server.server();
    // Runs a handler; a backend that throws is answered as an internal error.
    const auto guarded = [](httplib::Response& res, const auto& handler) {
        try {
            handler();
        } catch (const std::exception& e) {
            base::log::get(base::log::Category::base).warn("http api: handler failed: {}", e.what());
            reply_error(res, 500, k_internal_error, "Internal error", e.what());
        }
    };
    const auto get = [&](const char* path, json (ApiBackend::*method)()) {
        server.Get(path, [this, method, guarded](const httplib::Request&, httplib::Response& res) {
            guarded(res, [&] { reply(res, 200, rpc_result((m_backend.*method)())); });
        });
    };
    get("/status", &ApiBackend::status);
    get("/net_info", &ApiBackend::net_info);
    get("/bans", &ApiBackend::list_bans);
    get("/gossip", &ApiBackend::gossip_info);

    // Control routes: refused unless unsafe, then the body is validated, then the backend acts.
    const auto post = [&](const char* path,
                          std::function<void(const httplib::Request&, httplib::Response&)> act) {
        server.Post(path, [this, path, act = std::move(act), guarded](const httplib::Request& req,
                                                                      httplib::Response& res) {
            if (!m_options.unsafe) {
                reply_error(res, 403, k_invalid_request, "Invalid request",
                            std::string(path) + " is an unsafe route: it needs [rpc] unsafe = true");
                return;
            }
            guarded(res, [&] { act(req, res); });
        });
    };
    post("/dial_peers", [this](const httplib::Request& req, httplib::Response& res) {
        const auto body = parse_object(req, res, std::array{"peers", "persistent"});
        if (!body) return;
        if (!body->contains("peers")) return invalid_params(res, "peers is required");
        const auto peers = address_list(body->at("peers"), "peers", res);
        if (!peers) return;
        bool persistent = false;
        if (body->contains("persistent")) {
            if (!body->at("persistent").is_boolean())
                return invalid_params(res, "persistent must be a boolean");
            persistent = body->at("persistent").get<bool>();
        }
        finish(res, m_backend.dial_peers(*peers, persistent),
               {{"log", "Dialing peers in progress. See /net_info for details"}});
    });
    post("/dial_seeds", [this](const httplib::Request& req, httplib::Response& res) {
        // "peers" as documented; "seeds" is CometBFT's name for the same parameter.
        const auto body = parse_object(req, res, std::array{"peers", "seeds"});
        if (!body) return;
        if (body->contains("peers") == body->contains("seeds")) {
            return invalid_params(res, "exactly one of peers or seeds is required");
        }
        const char* name = body->contains("peers") ? "peers" : "seeds";
        const auto seeds = address_list(body->at(name), name, res);
        if (!seeds) return;
        finish(res, m_backend.dial_seeds(*seeds),
               {{"log", "Dialing seeds in progress. See /net_info for details"}});
    });
    post("/ban", [this](const httplib::Request& req, httplib::Response& res) {
        const auto body = parse_object(req, res, std::array{"id", "ip", "duration"});
        if (!body) return;
        if (body->contains("id") == body->contains("ip"))
            return invalid_params(res, "exactly one of id or ip is required");
        const auto duration = checked_duration(*body, res);
        if (!duration) return;
        if (body->contains("id")) {
            const auto id = checked_id(*body, res);
            if (!id) return;
            finish(res, m_backend.ban_id(*id, *duration),
                   {{"banned", *id}, {"duration", duration_text(*duration)}});
        } else {
            const auto ip = checked_ip(*body, res);
            if (!ip) return;
            finish(res, m_backend.ban_ip(*ip, *duration),
                   {{"banned", *ip}, {"duration", duration_text(*duration)}});
        }
    });
    post("/unban", [this](const httplib::Request& req, httplib::Response& res) {
        const auto body = parse_object(req, res, std::array{"id", "ip"});
        if (!body) return;
        if (body->contains("id") == body->contains("ip"))
            return invalid_params(res, "exactly one of id or ip is required");
        if (body->contains("id")) {
            const auto id = checked_id(*body, res);
            if (!id) return;
            finish(res, m_backend.unban_id(*id), {{"unbanned", *id}});
        } else {
            const auto ip = checked_ip(*body, res);
            if (!ip) return;
            finish(res, m_backend.unban_ip(*ip), {{"unbanned", *ip}});
        }
    });
    post("/disconnect", [this](const httplib::Request& req, httplib::Response& res) {
        const auto body = parse_object(req, res, std::array{"id"});
        if (!body) return;
        if (!body->contains("id")) return invalid_params(res, "id is required");
        const auto id = checked_id(*body, res);
        if (!id) return;
        finish(res, m_backend.disconnect(*id), {{"disconnected", *id}});
    });

    post("/gossip/publish", [this](const httplib::Request& req, httplib::Response& res) {
        const auto body = parse_object(req, res, std::array{"data"});
        if (!body) return;
        if (!body->contains("data") || !body->at("data").is_string())
            return invalid_params(res, "data (hex) is required");
        const auto& text = body->at("data").get_ref<const std::string&>();
        if (text.empty() || text.size() % 2 != 0) return invalid_params(res, "data must be non-empty hex");
        std::vector<std::uint8_t> data;
        data.reserve(text.size() / 2);
        const auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        for (std::size_t i = 0; i < text.size(); i += 2) {
            const int hi = nibble(text[i]);
            const int lo = nibble(text[i + 1]);
            if (hi < 0 || lo < 0) return invalid_params(res, "data must be hex");
            data.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
        }
        auto outcome = m_backend.gossip_publish(data);
        if (auto* error = std::get_if<ApiError>(&outcome)) return finish(res, *error, {});
        reply(res, 200, rpc_result(std::get<json>(std::move(outcome))));
    });

    // Anything else: a known route with the wrong method is 405, the rest 404.
    const auto other = [](const httplib::Request& req, httplib::Response& res) {
        const bool get_route = listed(k_get_routes, req.path);
        const bool post_route = listed(k_post_routes, req.path);
        if (get_route || post_route) {
            res.set_header("Allow", get_route ? "GET, HEAD" : "POST");
            reply_error(
                res, 405, k_invalid_request, "Invalid request",
                req.method + " is not allowed on " + req.path + "; use " + (get_route ? "GET" : "POST"));
        } else {
            reply_error(res, 404, k_method_not_found, "Method not found", "no route " + req.path);
        }
    };
    server.Get(".*", other);
    server.Post(".*", other);
    server.Put(".*", other);
    server.Patch(".*", other);
    server.Delete(".*", other);
    server.Options(".*", other);
    // Answers httplib produces itself (413 for an oversized body, 400 for a malformed request).
    const std::size_t cap = m_options.max_body_bytes;
    server.set_error_handler(
        httplib::Server::HandlerWithResponse([cap](const httplib::Request& req, httplib::Response& res) {
            if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
            if (res.status == 413) {
                reply_error(res, 413, k_invalid_request, "Invalid request",
                            "request body above " + std::to_string(cap) + " bytes");
            } else if (res.status == 411) {
                reply_error(res, 411, k_invalid_request, "Invalid request",
                            "chunked request bodies are refused: send a Content-Length");
            } else if (res.status == 404) {
                reply_error(res, 404, k_method_not_found, "Method not found", "no route " + req.path);
            } else {
                const int status = res.status;
                reply_error(res, status, k_invalid_request, "Invalid request", "malformed HTTP request");
            }
            return httplib::Server::HandlerResponse::Handled;
        }));
}

}  // namespace peerlink::node
