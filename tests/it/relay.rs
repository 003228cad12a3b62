//! A TCP relay in front of the test server: it listens on an address of its
//! own (IPv6 loopback, say), forwards every connection to the real server and
//! counts the connections it accepted. A real network hop, not a mock.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

pub struct Relay {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl Relay {
    /// Listens on `listen` (e.g. `[::1]:0`) and forwards to the test server.
    pub fn to_test_server(listen: &str) -> Relay {
        Relay::start(listen, test_server_addr())
    }

    pub fn start(listen: &str, target: SocketAddr) -> Relay {
        let listener = TcpListener::bind(listen).expect("the relay can listen");
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                // Counted before forwarding: a client's handshake can only
                // complete after its connection was counted.
                counter.fetch_add(1, Ordering::SeqCst);
                thread::spawn(move || forward(client, target));
            }
        });
        Relay { addr, accepted }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// `host:port` for a URL (IPv6 in brackets).
    pub fn url_authority(&self) -> String {
        self.addr.to_string()
    }
}

fn forward(client: TcpStream, target: SocketAddr) {
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let (Ok(mut client_reader), Ok(mut server_writer)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    let upstream = thread::spawn(move || {
        let _ = io::copy(&mut client_reader, &mut server_writer);
        let _ = server_writer.shutdown(Shutdown::Write);
    });
    let (mut server_reader, mut client_writer) = (server, client);
    let _ = io::copy(&mut server_reader, &mut client_writer);
    let _ = client_writer.shutdown(Shutdown::Write);
    let _ = upstream.join();
}

/// The socket address of the test server (MMSTATUS_TEST_DATABASE_URL).
pub fn test_server_addr() -> SocketAddr {
    let url = url::Url::parse(&crate::common::server_url()).unwrap();
    (url.host_str().unwrap(), url.port().unwrap_or(3306))
        .to_socket_addrs()
        .unwrap()
        .next()
        .unwrap()
}

/// A server that accepts connections and never says a word, like a host
/// whose database port is blackholed after the TCP handshake.
pub fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let mut held = Vec::new();
        for client in listener.incoming().flatten() {
            held.push(client);
        }
    });
    addr
}
