//! Synthetic pandalog entries with a realistic field mix, encoded by hand against the
//! field numbers of PANDA's real `plog.proto` (as shipped in `pandare`). Used by the
//! tests, the fuzz seed corpus and the benchmark, with a byte-level log builder for
//! tests of damaged input; not needed to read logs.

/// Minimal protobuf encoder (enough for `LogEntry`).
#[derive(Default, Clone)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    fn key(&mut self, field: u32, wt: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wt));
    }
    /// Any varint-typed field (uint32/64, int64, bool; int32 sign-extends).
    pub fn uint(&mut self, field: u32, v: u64) -> &mut Self {
        self.key(field, 0);
        self.varint(v);
        self
    }
    pub fn int32(&mut self, field: u32, v: i32) -> &mut Self {
        self.uint(field, i64::from(v) as u64)
    }
    pub fn float(&mut self, field: u32, v: f32) -> &mut Self {
        self.key(field, 5);
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
        self
    }
    pub fn double(&mut self, field: u32, v: f64) -> &mut Self {
        self.key(field, 1);
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
        self
    }
    pub fn bytes(&mut self, field: u32, v: &[u8]) -> &mut Self {
        self.key(field, 2);
        self.varint(v.len() as u64);
        self.0.extend_from_slice(v);
        self
    }
    pub fn msg(&mut self, field: u32, m: &Enc) -> &mut Self {
        self.bytes(field, &m.0)
    }
}

/// Small deterministic PRNG (xorshift64*), so logs are reproducible without a crate.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const NAMES: [&str; 6] = [
    "bash",
    "init",
    "sshd",
    "busybox",
    "kworker/0:1",
    "prög \"x\"\t😀",
];
const CALLS: [&str; 6] = [
    "sys_read",
    "sys_write",
    "sys_open",
    "sys_close",
    "sys_mmap",
    "sys_execve",
];

/// The bogus first entry PANDA writes (`pc` and `instr` both 2^64−1).
pub fn bogus() -> Vec<u8> {
    let mut e = Enc::default();
    e.uint(1, u64::MAX).uint(2, u64::MAX);
    e.0
}

/// Entry `i` of a synthetic log at instruction `instr`.
pub fn entry(rng: &mut Rng, instr: u64) -> Vec<u8> {
    let mut e = Enc::default();
    let pc = 0xc100_0000 + rng.below(0x40_0000);
    e.uint(1, pc).uint(2, instr);
    let pid = 100 + rng.below(8) as u32;
    match rng.below(100) {
        0..=29 => {
            // tainted_branch (36): call stack + taint queries
            let mut cs = Enc::default();
            for _ in 0..1 + rng.below(5) {
                cs.uint(1, 0xc100_0000 + rng.below(0x100_0000));
            }
            let mut tb = Enc::default();
            tb.msg(1, &cs);
            for _ in 0..1 + rng.below(3) {
                let mut ls = Enc::default();
                ls.uint(1, 0x5555_0000_0000 + rng.below(1 << 20) * 16);
                for _ in 0..1 + rng.below(3) {
                    ls.uint(2, rng.below(64));
                }
                let mut q = Enc::default();
                q.uint(1, 0x7f00_0000_0000 + rng.below(1 << 24))
                    .uint(2, rng.below(10))
                    .uint(3, rng.below(8))
                    .msg(4, &ls);
                tb.msg(2, &q);
            }
            e.msg(36, &tb);
        }
        30..=54 => {
            // asid_info (40)
            let mut a = Enc::default();
            a.uint(1, u64::from(pid))
                .uint(2, 1_000_000 + u64::from(pid) * 77)
                .uint(3, 1)
                .uint(4, 0x3e_0000 + u64::from(pid) * 0x1000);
            a.bytes(5, NAMES[(pid % 5) as usize].as_bytes())
                .uint(6, u64::from(pid));
            a.uint(7, instr.saturating_sub(rng.below(5000)))
                .uint(8, instr);
            if rng.below(2) == 0 {
                a.uint(9, rng.below(1000));
            }
            e.msg(40, &a);
        }
        55..=74 => {
            // basic_block (42)
            let mut b = Enc::default();
            let size = 4 + rng.below(32);
            let code: Vec<u8> = (0..size)
                .map(|k| {
                    if k % 3 == 0 {
                        rng.next_u64() as u8
                    } else {
                        (pc as u8).wrapping_add((k as u8).wrapping_mul(7))
                    }
                })
                .collect();
            b.uint(1, 0x3e_0000 + u64::from(pid) * 0x1000)
                .uint(3, size)
                .bytes(5, &code);
            e.msg(42, &b);
        }
        75..=89 => {
            // syscall (58) with typed arguments
            let mut s = Enc::default();
            let ret: i64 = if rng.below(4) == 0 {
                -(rng.below(40) as i64)
            } else {
                rng.below(4096) as i64
            };
            s.uint(1, u64::from(pid))
                .uint(2, 1)
                .uint(3, u64::from(pid))
                .uint(4, 1_000_000 + u64::from(pid) * 77);
            s.uint(5, ret as u64)
                .bytes(6, CALLS[rng.below(6) as usize].as_bytes());
            for k in 0..rng.below(4) {
                let mut a = Enc::default();
                a.bytes(1, format!("arg{k}").as_bytes());
                match rng.below(7) {
                    0 => a.bytes(2, NAMES[rng.below(6) as usize].as_bytes()),
                    1 => a.uint(3, 0x7ffd_0000_0000 + rng.below(1 << 30)),
                    2 => a.int32(8, -(rng.below(1000) as i32)),
                    3 => a.float(10, rng.below(1000) as f32 / 8.0 + 0.1),
                    4 => a.double(11, rng.below(1 << 20) as f64 * 1.000_001e-9),
                    5 => a.uint(12, rng.below(2)),
                    _ => a.bytes(13, &rng.next_u64().to_le_bytes()[..3]),
                };
                s.msg(7, &a);
            }
            e.msg(58, &s);
        }
        90..=97 => {
            // call_stack (10)
            let mut cs = Enc::default();
            for _ in 0..2 + rng.below(6) {
                cs.uint(1, 0xc100_0000 + rng.below(0x100_0000));
            }
            e.msg(10, &cs);
        }
        _ => {
            // signal_event (50)
            let mut s = Enc::default();
            s.int32(1, 9 + rng.below(10) as i32)
                .uint(2, rng.below(2))
                .bytes(3, b"bash")
                .bytes(4, NAMES[rng.below(6) as usize].as_bytes());
            s.int32(5, pid as i32).int32(6, -1);
            e.msg(50, &s);
        }
    }
    e.0
}

