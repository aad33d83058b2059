//! Ratios that survive a shared, noisy machine: the cases of one comparison (a floor, this
//! crate, a peer) run in turns, a short batch each, many rounds over; each round yields one
//! time per case measured within a fraction of a millisecond of the others, so a neighbour's
//! load slows them alike. A ratio is the median over rounds of that round's ratio.
//!
//! Criterion measures one function for seconds before the next: on a machine whose load swings
//! from one second to the next, its ratios between functions swung by 2x from run to run.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// One case: a name and the work of one iteration.
pub(crate) struct Case<'a> {
    pub(crate) name: &'static str,
    pub(crate) run: Box<dyn FnMut() + 'a>,
}

impl<'a> Case<'a> {
    pub(crate) fn new<R>(name: &'static str, mut run: impl FnMut() -> R + 'a) -> Self {
        Self {
            name,
            run: Box::new(move || {
                black_box(run());
            }),
        }
    }
}

/// Per case, the nanoseconds of one iteration in each round.
pub(crate) struct Rounds {
    names: Vec<&'static str>,
    times: Vec<Vec<f64>>,
}

/// Runs `cases` in turns for `rounds` rounds, each batch about `batch` long.
pub(crate) fn run(cases: &mut [Case<'_>], rounds: usize, batch: Duration) -> Rounds {
    // Iterations per batch, from a first timing of each case (and a warm-up).
    let per_batch: Vec<u32> = cases
        .iter_mut()
        .map(|case| {
            let start = Instant::now();
            let mut n = 0u32;
            while start.elapsed() < batch * 4 {
                (case.run)();
                n += 1;
            }
            (n / 4).max(1)
        })
        .collect();
    let mut times = vec![Vec::with_capacity(rounds); cases.len()];
    for _ in 0..rounds {
        for ((case, n), out) in cases.iter_mut().zip(&per_batch).zip(&mut times) {
            let start = Instant::now();
            for _ in 0..*n {
                (case.run)();
            }
            out.push(start.elapsed().as_nanos() as f64 / f64::from(*n));
        }
    }
    Rounds {
        names: cases.iter().map(|c| c.name).collect(),
        times,
    }
}

impl Rounds {
    fn of(&self, name: &str) -> &[f64] {
        self.names
            .iter()
            .zip(&self.times)
            .find_map(|(n, times)| (*n == name).then_some(times.as_slice()))
            .unwrap_or_default()
    }

    /// The median time of one iteration of `name`, in nanoseconds.
    pub(crate) fn median(&self, name: &str) -> f64 {
        median(self.of(name).to_vec())
    }

    /// The median over rounds of `name`'s time over the sum of `floors`' times.
    pub(crate) fn ratio(&self, name: &str, floors: &[&str]) -> f64 {
        let ratios = self
            .of(name)
            .iter()
            .enumerate()
            .map(|(r, ours)| {
                let floor: f64 = floors.iter().filter_map(|f| self.of(f).get(r)).sum();
                ours / floor
            })
            .collect();
        median(ratios)
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A time for a table: ns below 10 µs, else µs.
pub(crate) fn fmt_ns(ns: f64) -> String {
    if ns >= 10_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}
