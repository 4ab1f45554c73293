//! Connecting the processes of a cluster for timely. Timely's own
//! start-up (timely_communication's `networking::create_sockets`) prints
//! its progress on stdout and polls for connections once a second; kvet's
//! output must stay byte-identical and a small scenario quick, so the
//! sockets are made here the same way — process i connects to every
//! lower-numbered process and accepts the higher-numbered ones, each
//! connection opened by the connecting process's number — and handed to
//! timely's `initialize_networking_from_sockets`, which runs the
//! exchange over them. Each connection also carries a session string
//! (the program's id and the search options): processes started on
//! different scenarios or flags refuse each other instead of exchanging
//! nonsense.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::ProcessBuilder;
use timely::communication::{AllocatorBuilder, Hooks};

fn err(m: String) -> crate::Error {
    crate::Error::Start(m)
}

fn hello(s: &mut TcpStream, me: usize, session: &str) -> std::io::Result<()> {
    s.write_all(&(me as u64).to_le_bytes())?;
    s.write_all(&(session.len() as u64).to_le_bytes())?;
    s.write_all(session.as_bytes())
}

fn read_hello(s: &mut TcpStream) -> std::io::Result<(usize, String)> {
    let mut b = [0u8; 8];
    s.read_exact(&mut b)?;
    let who = u64::from_le_bytes(b) as usize;
    s.read_exact(&mut b)?;
    let n = (u64::from_le_bytes(b) as usize).min(1 << 16);
    let mut text = vec![0u8; n];
    s.read_exact(&mut text)?;
    Ok((who, String::from_utf8_lossy(&text).into_owned()))
}

/// One socket per other process (None for this one), in process order.
/// A process waits up to `wait` for the others, then gives up with an
/// error naming who is missing.
fn sockets(
    addresses: &[String],
    me: usize,
    session: &str,
    wait: Duration,
) -> Result<Vec<Option<TcpStream>>, crate::Error> {
    let n = addresses.len();
    let deadline = Instant::now() + wait;
    let secs = wait.as_secs_f64();
    let listener = TcpListener::bind(&addresses[me])
        .map_err(|e| err(format!("cannot listen on {} (process {me}): {e}", addresses[me])))?;
    listener.set_nonblocking(true).map_err(|e| err(e.to_string()))?;
    let mut out: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    for (j, addr) in addresses.iter().enumerate().take(me) {
        let mut s = loop {
            match TcpStream::connect(addr) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => {
                    return Err(err(format!("cannot reach process {j} at {addr} within {secs}s: {e}")));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        s.set_nodelay(true).map_err(|e| err(e.to_string()))?;
        hello(&mut s, me, session).map_err(|e| err(format!("process {j} at {addr}: {e}")))?;
        out[j] = Some(s);
    }
    let mut waiting = n - me - 1;
    while waiting > 0 {
        match listener.accept() {
            Ok((mut s, _)) => {
                s.set_nonblocking(false).map_err(|e| err(e.to_string()))?;
                s.set_nodelay(true).map_err(|e| err(e.to_string()))?;
                let (who, theirs) = read_hello(&mut s).map_err(|e| err(format!("a connecting process: {e}")))?;
                if who <= me || who >= n || out[who].is_some() {
                    return Err(err(format!("an unexpected connection from process {who}")));
                }
                if theirs != session {
                    return Err(err(format!(
                        "process {who} runs another search (`{theirs}`, here `{session}`): \
                         every process needs the same files and flags"
                    )));
                }
                out[who] = Some(s);
                waiting -= 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() > deadline {
                    return Err(err(format!(
                        "{waiting} process(es) did not connect to process {me} at {} within {secs}s",
                        addresses[me]
                    )));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(err(e.to_string())),
        }
    }
    Ok(out)
}

/// timely's allocators for this process's `threads` workers of a cluster.
pub(crate) fn allocators(
    addresses: &[String],
    me: usize,
    threads: usize,
    session: &str,
    wait: Duration,
) -> Result<(Vec<AllocatorBuilder>, Box<dyn std::any::Any + Send>), crate::Error> {
    let socks = sockets(addresses, me, session, wait)?;
    let hooks = Hooks::default();
    let local = ProcessBuilder::new_typed_vector(threads, hooks.refill.clone(), hooks.spill.clone());
    let (builders, guard) = initialize_networking_from_sockets(local, socks, me, threads, hooks)
        .map_err(|e| err(format!("timely's networking: {e}")))?;
    Ok((builders.into_iter().map(AllocatorBuilder::Tcp).collect(), Box::new(guard)))
}