/// A whole synthetic log body: the bogus entry, `n - 1` entries (several per
/// instruction now and then) and nothing else.
pub fn entries(seed: u64, n: usize) -> impl Iterator<Item = Vec<u8>> {
    let mut rng = Rng(seed | 1);
    let mut instr = 1000u64;
    (0..n).map(move |i| {
        if i == 0 {
            return bogus();
        }
        if rng.below(3) != 0 {
            instr += 1 + rng.below(50);
        }
        entry(&mut rng, instr)
    })
}

/// Like [`entries`], but `changes` entries spread over the log get an extra
/// `label_liveness` field (45): a second log for diff benchmarks.
pub fn entries_with_changes(seed: u64, n: usize, changes: usize) -> impl Iterator<Item = Vec<u8>> {
    let every = n.checked_div(changes).unwrap_or(usize::MAX).max(1);
    entries(seed, n).enumerate().map(move |(i, e)| {
        if changes == 0 || i == 0 || i % every != every / 2 {
            return e;
        }
        let mut l = Enc::default();
        l.uint(1, 1).uint(2, i as u64);
        let mut x = Enc(e);
        x.msg(45, &l);
        x.0
    })
}

/// Length-prefixed entries as they appear in a decompressed chunk.
pub fn chunk_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut c = Vec::new();
    for e in entries {
        c.extend((e.len() as u32).to_le_bytes());
        c.extend(e);
    }
    c
}

/// A pandalog built byte by byte from decompressed chunk contents (which need not be
/// valid, see [`chunk_of`]), so tests can then damage any part. Returns the bytes and
/// the chunks' file positions. The directory gives chunk `i` instruction `100 * i` and
/// one entry, whatever it holds.
pub fn raw_log(chunks: &[Vec<u8>]) -> (Vec<u8>, Vec<u64>) {
    use std::io::Write;
    let mut file = vec![0u8; 128];
    let mut pos = Vec::new();
    for c in chunks {
        pos.push(file.len() as u64);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Compressing into memory cannot fail.
        let z = z
            .write_all(c)
            .and_then(|()| z.finish())
            .expect("zlib into a Vec");
        file.extend(z);
    }
    let dir_pos = file.len() as u64;
    file.extend((chunks.len() as u32).to_le_bytes());
    for (i, p) in pos.iter().enumerate() {
        file.extend((i as u64 * 100).to_le_bytes());
        file.extend(p.to_le_bytes());
        file.extend(1u64.to_le_bytes());
    }
    file[0..4].copy_from_slice(&2u32.to_le_bytes());
    file[8..16].copy_from_slice(&dir_pos.to_le_bytes());
    file[16..20].copy_from_slice(&(16u32 << 20).to_le_bytes());
    (file, pos)
}
