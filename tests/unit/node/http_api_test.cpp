// The HTTP JSON API against a fake backend with a real client on 127.0.0.1: each route, the
// unsafe switch, body validation, durations, status codes and the error envelope.
#include <gtest/gtest.h>
#include <httplib.h>

#include <asio.hpp>
#include <mutex>

#include "node/http_api.hpp"

namespace peerlink::node {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

/// Records every call; answers with canned JSON or a canned refusal.
class FakeBackend final : public ApiBackend {
public:
    json status() override {
        record("status");
        return {{"node_info", {{"id", "abc"}, {"moniker", "bad\xff utf8"}}}};
    }
    json net_info() override {
        record("net_info");
        return {{"listening", true}, {"n_peers", "0"}, {"peers", json::array()}};
    }
    json list_bans() override {
        record("list_bans");
        if (throw_on_bans) throw std::runtime_error("book unavailable");
        return {{"bans", json::array({{{"ip", "10.0.0.1"}}})}};
    }
    std::optional<ApiError> dial_peers(const std::vector<std::string>& peers, bool persistent) override {
        record("dial_peers " + join(peers) + (persistent ? " persistent" : ""));
        return refusal;
    }
    std::optional<ApiError> dial_seeds(const std::vector<std::string>& seeds) override {
        record("dial_seeds " + join(seeds));
        return refusal;
    }
    std::optional<ApiError> ban_id(const std::string& id, std::chrono::seconds d) override {
        record("ban_id " + id + " " + std::to_string(d.count()));
        return refusal;
    }
    std::optional<ApiError> ban_ip(const std::string& ip, std::chrono::seconds d) override {
        record("ban_ip " + ip + " " + std::to_string(d.count()));
        return refusal;
    }
    std::optional<ApiError> unban_id(const std::string& id) override {
        record("unban_id " + id);
        return refusal;
    }
    std::optional<ApiError> unban_ip(const std::string& ip) override {
        record("unban_ip " + ip);
        return refusal;
    }
    std::optional<ApiError> disconnect(const std::string& id) override {
        record("disconnect " + id);
        return refusal;
    }

    std::vector<std::string> calls() {
        std::lock_guard lock(m_mutex);
        return m_calls;
    }
    std::optional<ApiError> refusal;
    bool throw_on_bans = false;

private:
    void record(std::string call) {
        std::lock_guard lock(m_mutex);
        m_calls.push_back(std::move(call));
    }
    static std::string join(const std::vector<std::string>& v) {
        std::string out;
        for (const auto& s : v)
            out += (out.empty() ? "" : ",") + s;
        return out;
    }
    std::mutex m_mutex;
    std::vector<std::string> m_calls;
};

const std::string k_id = "f6a3c2e1d0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5";

class HttpApiTest : public ::testing::Test {
protected:
    void start(bool unsafe) {
        api = std::make_unique<HttpApi>(HttpApiOptions{.port = 0, .unsafe = unsafe}, backend);
        ASSERT_TRUE(api->start().ok());
        ASSERT_NE(api->port(), 0);
        client = std::make_unique<httplib::Client>("127.0.0.1", api->port());
        client->set_read_timeout(5, 0);
    }
    struct Answer {
        int status = 0;
        json body;
    };
    static Answer answer(const httplib::Result& r) {
        EXPECT_TRUE(r) << httplib::to_string(r.error());
        if (!r) return {};
        EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
        return {r->status, json::parse(r->body, nullptr, false)};
    }
    Answer get(const std::string& path) { return answer(client->Get(path.c_str())); }
    Answer post(const std::string& path, const std::string& body) {
        return answer(client->Post(path.c_str(), body, "application/json"));
    }
    static std::string reason(const Answer& a) { return a.body["error"]["data"].get<std::string>(); }

