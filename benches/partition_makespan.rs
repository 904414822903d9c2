//! Makespan (the slowest shard's total) of `--partition hash` and `--partition duration`
//! (LPT over stored durations) on synthetic suites with skewed durations, against the
//! optimum found by brute force for small suites (a lower bound for big ones). Fixed seeds:
//! the table is the same on every machine.
//!
//! `cargo bench --bench partition_makespan`

use ptest::suite::partition::{Partition, Strategy};

/// splitmix64: a few lines, fixed output for a seed (no crate needed for this).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        (-2.0 * self.unit().ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }
}

#[derive(Clone, Copy)]
enum Dist {
    /// Replays of a few seconds to minutes: log-normal, median 20 s, sigma 1.2.
    LogNormal,
    /// Heavy tail: Pareto, x_min 5 s, alpha 1.1 (a few tests dominate).
    Pareto,
}

impl Dist {
    fn name(self) -> &'static str {
        match self {
            Dist::LogNormal => "log-normal",
            Dist::Pareto => "Pareto",
        }
    }
    fn sample(self, rng: &mut Rng) -> f64 {
        match self {
            Dist::LogNormal => (20f64.ln() + 1.2 * rng.normal()).exp(),
            Dist::Pareto => 5.0 / rng.unit().powf(1.0 / 1.1),
        }
    }
}

fn makespan(names: &[&str], durations: &[f64], p: Strategy, total: usize, known: &[bool]) -> f64 {
    let duration_of = |name: &str| {
        let i = names.iter().position(|n| *n == name)?;
        known[i].then_some(durations[i])
    };
    (1..=total)
        .map(|index| {
            Partition {
                strategy: p,
                index,
                total,
            }
            .select(names, &duration_of)
            .into_iter()
            .map(|i| durations[i])
            .sum::<f64>()
        })
        .fold(0.0, f64::max)
}

/// The best makespan by exhaustive search with pruning (longest first, an empty shard
/// tried once: shards are interchangeable).
fn optimum(durations: &[f64], total: usize) -> f64 {
    let mut sorted = durations.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut best = f64::INFINITY;
    let mut load = vec![0.0; total];
    fn go(i: usize, sorted: &[f64], load: &mut [f64], best: &mut f64) {
        if i == sorted.len() {
            *best = best.min(load.iter().copied().fold(0.0, f64::max));
            return;
        }
        let mut tried_empty = false;
        for s in 0..load.len() {
            if load[s] == 0.0 {
                if tried_empty {
                    continue;
                }
                tried_empty = true;
            }
            if load[s] + sorted[i] >= *best {
                continue;
            }
            load[s] += sorted[i];
            go(i + 1, sorted, load, best);
            load[s] -= sorted[i];
        }
    }
    go(0, &sorted, &mut load, &mut best);
    best
}

fn lower_bound(durations: &[f64], total: usize) -> f64 {
    let sum: f64 = durations.iter().sum();
    (sum / total as f64).max(durations.iter().copied().fold(0.0, f64::max))
}

struct Row {
    hash: Vec<f64>,
    lpt: Vec<f64>,
    lpt_partial: Vec<f64>,
}

fn main() {
    const SUITES: u64 = 30;
    println!(
        "| durations | tests | shards | vs | hash: mean / worst | duration (LPT): mean / worst | LPT, 25% unknown: mean / worst |"
    );
    println!("|---|---|---|---|---|---|---|");
    for dist in [Dist::LogNormal, Dist::Pareto] {
        for (tests, shards, exact) in [
            (12, 2, true),
            (12, 3, true),
            (12, 4, true),
            (60, 4, false),
            (60, 8, false),
        ] {
            let mut row = Row {
                hash: Vec::new(),
                lpt: Vec::new(),
                lpt_partial: Vec::new(),
            };
            for seed in 0..SUITES {
                let mut rng = Rng(seed * 7919 + tests as u64);
                let names: Vec<String> =
                    (0..tests).map(|i| format!("suite{seed}-test{i}")).collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let durations: Vec<f64> = (0..tests).map(|_| dist.sample(&mut rng)).collect();
                let all = vec![true; tests];
                let partial: Vec<bool> = (0..tests).map(|_| rng.unit() >= 0.25).collect();
                let best = if exact {
                    optimum(&durations, shards)
                } else {
                    lower_bound(&durations, shards)
                };
                row.hash
                    .push(makespan(&names, &durations, Strategy::Hash, shards, &all) / best);
                row.lpt
                    .push(makespan(&names, &durations, Strategy::Duration, shards, &all) / best);
                row.lpt_partial.push(
                    makespan(&names, &durations, Strategy::Duration, shards, &partial) / best,
                );
            }
            // Nothing beats the best: a check on the brute force itself.
            for r in [&row.hash, &row.lpt, &row.lpt_partial] {
                assert!(r.iter().all(|x| *x >= 1.0 - 1e-9), "below the best: {r:?}");
            }
            let stat = |v: &[f64]| {
                let mean = v.iter().sum::<f64>() / v.len() as f64;
                let worst = v.iter().copied().fold(0.0, f64::max);
                format!("{mean:.3} / {worst:.3}")
            };
            println!(
                "| {} | {tests} | {shards} | {} | {} | {} | {} |",
                dist.name(),
                if exact { "optimum" } else { "lower bound" },
                stat(&row.hash),
                stat(&row.lpt),
                stat(&row.lpt_partial),
            );
        }
    }
    println!();
    println!(
        "Each cell: makespan / best over {SUITES} suites (1.000 = optimal); lower bound = max(total / shards, longest test)."
    );
}
