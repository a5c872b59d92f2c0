// Two embedded nodes in one process: B dials A, says hello on an application channel, A prints it.
#include <peerlink/peerlink.hpp>

#include <filesystem>
#include <future>
#include <iostream>

class Hello final : public peerlink::Reactor {
public:
    std::vector<peerlink::ChannelDescriptor> channels() const override {
        return {{.id = 0x60, .priority = 1, .send_queue_capacity = 16, .recv_message_capacity = 4096}};
    }
    void add_peer(const peerlink::PeerPtr& peer) override {
        (void)peer->try_send(0x60, peerlink::SharedBytes(peerlink::base::Bytes{'h', 'e', 'l', 'l', 'o'}));
    }
    void receive(const peerlink::PeerPtr& from, peerlink::ChannelId, peerlink::SharedBytes message) override {
        std::string text(message.view().begin(), message.view().end());
        if (!done.exchange(true)) got.set_value(text + " from " + from->id().to_hex().substr(0, 8));
    }
    std::promise<std::string> got;
    std::atomic<bool> done{false};
};

peerlink::Config config_for(const std::string& name) {
    peerlink::Config config;
    config.home = std::filesystem::temp_directory_path() / ("peerlink-embed-" + name);
    config.moniker = name;
    config.p2p.laddr = "tcp://127.0.0.1:0";  // any free port
    config.p2p.addr_book_strict = false;
    config.p2p.allow_duplicate_ip = true;
    config.rpc.laddr = "";  // no HTTP API
    return config;
}

int main() {
    peerlink::Node a(config_for("a"));
    auto hello = std::make_shared<Hello>();
    a.add_reactor("hello", hello);
    a.start();

    peerlink::Config b_config = config_for("b");
    b_config.p2p.persistent_peers = a.p2p_address();
    peerlink::Node b(b_config);
    b.add_reactor("hello", std::make_shared<Hello>());
    b.start();

    auto message = hello->got.get_future();
    if (message.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return 1;
    std::cout << "a received: " << message.get() << "\n";
    b.stop();
    a.stop();
    return 0;
}