    FakeBackend backend;
    std::unique_ptr<HttpApi> api;
    std::unique_ptr<httplib::Client> client;
};

TEST_F(HttpApiTest, GetRoutesWrapTheBackendAnswerInTheRpcEnvelope) {
    start(false);
    const auto status = get("/status");
    EXPECT_EQ(status.status, 200);
    EXPECT_EQ(status.body["jsonrpc"], "2.0");
    EXPECT_EQ(status.body["id"], -1);
    EXPECT_EQ(status.body["result"]["node_info"]["id"], "abc");
    // invalid UTF-8 from the backend (a peer's moniker) is replaced rather than failing the reply
    EXPECT_EQ(status.body["result"]["node_info"]["moniker"], "bad\xef\xbf\xbd utf8");
    EXPECT_EQ(get("/net_info").body["result"]["listening"], true);
    EXPECT_EQ(get("/bans").body["result"]["bans"][0]["ip"], "10.0.0.1");
    EXPECT_EQ(backend.calls(), (std::vector<std::string>{"status", "net_info", "list_bans"}));
}

TEST_F(HttpApiTest, ControlRoutesAreForbiddenUnlessUnsafe) {
    start(false);
    for (const char* path : {"/dial_peers", "/dial_seeds", "/ban", "/unban", "/disconnect"}) {
        const auto a = post(path, R"({"id":")" + k_id + R"("})");
        EXPECT_EQ(a.status, 403) << path;
        EXPECT_NE(reason(a).find("[rpc] unsafe = true"), std::string::npos) << path;
    }
    EXPECT_TRUE(backend.calls().empty());
}

TEST_F(HttpApiTest, DialPeersAndSeedsPassTheListToTheBackend) {
    start(true);
    const auto dial = post("/dial_peers", R"({"peers":["a@1.2.3.4:26656","b@h:1"],"persistent":true})");
    EXPECT_EQ(dial.status, 200);
    EXPECT_EQ(dial.body["result"]["log"], "Dialing peers in progress. See /net_info for details");
    EXPECT_EQ(post("/dial_peers", R"({"peers":["a@1.2.3.4:26656"]})").status, 200);
    EXPECT_EQ(post("/dial_seeds", R"({"peers":["s@5.6.7.8:26656"]})").status, 200);
    EXPECT_EQ(post("/dial_seeds", R"({"seeds":["t@5.6.7.8:26656"]})").status, 200);
    EXPECT_EQ(
        backend.calls(),
        (std::vector<std::string>{"dial_peers a@1.2.3.4:26656,b@h:1 persistent", "dial_peers a@1.2.3.4:26656",
                                  "dial_seeds s@5.6.7.8:26656", "dial_seeds t@5.6.7.8:26656"}));
}

TEST_F(HttpApiTest, BanTakesSecondsOrGoDurationsAndDefaultsToADay) {
    start(true);
    EXPECT_EQ(post("/ban", R"({"id":")" + k_id + R"(","duration":"24h"})").status, 200);
    EXPECT_EQ(post("/ban", R"({"ip":"10.0.0.7","duration":"30m"})").status, 200);
    EXPECT_EQ(post("/ban", R"({"ip":"::ffff:10.0.0.8","duration":15})").status, 200);
    const auto a = post("/ban", R"({"ip":"2001:db8::1"})");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body["result"]["duration"], "86400s");
    EXPECT_EQ(post("/ban", R"({"ip":"10.0.0.9","duration":"1h30m15.5s"})").status, 200);
    EXPECT_EQ(backend.calls(),
              (std::vector<std::string>{"ban_id " + k_id + " 86400", "ban_ip 10.0.0.7 1800",
                                        "ban_ip ::ffff:10.0.0.8 15", "ban_ip 2001:db8::1 86400",
                                        "ban_ip 10.0.0.9 5415"}));
}

