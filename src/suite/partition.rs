//! `--partition count:K/N | hash:K/N | duration:K/N`: which slice of the selected tests one
//! shard runs, in the spirit of nextest's `--partition`. Every shard computes its slice from
//! the same inputs (the selected names in config order, and for `duration` the same
//! durations), so the shards of one suite are disjoint and together run every test once.
//! It must not read files or run anything: durations are handed in.

use std::fmt;
use std::str::FromStr;

/// How tests are dealt to shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Round-robin over the selected tests in config order: test i goes to shard i mod N.
    Count,
    /// By a stable hash of the test's name: adding a test moves no other test.
    Hash,
    /// Longest processing time first over stored durations, balancing the shards' work.
    Duration,
}

/// Shard `index` (1-based) of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub strategy: Strategy,
    pub index: usize,
    pub total: usize,
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Partition, String> {
        let usage =
            "write it as count:K/N, hash:K/N or duration:K/N with 1 <= K <= N, e.g. hash:1/4";
        let (strategy, rest) = s.split_once(':').ok_or_else(|| {
            if ["count", "hash", "duration"].contains(&s) {
                format!("{s:?} does not say which shard (K) of how many (N); {usage}")
            } else {
                format!("{s:?} is not STRATEGY:K/N; {usage}")
            }
        })?;
        let strategy = match strategy {
            "count" => Strategy::Count,
            "hash" => Strategy::Hash,
            "duration" => Strategy::Duration,
            other => return Err(format!("unknown partition strategy {other:?}; {usage}")),
        };
        let (k, n) = rest
            .split_once('/')
            .ok_or_else(|| format!("{rest:?} is not K/N; {usage}"))?;
        let parse = |v: &str, what: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("{what} {v:?} is not a number; {usage}"))
        };
        let (index, total) = (parse(k, "shard")?, parse(n, "shard count")?);
        if total == 0 {
            return Err(format!(
                "there must be at least one shard (N >= 1); {usage}"
            ));
        }
        if index == 0 || index > total {
            return Err(format!(
                "shard {index}/{total} does not exist (shards are numbered 1 to {total}); {usage}"
            ));
        }
        Ok(Partition {
            strategy,
            index,
            total,
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let strategy = match self.strategy {
            Strategy::Count => "count",
            Strategy::Hash => "hash",
            Strategy::Duration => "duration",
        };
        write!(f, "{strategy}:{}/{}", self.index, self.total)
    }
}

impl Partition {
    /// Which of `names` (the selected tests, in config order) this shard runs, as indices
    /// into `names`. `duration_of` gives a test's stored duration in seconds, if any; only
    /// the `duration` strategy asks.
    pub fn select(&self, names: &[&str], duration_of: &dyn Fn(&str) -> Option<f64>) -> Vec<usize> {
        let shard = self.index - 1;
        match self.strategy {
            Strategy::Count => (0..names.len())
                .filter(|i| i % self.total == shard)
                .collect(),
            Strategy::Hash => (0..names.len())
                .filter(|&i| (stable_hash(names[i]) % self.total as u64) as usize == shard)
                .collect(),
            Strategy::Duration => {
                let shards = balance(names, self.total, duration_of);
                (0..names.len()).filter(|&i| shards[i] == shard).collect()
            }
        }
    }
}

/// FNV-1a over the name's bytes: the same on every machine, platform and ptest version
/// (std's hasher is randomly seeded per process, which would deal tests differently per shard).
pub fn stable_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Longest processing time first: each test, longest first, goes to the shard with the least
/// work so far (ties: the lower shard). Returns each test's shard (0-based).
///
/// A test with no stored duration is assumed to take the median of the known ones (1 s
/// when nothing is known): new tests spread evenly instead of piling onto one shard. Equal
/// durations keep config order, so every shard computes the same assignment.
pub fn balance(
    names: &[&str],
    total: usize,
    duration_of: &dyn Fn(&str) -> Option<f64>,
) -> Vec<usize> {
    let known: Vec<Option<f64>> = names
        .iter()
        .map(|n| duration_of(n).filter(|d| (0.0..=super::durations::MAX_SECS).contains(d)))
        .collect();
    let mut sorted: Vec<f64> = known.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let fallback = if sorted.is_empty() {
        1.0
    } else {
        sorted[sorted.len() / 2]
    };
    let cost: Vec<f64> = known.iter().map(|d| d.unwrap_or(fallback)).collect();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| cost[b].total_cmp(&cost[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; total.max(1)];
    let mut shard_of = vec![0; names.len()];
    for i in order {
        let lightest = (0..load.len())
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[lightest] += cost[i];
        shard_of[i] = lightest;
    }
    shard_of
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let p: Partition = "hash:2/4".parse().unwrap();
        assert_eq!((p.strategy, p.index, p.total), (Strategy::Hash, 2, 4));
        assert_eq!(p.to_string(), "hash:2/4");
        for bad in [
            "hash",
            "hash:0/4",
            "hash:5/4",
            "hash:1/0",
            "lpt:1/2",
            "count:a/2",
            "count:1",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn stable_hash_is_fixed() {
        // Pinned: shards on different machines and ptest versions must agree.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn lpt_balances_known_durations() {
        let names = ["a", "b", "c", "d"];
        let d = |n: &str| {
            Some(match n {
                "a" => 10.0,
                "b" => 6.0,
                "c" => 5.0,
                _ => 1.0,
            })
        };
        assert_eq!(balance(&names, 2, &d), vec![0, 1, 1, 0]);
    }
}
