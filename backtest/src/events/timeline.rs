//! A time-ordered queue of events. Ties keep the order in which events were pushed, so that a run
//! is deterministic (the same inputs give the same sequence, byte for byte).

use engine::Timestamp;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    at: Timestamp,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap pops the greatest, the timeline the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

pub struct Timeline<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for Timeline<E> {
    fn default() -> Self {
        Timeline {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> Timeline<E> {
    pub fn new() -> Timeline<E> {
        Timeline::default()
    }

    pub fn push(&mut self, at: Timestamp, event: E) {
        self.heap.push(Entry {
            at,
            seq: self.seq,
            event,
        });
        self.seq += 1;
    }

    /// The earliest event (the first pushed among equals).
    pub fn pop(&mut self) -> Option<(Timestamp, E)> {
        self.heap.pop().map(|e| (e.at, e.event))
    }

    /// The earliest event if it is due at `now`.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, E)> {
        if self.due(now) {
            self.pop()
        } else {
            None
        }
    }

    /// Whether an event is due at `now`.
    #[inline]
    pub fn due(&self, now: Timestamp) -> bool {
        self.peek_time().is_some_and(|t| t <= now)
    }

    pub fn peek_time(&self) -> Option<Timestamp> {
        self.heap.peek().map(|e| e.at)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_by_push_order() {
        let mut t = Timeline::new();
        t.push(Timestamp(30), "c");
        t.push(Timestamp(10), "a1");
        t.push(Timestamp(20), "b");
        t.push(Timestamp(10), "a2");
        t.push(Timestamp(10), "a3");
        assert_eq!(t.peek_time(), Some(Timestamp(10)));
        assert!(!t.due(Timestamp(9)) && t.due(Timestamp(10)) && t.due(Timestamp(11)));
        let order: Vec<&str> = std::iter::from_fn(|| t.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a1", "a2", "a3", "b", "c"]);
        assert!(t.is_empty());
    }

    proptest::proptest! {
        /// Pushes and pops interleaved come out as a stable sort by time would give them.
        #[test]
        fn pops_as_a_stable_sort_by_time(ops in proptest::collection::vec((0i64..20, 0u8..3), 0..200)) {
            let mut t = Timeline::new();
            let mut model: Vec<(i64, usize)> = Vec::new();
            for (i, (at, op)) in ops.into_iter().enumerate() {
                if op == 0 {
                    let want = model.iter().enumerate().min_by_key(|(_, e)| **e).map(|(k, _)| k);
                    let want = want.map(|k| model.remove(k));
                    proptest::prop_assert_eq!(t.pop().map(|(at, i)| (at.0, i)), want);
                } else {
                    t.push(Timestamp(at), i);
                    model.push((at, i));
                }
                proptest::prop_assert_eq!(t.len(), model.len());
                let first = model.iter().map(|e| e.0).min().map(Timestamp);
                proptest::prop_assert_eq!(t.peek_time(), first);
            }
        }
    }
}