TEST_F(HttpApiTest, UnbanAndDisconnect) {
    start(true);
    EXPECT_EQ(post("/unban", R"({"id":")" + k_id + R"("})").status, 200);
    EXPECT_EQ(post("/unban", R"({"ip":"10.0.0.7"})").status, 200);
    const auto d = post("/disconnect", R"({"id":")" + k_id + R"("})");
    EXPECT_EQ(d.status, 200);
    EXPECT_EQ(d.body["result"]["disconnected"], k_id);
    EXPECT_EQ(backend.calls(),
              (std::vector<std::string>{"unban_id " + k_id, "unban_ip 10.0.0.7", "disconnect " + k_id}));
}

TEST_F(HttpApiTest, BadBodiesAreRefusedWithAReasonAndNeverReachTheBackend) {
    start(true);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/ban", ""},
        {"/ban", "{not json"},
        {"/ban", "[1,2]"},
        {"/ban", R"({"id":")" + k_id + R"(","ip":"1.2.3.4"})"},
        {"/ban", R"({})"},
        {"/ban", R"({"id":42})"},
        {"/ban", R"({"id":"not-hex"})"},
        {"/ban", R"({"ip":"300.1.1.1"})"},
        {"/ban", R"({"ip":"1.2.3.4","duration":"24"})"},
        {"/ban", R"({"ip":"1.2.3.4","duration":"-1h"})"},
        {"/ban", R"({"ip":"1.2.3.4","duration":"500ms"})"},
        {"/ban", R"({"ip":"1.2.3.4","duration":0})"},
        {"/ban", R"({"ip":"1.2.3.4","duration":1.5})"},
        {"/ban", R"({"ip":"1.2.3.4","duration":"9999999h"})"},
        {"/ban", R"({"ip":"1.2.3.4","reason":"spam"})"},
        {"/dial_peers", R"({"peers":[]})"},
        {"/dial_peers", R"({"peers":"a@b:1"})"},
        {"/dial_peers", R"({"peers":[1]})"},
        {"/dial_peers", R"({"peers":["a@b:1"],"persistent":"yes"})"},
        {"/dial_seeds", R"({"peers":["a@b:1"],"seeds":["a@b:1"]})"},
        {"/disconnect", R"({})"},
        {"/unban", R"({"ip":""})"},
        {"/dial_peers", std::string(20, '[') + std::string(20, ']')},
    };
    for (const auto& [path, body] : cases) {
        const auto a = post(path, body);
        EXPECT_EQ(a.status, 400) << path << " " << body;
        EXPECT_TRUE(a.body.contains("error")) << body;
        EXPECT_FALSE(reason(a).empty()) << body;
        EXPECT_TRUE(a.body["error"]["code"] == -32602 || a.body["error"]["code"] == -32700 ||
                    a.body["error"]["code"] == -32600)
            << body;
    }
    EXPECT_EQ(reason(post("/ban", R"({"ip":"1.2.3.4","reason":"spam"})")), "unknown field \"reason\"");
    EXPECT_EQ(post("/ban", "{not json").body["error"]["code"], -32700);
    EXPECT_TRUE(backend.calls().empty());
}

TEST_F(HttpApiTest, BackendRefusalsAndFailuresKeepTheEnvelope) {
    start(true);
    backend.refusal = ApiError{.kind = ApiError::Kind::invalid_params, .reason = "peer is not connected"};
    const auto a = post("/disconnect", R"({"id":")" + k_id + R"("})");
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.body["error"]["code"], -32602);
    EXPECT_EQ(reason(a), "peer is not connected");
    backend.refusal = ApiError{.kind = ApiError::Kind::internal, .reason = "network thread stopped"};
    const auto b = post("/unban", R"({"ip":"10.0.0.1"})");
    EXPECT_EQ(b.status, 500);
    EXPECT_EQ(b.body["error"]["code"], -32603);
    backend.throw_on_bans = true;
    const auto c = get("/bans");
    EXPECT_EQ(c.status, 500);
    EXPECT_EQ(reason(c), "book unavailable");
}

