//! A TCP relay in front of the test server: it listens on an address of its
//! own (IPv6 loopback, say), forwards every connection to the real server and
//! counts the connections it accepted and the commands clients sent (MySQL
//! protocol without TLS). A real network hop, not a mock.
//!
//! It can also play a server that goes away ([`Relay::cut`]: every open
//! connection is closed and new ones are refused until [`Relay::restore`]),
//! and a server that handles a client's goodbye late
//! ([`Relay::delay_quits`]).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A MySQL COM_QUIT packet: payload length 1, sequence 0, command 1.
const COM_QUIT: [u8; 5] = [1, 0, 0, 0, 1];
/// MySQL command bytes ([`Relay::commands`]).
pub const COM_QUERY: u8 = 0x03;
pub const COM_STMT_PREPARE: u8 = 0x16;
pub const COM_STMT_EXECUTE: u8 = 0x17;
/// Diesel sends two around each text query (multi-statements on, then off).
pub const COM_SET_OPTION: u8 = 0x1b;

#[derive(Default)]
struct Shared {
    accepted: AtomicUsize,
    refusing: AtomicBool,
    /// Both ends of every relayed connection, to cut them.
    open: Mutex<Vec<TcpStream>>,
    /// How long a client's COM_QUIT is held before it goes on.
    quit_delay: Mutex<Duration>,
    /// Commands seen so far: command byte → how many.
    commands: Mutex<BTreeMap<u8, u64>>,
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

    /// Commands clients sent so far, by command byte ([`COM_QUERY`]…).
    pub fn commands(&self) -> BTreeMap<u8, u64> {
        self.shared
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
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
    let _ = server.set_nodelay(true);
    let _ = client.set_nodelay(true);
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

/// Client to server, counting the commands and holding a COM_QUIT for the
/// quit delay.
fn copy_upstream(from: &mut TcpStream, to: &mut TcpStream, shared: &Shared) -> io::Result<()> {
    let mut buffer = [0u8; 16 * 1024];
    let mut scanner = PacketScanner::default();
    loop {
        let n = from.read(&mut buffer)?;
        if n == 0 {
            return Ok(());
        }
        {
            let mut seen = shared.commands.lock().unwrap_or_else(|e| e.into_inner());
            scanner.feed(&buffer[..n], &mut |command| {
                *seen.entry(command).or_default() += 1
            });
        }
        if buffer[..n] == COM_QUIT {
            let delay = *shared.quit_delay.lock().unwrap();
            thread::sleep(delay);
        }
        to.write_all(&buffer[..n])?;
    }
}

/// Finds the commands in a client's stream of MySQL packets (3-byte length,
/// sequence number, payload): a packet numbered 0 starts a command, whose
/// first byte says which (the handshake and the rest of an exchange are
/// numbered from 1).
#[derive(Default)]
struct PacketScanner {
    header: [u8; 4],
    header_len: usize,
    payload_left: usize,
    command_next: bool,
}

impl PacketScanner {
    fn feed(&mut self, mut data: &[u8], found: &mut dyn FnMut(u8)) {
        while let Some(&first) = data.first() {
            if self.payload_left == 0 {
                let take = (4 - self.header_len).min(data.len());
                self.header[self.header_len..self.header_len + take].copy_from_slice(&data[..take]);
                self.header_len += take;
                data = &data[take..];
                if self.header_len == 4 {
                    self.header_len = 0;
                    self.payload_left = usize::from(self.header[0])
                        | usize::from(self.header[1]) << 8
                        | usize::from(self.header[2]) << 16;
                    self.command_next = self.header[3] == 0 && self.payload_left > 0;
                }
                continue;
            }
            if self.command_next {
                found(first);
                self.command_next = false;
            }
            let take = self.payload_left.min(data.len());
            self.payload_left -= take;
            data = &data[take..];
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, MysqlConnection, RunQueryDsl};

    fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut bytes = vec![len as u8, (len >> 8) as u8, (len >> 16) as u8, seq];
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn commands_are_found_however_the_stream_is_cut() {
        let mut stream = packet(1, &[0x8d; 40]); // a handshake response
        stream.extend(packet(0, b"\x03SELECT 1"));
        stream.extend(packet(0, &[COM_STMT_EXECUTE; 300]));
        stream.extend(packet(2, &[COM_QUERY; 5])); // a later packet of an exchange
        for cut in [1, 3, 4, 5, 7, 1000] {
            let mut scanner = PacketScanner::default();
            let mut found = Vec::new();
            for chunk in stream.chunks(cut) {
                scanner.feed(chunk, &mut |c| found.push(c));
            }
            assert_eq!(found, [COM_QUERY, COM_STMT_EXECUTE], "chunks of {cut}");
        }
    }

    #[test]
    fn a_connection_through_the_relay_has_its_commands_counted() {
        let relay = Relay::to_test_server("127.0.0.1:0");
        let mut url = url::Url::parse(&crate::common::server_url()).unwrap();
        url.set_port(Some(relay.addr.port())).unwrap();
        url.set_ip_host(relay.addr.ip()).unwrap();
        let mut conn = MysqlConnection::establish(url.as_str()).unwrap();
        let before = relay.commands();
        conn.batch_execute("SELECT 1").unwrap();
        diesel::sql_query("SELECT ? AS x")
            .bind::<diesel::sql_types::Integer, _>(1)
            .execute(&mut conn)
            .unwrap();
        let after = relay.commands();
        let delta = |c: u8| after.get(&c).unwrap_or(&0) - before.get(&c).unwrap_or(&0);
        assert_eq!(delta(COM_QUERY), 1);
        assert_eq!(delta(COM_SET_OPTION), 2, "multi-statements on, then off");
        assert_eq!(delta(COM_STMT_PREPARE), 1);
        assert_eq!(delta(COM_STMT_EXECUTE), 1);
        assert_eq!(relay.accepted(), 1);
    }
}
