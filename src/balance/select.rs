//! The strategies: each picks an index into the snapshot, skipping unavailable backends
//! unless the balancer is in panic mode.

use std::sync::atomic::Ordering;

use super::balancer::{Ctx, Shared};

impl<T> Shared<T> {
    pub(crate) fn round_robin(&self, ctx: &Ctx<'_, T>) -> Option<usize> {
        let n = ctx.snap.nodes.len();
        let start = self.rr.fetch_add(1, Ordering::Relaxed) % n;
        (0..n).map(|k| (start + k) % n).find(|&i| ctx.ok(i))
    }

    pub(crate) fn smooth_wrr(&self, ctx: &Ctx<'_, T>) -> Option<usize> {
        let mut cur = ctx.snap.wrr.lock();
        let mut total = 0.0;
        let mut best: Option<usize> = None;
        let mut best_score = f64::NEG_INFINITY;
        for (i, c) in cur.iter_mut().enumerate() {
            if !ctx.ok(i) {
                continue;
            }
            let w = self.effective(ctx, i);
            *c += w;
            total += w;
            if *c > best_score {
                best_score = *c;
                best = Some(i);
            }
        }
        if let Some(c) = best.and_then(|b| cur.get_mut(b)) {
            *c -= total;
        }
        best
    }

    pub(crate) fn least_connections(&self, ctx: &Ctx<'_, T>) -> Option<usize> {
        // Ties are the common case (idle backends all carry load 1): they are collected and
        // one is drawn at the end, one random number in all. A draw per tie (reservoir
        // sampling) cost a dependent random number and an unpredictable branch per backend.
        // Past TIES of them, reservoir sampling carries on from a uniform pick of the first
        // TIES, so every tied backend stays equally likely.
        const TIES: usize = 16;
        let mut tied = [0usize; TIES];
        let mut count = 0usize;
        let mut overflow_pick = 0usize;
        let mut best_load = f64::INFINITY;
        let mut rng = None;
        let snap = ctx.snap;
        // One walk over nodes and weights together: `ctx.ok(i)` and `effective(ctx, i)` would
        // each look the node up by index again.
        for (i, (node, &weight)) in snap.nodes.iter().zip(&snap.weights).enumerate() {
            let st = &node.state;
            if !ctx.up(st) {
                continue;
            }
            let load = (st.in_flight() + 1) as f64 / self.effective_weight(ctx, weight, st);
            if load < best_load {
                best_load = load;
                tied[0] = i;
                count = 1;
            } else if load == best_load {
                count += 1;
                if let Some(slot) = tied.get_mut(count - 1) {
                    *slot = i;
                } else {
                    let rng = rng.get_or_insert_with(|| self.rng.local());
                    if count == TIES + 1 {
                        overflow_pick = tied[rng.below(TIES)];
                    }
                    if rng.below(count) == 0 {
                        overflow_pick = i;
                    }
                }
            }
        }
        match count {
            0 => None,
            1 => Some(tied[0]),
            c if c <= TIES => {
                let rng = rng.get_or_insert_with(|| self.rng.local());
                tied.get(rng.below(c)).copied()
            }
            _ => Some(overflow_pick),
        }
    }

    /// Weighted random by rejection: draw by configured weight (binary search over prefix
    /// sums), accept with probability effective weight ÷ configured weight. Exact, and O(log n)
    /// unless most of the weight is unavailable, when a linear pass takes over.
    pub(crate) fn weighted_random(&self, ctx: &Ctx<'_, T>, by_score: bool) -> Option<usize> {
        let snap = ctx.snap;
        let n = snap.nodes.len();
        let mut rng = self.rng.local();
        for _ in 0..8 {
            let r = rng.unit() * snap.total;
            let i = snap.cum.partition_point(|&c| c <= r).min(n - 1);
            if !ctx.ok(i) {
                continue;
            }
            let accept = self.accept_share(ctx, i, by_score);
            if accept >= 1.0 || rng.unit() < accept {
                return Some(i);
            }
        }
        let shares: f64 = (0..n)
            .filter(|&i| ctx.ok(i))
            .map(|i| self.share(ctx, i, by_score))
            .sum();
        if shares <= 0.0 {
            // Every candidate has a zero score: pick uniformly among them.
            let ok: Vec<usize> = (0..n).filter(|&i| ctx.ok(i)).collect();
            return ok.get(rng.below(ok.len().max(1))).copied();
        }
        let mut r = rng.unit() * shares;
        let mut last = None;
        for i in (0..n).filter(|&i| ctx.ok(i)) {
            let s = self.share(ctx, i, by_score);
            last = Some(i);
            if r < s {
                return Some(i);
            }
            r -= s;
        }
        // Scores move under concurrent finishes between the two passes; the last candidate
        // takes the remainder rather than failing the pick.
        last
    }

    #[inline]
    fn accept_share(&self, ctx: &Ctx<'_, T>, i: usize, by_score: bool) -> f64 {
        let mut a = match (ctx.now, ctx.snap.nodes.get(i)) {
            (Some(_), Some(n)) => self.slow_factor(&n.state, ctx.now),
            _ => 1.0,
        };
        if by_score && let Some(n) = ctx.snap.nodes.get(i) {
            a *= f64::from(n.state.score.load(Ordering::Relaxed)) / 100.0;
        }
        a
    }

    #[inline]
    fn share(&self, ctx: &Ctx<'_, T>, i: usize, by_score: bool) -> f64 {
        ctx.snap.weights.get(i).copied().unwrap_or(0.0) * self.accept_share(ctx, i, by_score)
    }

    #[inline]
    fn p2c_cost(&self, ctx: &Ctx<'_, T>, i: usize, now: u64) -> f64 {
        match (ctx.snap.nodes.get(i), ctx.snap.weights.get(i)) {
            (Some(n), Some(&weight)) => {
                let st = &n.state;
                let ewma = st.ewma_at(now, self.cfg.decay_ns);
                let inflight = st.in_flight() as f64;
                ewma * (inflight + 1.0) / self.effective_weight(ctx, weight, st)
            }
            _ => f64::INFINITY,
        }
    }

    pub(crate) fn p2c(&self, ctx: &Ctx<'_, T>) -> Option<usize> {
        let n = ctx.snap.nodes.len();
        let now = ctx.now.unwrap_or_else(|| self.now());
        if n == 1 {
            return ctx.ok(0).then_some(0);
        }
        let mut rng = self.rng.local();
        for _ in 0..4 {
            let a = rng.below(n);
            let b = (a + 1 + rng.below(n - 1)) % n;
            match (ctx.ok(a), ctx.ok(b)) {
                (true, true) => {
                    let (ca, cb) = (self.p2c_cost(ctx, a, now), self.p2c_cost(ctx, b, now));
                    return Some(if cb < ca { b } else { a });
                }
                (true, false) => return Some(a),
                (false, true) => return Some(b),
                (false, false) => {}
            }
        }
        (0..n)
            .filter(|&i| ctx.ok(i))
            .map(|i| (i, self.p2c_cost(ctx, i, now)))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .map(|(i, _)| i)
    }

    pub(crate) fn consistent(&self, ctx: &Ctx<'_, T>, hash: u64) -> Option<usize> {
        let table = ctx.snap.table.as_ref()?;
        let (i, pos) = table.lookup(hash);
        if ctx.ok(i) {
            return Some(i);
        }
        // Walk on from the key's position: on a ring, the next point clockwise; in Maglev,
        // the next slot. Both spread an unavailable backend's keys over the others.
        (1..table.len())
            .map(|step| table.at(pos + step))
            .find(|&j| ctx.ok(j))
    }
}