TEST_F(HttpApiTest, UnknownRoutesWrongMethodsAndOversizedBodies) {
    start(true);
    const auto unknown = get("/nope");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.body["error"]["code"], -32601);
    EXPECT_EQ(post("/nope", "{}").status, 404);
    const auto wrong = get("/ban");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.body["error"]["code"], -32600);
    EXPECT_EQ(post("/status", "{}").status, 405);
    EXPECT_EQ(answer(client->Delete("/status")).status, 405);
    const auto big = post("/dial_peers", R"({"peers":[")" + std::string(70 * 1024, 'a') + R"("]})");
    EXPECT_EQ(big.status, 413);
    EXPECT_EQ(big.body["error"]["code"], -32600);
    EXPECT_TRUE(backend.calls().empty());
}

TEST_F(HttpApiTest, ChunkedBodiesAreRefusedBeforeBeingRead) {
    // httplib would not cap a chunked body, so it is refused unread (written in one go here, so
    // the server has it all before it answers and closes)
    start(true);
    asio::ip::tcp::iostream s("127.0.0.1", std::to_string(api->port()));
    s << "POST /dial_peers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
      << std::flush;
    std::string status_line;
    std::getline(s, status_line);
    EXPECT_EQ(status_line.rfind("HTTP/1.1 411", 0), 0u) << status_line;
    std::size_t length = 0;
    for (std::string line; std::getline(s, line) && line != "\r";) {
        if (line.rfind("Content-Length: ", 0) == 0) length = std::stoul(line.substr(16));
    }
    std::string body(length, '\0');
    s.read(body.data(), static_cast<std::streamsize>(length));
    EXPECT_NE(body.find("chunked request bodies are refused"), std::string::npos) << body;
    EXPECT_TRUE(backend.calls().empty());
}

TEST_F(HttpApiTest, BindsLoopbackByDefaultAndRefusesATakenPort) {
    EXPECT_EQ(HttpApiOptions{}.host, "127.0.0.1");
    start(false);
    HttpApi second(HttpApiOptions{.port = api->port()}, backend);
    EXPECT_EQ(second.start().error(), HttpErrc::bind_failed);
    api->stop();
    api->stop();  // idempotent
}

TEST(GoDuration, ParsesGoSyntax) {
    using std::chrono::nanoseconds;
    EXPECT_EQ(parse_go_duration("0"), nanoseconds(0));
    EXPECT_EQ(parse_go_duration("24h"), std::chrono::hours(24));
    EXPECT_EQ(parse_go_duration("30m"), std::chrono::minutes(30));
    EXPECT_EQ(parse_go_duration("15s"), std::chrono::seconds(15));
    EXPECT_EQ(parse_go_duration("1h30m"), std::chrono::minutes(90));
    EXPECT_EQ(parse_go_duration("1.5h"), std::chrono::minutes(90));
    EXPECT_EQ(parse_go_duration(".5s"), std::chrono::milliseconds(500));
    EXPECT_EQ(parse_go_duration("1.s"), std::chrono::seconds(1));
    EXPECT_EQ(parse_go_duration("300ms"), std::chrono::milliseconds(300));
    EXPECT_EQ(parse_go_duration("10us"), std::chrono::microseconds(10));
    EXPECT_EQ(parse_go_duration("10\xc2\xb5s"), std::chrono::microseconds(10));
    EXPECT_EQ(parse_go_duration("7ns"), nanoseconds(7));
    EXPECT_EQ(parse_go_duration("-2m"), std::chrono::minutes(-2));
    EXPECT_EQ(parse_go_duration("+2m"), std::chrono::minutes(2));
    EXPECT_EQ(parse_go_duration("2562047h"), std::chrono::hours(2562047));
    for (const char* bad :
         {"", "h", "1", "1d", "1.h.", ".s", "-", "1h 30m", "2562048h", "9223372036854775808ns", "1hh"})
        EXPECT_FALSE(parse_go_duration(bad)) << bad;
}

}  // namespace
}  // namespace peerlink::node
