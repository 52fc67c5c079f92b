//! A plain 2-D Nelder-Mead search, written as a state machine that asks for one point at a time
//! and is told its value: several independent searches can then have their points evaluated
//! together (the SVI fit runs its four starts side by side, one pass over the data for all).
//! Each search takes the same steps as the loop it replaces, so its result does not depend on
//! what it runs beside.

type Point = [f64; 2];

/// What the search waits to be told the value of.
#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Vertex `i` of the first simplex.
    Start(usize),
    Reflect {
        centroid: Point,
    },
    Expand {
        reflected: (Point, f64),
    },
    Contract,
    /// Vertex `i` moved halfway to the best.
    Shrink(usize),
    Done,
}

/// One search: minimises a function from `start` with initial steps `step`, for at most
/// `iterations` iterations. Infeasible points are told as +∞.
#[derive(Clone, Debug)]
pub struct Search {
    simplex: [(Point, f64); 3],
    phase: Phase,
    /// The point whose value is awaited.
    pending: Point,
    iterations: usize,
    done_iterations: usize,
}

fn lerp(a: Point, b: Point, t: f64) -> Point {
    [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
}

impl Search {
    pub fn new(start: Point, step: Point, iterations: usize) -> Search {
        Search {
            simplex: [
                (start, f64::NAN),
                ([start[0] + step[0], start[1]], f64::NAN),
                ([start[0], start[1] + step[1]], f64::NAN),
            ],
            phase: Phase::Start(0),
            pending: start,
            iterations,
            done_iterations: 0,
        }
    }

    /// The next point to evaluate; None once the search has ended.
    pub fn wants(&self) -> Option<Point> {
        (!matches!(self.phase, Phase::Done)).then_some(self.pending)
    }

    /// The value of the point [`Search::wants`] gave.
    pub fn tell(&mut self, value: f64) {
        let s = &mut self.simplex;
        match self.phase {
            Phase::Start(i) => {
                s[i].1 = value;
                if i < 2 {
                    let next = s[i + 1].0;
                    self.ask(Phase::Start(i + 1), next);
                } else {
                    self.iterate();
                }
            }
            Phase::Reflect { centroid } => {
                let reflected = (self.pending, value);
                if value < s[0].1 {
                    let expanded = lerp(centroid, s[2].0, -2.0);
                    self.ask(Phase::Expand { reflected }, expanded);
                } else if value < s[1].1 {
                    s[2] = reflected;
                    self.iterate();
                } else {
                    let contracted = lerp(centroid, s[2].0, 0.5);
                    self.ask(Phase::Contract, contracted);
                }
            }
            Phase::Expand { reflected } => {
                s[2] = if value < reflected.1 {
                    (self.pending, value)
                } else {
                    reflected
                };
                self.iterate();
            }
            Phase::Contract if value < s[2].1 => {
                s[2] = (self.pending, value);
                self.iterate();
            }
            // Shrink towards the best point.
            Phase::Contract => {
                let p = lerp(s[0].0, s[1].0, 0.5);
                self.ask(Phase::Shrink(1), p);
            }
            Phase::Shrink(i) => {
                s[i] = (self.pending, value);
                if i == 1 {
                    let p = lerp(s[0].0, s[2].0, 0.5);
                    self.ask(Phase::Shrink(2), p);
                } else {
                    self.iterate();
                }
            }
            Phase::Done => debug_assert!(false, "told a value after the search ended"),
        }
    }

    /// The best point and its value (once ended, the search's result).
    pub fn best(&self) -> (f64, f64, f64) {
        let (p, f) = self.simplex[0];
        (p[0], p[1], f)
    }

    fn ask(&mut self, phase: Phase, point: Point) {
        self.phase = phase;
        self.pending = point;
    }

    /// The next iteration from the current simplex: its reflection asked for, or the end.
    fn iterate(&mut self) {
        let s = &mut self.simplex;
        s.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (s[0].1, s[2].1);
        if self.done_iterations == self.iterations
            || (worst - best).abs() <= 1e-12 * best.abs().max(1e-300)
        {
            self.phase = Phase::Done;
            return;
        }
        self.done_iterations += 1;
        let centroid = lerp(s[0].0, s[1].0, 0.5);
        let reflected = lerp(centroid, s[2].0, -1.0);
        self.ask(Phase::Reflect { centroid }, reflected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimise(f: impl Fn(Point) -> f64, start: Point, step: Point) -> (f64, f64, f64) {
        let mut s = Search::new(start, step, 500);
        while let Some(p) = s.wants() {
            s.tell(f(p));
        }
        s.best()
    }

    #[test]
    fn finds_the_minimum_of_a_bowl_and_of_rosenbrock() {
        let (x, y, f) = minimise(
            |p| (p[0] - 1.0).powi(2) + 3.0 * (p[1] + 2.0).powi(2),
            [0.0, 0.0],
            [0.5, 0.5],
        );
        assert!((x - 1.0).abs() < 1e-5 && (y + 2.0).abs() < 1e-5 && f < 1e-10);
        let (x, y, _) = minimise(
            |p| 100.0 * (p[1] - p[0] * p[0]).powi(2) + (1.0 - p[0]).powi(2),
            [-1.2, 1.0],
            [0.1, 0.1],
        );
        assert!((x - 1.0).abs() < 1e-3 && (y - 1.0).abs() < 1e-3, "{x} {y}");
    }

    #[test]
    fn infeasible_points_are_avoided_and_iterations_bounded() {
        // Only x > 0.5 is feasible.
        let f = |p: Point| {
            if p[0] > 0.5 {
                (p[0] - 2.0).powi(2) + p[1] * p[1]
            } else {
                f64::INFINITY
            }
        };
        let (x, _, fx) = minimise(f, [1.0, 1.0], [0.2, 0.2]);
        assert!(x > 0.5 && (x - 2.0).abs() < 1e-4 && fx.is_finite());
        let mut s = Search::new([1.0, 1.0], [0.2, 0.2], 3);
        let mut evals = 0;
        while let Some(p) = s.wants() {
            s.tell(f(p));
            evals += 1;
        }
        // Three to start, then at most three iterations of at most three evaluations.
        assert!((4..=12).contains(&evals), "{evals}");
    }
}
