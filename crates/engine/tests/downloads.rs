//! Image downloads against a real HTTP server on loopback: resume after a dropped
//! connection, wrong bytes, fallback URLs, `file://` and local paths, offline, and no
//! second download of a verified image.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ptest_engine::parts::{Expected, fetch};
use ptest_engine::{Context, ImageSpec, Silent, images};

/// The image: 3 MB of non-repeating bytes.
fn image() -> Vec<u8> {
    (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// A loopback HTTP/1.1 server. Paths: `/good.img` (honours `Range`), `/drop.img` (the
/// first response stops half-way and closes), `/wrong.img` (other bytes), else 404.
/// Stops when dropped; records the requests it saw.
struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let drops = Arc::new(AtomicUsize::new(0));
        let (r, d) = (requests.clone(), drops.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(50).flatten() {
                if serve(stream, &r, &d).is_err() {
                    continue;
                }
            }
        });
        Server { port, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(
    mut stream: TcpStream,
    log: &Mutex<Vec<String>>,
    drops: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut first = String::new();
    reader.read_line(&mut first)?;
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range_from = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("range: bytes=") {
            range_from = v.trim().trim_end_matches('-').parse::<usize>().ok();
        }
    }
    log.lock().unwrap().push(format!("{path} {range_from:?}"));
    let body = match path.as_str() {
        "/good.img" | "/drop.img" => image(),
        "/wrong.img" => vec![7u8; 3_000_000],
        _ => {
            stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )?;
            return Ok(());
        }
    };
    let from = range_from.unwrap_or(0).min(body.len());
    let status = if range_from.is_some() {
        "206 Partial Content"
    } else {
        "200 OK"
    };
    let rest = &body[from..];
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n",
        rest.len(),
        body.len() - 1,
        body.len()
    )?;
    if path == "/drop.img" && drops.fetch_add(1, Ordering::SeqCst) == 0 {
        stream.write_all(&rest[..rest.len() / 2])?;
        stream.flush()?;
        return stream.shutdown(std::net::Shutdown::Both);
    }
    stream.write_all(rest)
}

fn expected() -> Expected {
    Expected::parse(&sha256(&image())).unwrap()
}

#[test]
fn a_dropped_connection_is_resumed_with_range() {
    let srv = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.qcow2");
    fetch(
        &[srv.url("drop.img")],
        &dest,
        Some(&expected()),
        "x",
        &Silent,
    )
    .unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), image());
    let seen = srv.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(
        seen[1], "/drop.img Some(1500000)",
        "second request resumes: {seen:?}"
    );
    assert!(!dir.path().join("x.qcow2.part").exists());
}

#[test]
fn wrong_bytes_are_rejected_and_the_next_url_is_tried() {
    let srv = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.qcow2");
    let err = fetch(
        &[srv.url("wrong.img")],
        &dest,
        Some(&expected()),
        "x",
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("served the wrong file (sha256 "), "{err}");
    assert!(!dest.exists() && !dir.path().join("x.qcow2.part").exists());

    // Fallbacks: a 404, then wrong bytes, then the right file.
    let urls = [
        srv.url("gone.img"),
        srv.url("wrong.img"),
        srv.url("good.img"),
    ];
    fetch(&urls, &dest, Some(&expected()), "x", &Silent).unwrap();
    assert_eq!(std::fs::read(&dest).unwrap(), image());
}

#[test]
fn a_present_verified_image_is_not_downloaded_again() {
    let srv = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.qcow2");
    fetch(
        &[srv.url("good.img")],
        &dest,
        Some(&expected()),
        "x",
        &Silent,
    )
    .unwrap();
    fetch(
        &[srv.url("good.img")],
        &dest,
        Some(&expected()),
        "x",
        &Silent,
    )
    .unwrap();
    assert_eq!(srv.seen().len(), 1);
    // A corrupted one is.
    std::fs::write(&dest, b"corrupt").unwrap();
    fetch(
        &[srv.url("good.img")],
        &dest,
        Some(&expected()),
        "x",
        &Silent,
    )
    .unwrap();
    assert_eq!(srv.seen().len(), 2);
    assert_eq!(std::fs::read(&dest).unwrap(), image());
}

#[test]
fn offline_is_a_clear_error() {
    // Nothing listens on a port we just closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/x.qcow2");
    let err = fetch(
        std::slice::from_ref(&url),
        &dir.path().join("x.qcow2"),
        None,
        "x",
        &Silent,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&url) && err.contains("are we offline?"),
        "{err}"
    );
    assert!(err.contains("ptest images fetch x"), "{err}");
}

#[test]
fn images_from_the_suite_file_urls_local_paths_and_extra_files() {
    let srv = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.qcow2");
    std::fs::write(&src, image()).unwrap();
    let mut specs = BTreeMap::new();
    specs.insert(
        "fromfile".to_string(),
        ImageSpec {
            urls: vec![format!("file://{}", src.display())],
            sha256: Some(sha256(&image())),
            ..Default::default()
        },
    );
    specs.insert(
        "inplace".to_string(),
        ImageSpec {
            path: Some(src.display().to_string()),
            sha256: Some("0".repeat(64)),
            ..Default::default()
        },
    );
    specs.insert(
        "withextras".to_string(),
        ImageSpec {
            urls: vec![srv.url("good.img")],
            extra_files: vec!["drop.img".into()],
            hashes: [("drop.img".to_string(), sha256(&image()))].into(),
            ..Default::default()
        },
    );
    let ctx = Context {
        regression_dir: dir.path().join("reg"),
        images: specs,
        ..Default::default()
    };
    images::fetch(&ctx, &["fromfile".into(), "withextras".into()]).unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("reg/qcows/src.qcow2")).unwrap(),
        image()
    );
    assert_eq!(
        std::fs::read(dir.path().join("reg/qcows/good.img")).unwrap(),
        image()
    );
    assert_eq!(
        std::fs::read(dir.path().join("reg/qcows/drop.img")).unwrap(),
        image()
    );

    let err = images::fetch(&ctx, &["inplace".into()])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("has sha256 ") && err.contains("expected 0000"),
        "{err}"
    );
    let err = images::fetch(&ctx, &["nope".into()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown image \"nope\""), "{err}");
}

#[test]
fn local_copy_reads_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("a.img");
    std::fs::write(&src, image()).unwrap();
    let dest = dir.path().join("out/a.qcow2");
    fetch(
        &[src.display().to_string()],
        &dest,
        Some(&expected()),
        "a",
        &Silent,
    )
    .unwrap();
    let mut got = Vec::new();
    std::fs::File::open(&dest)
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got, image());
}
