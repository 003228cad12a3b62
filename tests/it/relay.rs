//! A TCP relay in front of the test server: it listens on an address of its
//! own (IPv6 loopback, say), forwards every connection to the real server and
//! counts the connections it accepted. A real network hop, not a mock.
//!
//! It can also play a server that goes away ([`Relay::cut`]: every open
//! connection is closed and new ones are refused until [`Relay::restore`]),
//! and a server that handles a client's goodbye late
//! ([`Relay::delay_quits`]).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A MySQL COM_QUIT packet: payload length 1, sequence 0, command 1.
const COM_QUIT: [u8; 5] = [1, 0, 0, 0, 1];

#[derive(Default)]
struct Shared {
    accepted: AtomicUsize,
    refusing: AtomicBool,
    /// Both ends of every relayed connection, to cut them.
    open: Mutex<Vec<TcpStream>>,
    /// How long a client's COM_QUIT is held before it goes on.
    quit_delay: Mutex<Duration>,
}

pub struct Relay {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Relay {
    /// Listens on `listen` (e.g. `[::1]:0`) and forwards to the test server.
    pub fn to_test_server(listen: &str) -> Relay {
        Relay::start(listen, test_server_addr())
    }

    pub fn start(listen: &str, target: SocketAddr) -> Relay {
        let listener = TcpListener::bind(listen).expect("the relay can listen");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let state = Arc::clone(&shared);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if state.refusing.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                // Counted before forwarding: a client's handshake can only
                // complete after its connection was counted.
                state.accepted.fetch_add(1, Ordering::SeqCst);
                let state = Arc::clone(&state);
                thread::spawn(move || forward(client, target, &state));
            }
        });
        Relay { addr, shared }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// `host:port` for a URL (IPv6 in brackets).
    pub fn url_authority(&self) -> String {
        self.addr.to_string()
    }

    /// The server goes away: open connections are closed at once, and new
    /// ones are closed before their handshake.
    pub fn cut(&self) {
        self.shared.refusing.store(true, Ordering::SeqCst);
        for stream in self.shared.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// The server is back: new connections are relayed again.
    pub fn restore(&self) {
        self.shared.refusing.store(false, Ordering::SeqCst);
    }

    /// Holds each client's COM_QUIT for `delay` before passing it on, as a
    /// busy server that notices a closed session late.
    pub fn delay_quits(&self, delay: Duration) {
        *self.shared.quit_delay.lock().unwrap() = delay;
    }
}

fn forward(client: TcpStream, target: SocketAddr, shared: &Arc<Shared>) {
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    let (Ok(mut client_reader), Ok(mut server_writer)) = (client.try_clone(), server.try_clone())
    else {
        return;
    };
    {
        let mut open = shared.open.lock().unwrap();
        for stream in [&client, &server] {
            if let Ok(clone) = stream.try_clone() {
                open.push(clone);
            }
        }
    }
    if shared.refusing.load(Ordering::SeqCst) {
        let _ = client.shutdown(Shutdown::Both);
        let _ = server.shutdown(Shutdown::Both);
        return;
    }
    let upstream = {
        let shared = Arc::clone(shared);
        thread::spawn(move || {
            let _ = copy_upstream(&mut client_reader, &mut server_writer, &shared);
            let _ = server_writer.shutdown(Shutdown::Write);
        })
    };
    let (mut server_reader, mut client_writer) = (server, client);
    let _ = io::copy(&mut server_reader, &mut client_writer);
    let _ = client_writer.shutdown(Shutdown::Write);
    let _ = upstream.join();
}

/// Client to server, holding a COM_QUIT for the quit delay.
fn copy_upstream(from: &mut TcpStream, to: &mut TcpStream, shared: &Shared) -> io::Result<()> {
    let mut buffer = [0u8; 16 * 1024];
    loop {
        let n = from.read(&mut buffer)?;
        if n == 0 {
            return Ok(());
        }
        if buffer[..n] == COM_QUIT {
            let delay = *shared.quit_delay.lock().unwrap();
            thread::sleep(delay);
        }
        to.write_all(&buffer[..n])?;
    }
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
