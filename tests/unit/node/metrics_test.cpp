// The Prometheus registry: golden exposition text, escaping, name rules, collectors at scrape
// time, and a real scrape of the metrics server over loopback.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cmath>
#include <thread>

#include "node/metrics.hpp"

namespace peerlink::node::metrics {
namespace {

TEST(Metrics, RendersTheTextFormatSortedByNameAndLabels) {
    Registry r;
    auto& sent = r.counter("peerlink_mux_sent_bytes_total", "Bytes sent per channel.", {"channel"});
    sent.with({"0x50"}).inc(1024);
    sent.with({"0x00"}).inc(7);
    auto& peers = r.gauge("peerlink_router_peers", "Connected peers by direction.", {"direction"});
    peers.with({"outbound"}).set(3);
    peers.with({"inbound"}).set(12);
    r.gauge("peerlink_addrbook_size", "Addresses in the book.").get().set(0.25);
    r.counter("peerlink_gossip_published_total", "Messages published.");
    r.gauge("peerlink_router_unused", "Never set, labelled.", {"x"});
    EXPECT_EQ(r.render(),
              "# HELP peerlink_addrbook_size Addresses in the book.\n"
              "# TYPE peerlink_addrbook_size gauge\n"
              "peerlink_addrbook_size 0.25\n"
              "# HELP peerlink_gossip_published_total Messages published.\n"
              "# TYPE peerlink_gossip_published_total counter\n"
              "peerlink_gossip_published_total 0\n"
              "# HELP peerlink_mux_sent_bytes_total Bytes sent per channel.\n"
              "# TYPE peerlink_mux_sent_bytes_total counter\n"
              "peerlink_mux_sent_bytes_total{channel=\"0x00\"} 7\n"
              "peerlink_mux_sent_bytes_total{channel=\"0x50\"} 1024\n"
              "# HELP peerlink_router_peers Connected peers by direction.\n"
              "# TYPE peerlink_router_peers gauge\n"
              "peerlink_router_peers{direction=\"inbound\"} 12\n"
              "peerlink_router_peers{direction=\"outbound\"} 3\n");
}

TEST(Metrics, EscapesLabelValuesAndHelpAndFormatsSpecialValues) {
    Registry r;
    auto& g = r.gauge("peerlink_node_info", "Line one\nback\\slash \"quoted\"", {"moniker", "version"});
    g.with({"a\"b\\c\nd", "0.38"}).set(std::nan(""));
    g.with({"inf", "x"}).set(-INFINITY);
    g.with({"pos", "x"}).set(1e21);
    EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    EXPECT_EQ(r.render(),
              "# HELP peerlink_node_info Line one\\nback\\\\slash \"quoted\"\n"
              "# TYPE peerlink_node_info gauge\n"
              "peerlink_node_info{moniker=\"a\\\"b\\\\c\\nd\",version=\"0.38\"} NaN\n"
              "peerlink_node_info{moniker=\"inf\",version=\"x\"} -Inf\n"
              "peerlink_node_info{moniker=\"pos\",version=\"x\"} 1e+21\n");
}

TEST(Metrics, NamesAndLabelsAreValidatedAtRegistration) {
    Registry r;
    for (const char* bad :
         {"router_peers", "peerlink_peers", "peerlink_Router_peers", "peerlink_router__peers",
          "peerlink_router_peers_", "peerlink_router-peers", "peerlink_router_peers_total"}) {
        EXPECT_THROW(r.gauge(bad, "h"), std::invalid_argument) << bad;
    }
    EXPECT_THROW(r.counter("peerlink_mux_sent_bytes", "h"), std::invalid_argument);  // counters end in _total
    EXPECT_THROW(r.gauge("peerlink_router_peers", "h", {"__x"}), std::invalid_argument);
    EXPECT_THROW(r.gauge("peerlink_router_peers", "h", {"1x"}), std::invalid_argument);
    EXPECT_THROW(r.gauge("peerlink_router_peers", "h", {"a", "a"}), std::invalid_argument);
    EXPECT_THROW(r.gauge("peerlink_router_peers", "h", {"le"}), std::invalid_argument);
    auto& f = r.gauge("peerlink_router_peers", "h", {"direction"});
    EXPECT_EQ(&r.gauge("peerlink_router_peers", "h", {"direction"}), &f);  // same registration: same family
    EXPECT_THROW(r.gauge("peerlink_router_peers", "h", {"other"}), std::invalid_argument);
    r.counter("peerlink_router_drops_total", "h");
    EXPECT_THROW(r.counter("peerlink_router_drops_total", "other help"), std::invalid_argument);
    EXPECT_THROW(f.with({}), std::invalid_argument);
    EXPECT_THROW(f.with({"a", "b"}), std::invalid_argument);
}

TEST(Metrics, CollectorsRunAtEveryScrape) {
    Registry r;
    auto& peers = r.gauge("peerlink_router_peers", "Connected peers by direction.", {"direction"});
    int scrapes = 0;
    std::vector<std::pair<std::string, int>> snapshot = {{"inbound", 2}, {"outbound", 1}};
    r.add_collector([&] {
        ++scrapes;
        peers.clear();  // directions that vanished must not linger
        for (const auto& [direction, n] : snapshot)
            peers.with({direction}).set(n);
    });
    EXPECT_NE(r.render().find("peerlink_router_peers{direction=\"inbound\"} 2\n"), std::string::npos);
    snapshot = {{"outbound", 5}};
    const auto text = r.render();
    EXPECT_EQ(scrapes, 2);
    EXPECT_EQ(text.find("inbound"), std::string::npos);
    EXPECT_NE(text.find("peerlink_router_peers{direction=\"outbound\"} 5\n"), std::string::npos);
}

TEST(Metrics, CountersAndGaugesAreSafeAcrossThreads) {
    Registry r;
    auto& c = r.counter("peerlink_test_events_total", "h", {"kind"});
    auto& g = r.gauge("peerlink_test_level", "h");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10'000; ++i) {
                c.with({t % 2 ? "odd" : "even"}).inc();
                g.get().add(1);
            }
        });
    }
    std::string last;
    for (int i = 0; i < 20; ++i)
        last = r.render();
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(c.with({"odd"}).value() + c.with({"even"}).value(), 40'000u);
    EXPECT_EQ(g.get().value(), 40'000);
}

TEST(MetricsServer, ServesTheRegistryOverLoopback) {
    Registry r;
    auto& hits = r.counter("peerlink_test_scrapes_total", "Scrapes so far.");
    r.add_collector([&] { hits.get().inc(); });
    MetricsServer server(ServerOptions{.port = 0}, r);
    ASSERT_TRUE(server.start().ok());
    httplib::Client client("127.0.0.1", server.port());
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(res->body,
              "# HELP peerlink_test_scrapes_total Scrapes so far.\n"
              "# TYPE peerlink_test_scrapes_total counter\n"
              "peerlink_test_scrapes_total 1\n");
    auto again = client.Get("/metrics");
    ASSERT_TRUE(again);
    EXPECT_NE(again->body.find("peerlink_test_scrapes_total 2\n"), std::string::npos);
    auto missing = client.Get("/other");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    server.stop();
}

}  // namespace
}  // namespace peerlink::node::metrics
