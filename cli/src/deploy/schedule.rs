//! Which stacks may deploy now, for `deploy --concurrency N`: a stack starts once every
//! stack it depends on (among those of this deploy) has deployed, at most N at a time, in
//! deploy order among the ready ones. After a failure nothing new starts.

/// Where one stack is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Running,
    Done,
    Failed,
}

/// The schedule of one deploy.
#[derive(Debug, Clone)]
pub struct Schedule {
    needs: Vec<Vec<usize>>,
    state: Vec<State>,
    limit: usize,
}

impl Schedule {
    /// `needs[i]`: the indexes (into the deploy's stacks, all before `i`) stack `i` waits for;
    /// `limit`: how many run at once (at least 1).
    pub fn new(needs: Vec<Vec<usize>>, limit: usize) -> Self {
        Schedule {
            state: vec![State::Waiting; needs.len()],
            needs,
            limit: limit.max(1),
        }
    }

    fn running(&self) -> usize {
        self.state.iter().filter(|s| **s == State::Running).count()
    }

    /// The stacks to start now, in deploy order (marked running).
    pub fn start(&mut self) -> Vec<usize> {
        if self.state.contains(&State::Failed) {
            return Vec::new();
        }
        let mut started = Vec::new();
        for i in 0..self.state.len() {
            if self.running() >= self.limit {
                break;
            }
            let ready = self.state[i] == State::Waiting
                && self.needs[i].iter().all(|d| self.state[*d] == State::Done);
            if ready {
                self.state[i] = State::Running;
                started.push(i);
            }
        }
        started
    }

    /// Records how stack `i` ended.
    pub fn finish(&mut self, i: usize, ok: bool) {
        self.state[i] = if ok { State::Done } else { State::Failed };
    }

    /// Whether nothing runs and nothing more will start.
    pub fn is_over(&self) -> bool {
        self.running() == 0
            && (self.state.contains(&State::Failed) || !self.state.contains(&State::Waiting))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// network; data <- network; service <- network, data; monitoring <- data, service;
    /// audit <- data (the migration-api's dev environment).
    fn app(limit: usize) -> Schedule {
        Schedule::new(
            vec![vec![], vec![0], vec![0, 1], vec![1, 2], vec![1]],
            limit,
        )
    }

    #[test]
    fn independent_stacks_run_together_and_dependents_wait() {
        let mut s = app(2);
        assert_eq!(s.start(), [0]);
        assert_eq!(s.start(), Vec::<usize>::new(), "data waits for network");
        s.finish(0, true);
        assert_eq!(s.start(), [1]);
        s.finish(1, true);
        assert_eq!(s.start(), [2, 4], "service and audit both need only data");
        s.finish(4, true);
        assert_eq!(
            s.start(),
            Vec::<usize>::new(),
            "monitoring waits for service"
        );
        s.finish(2, true);
        assert_eq!(s.start(), [3]);
        assert!(!s.is_over());
        s.finish(3, true);
        assert!(s.is_over());
    }

    #[test]
    fn the_limit_holds_and_one_means_in_order() {
        let mut s = Schedule::new(vec![vec![], vec![], vec![]], 2);
        assert_eq!(s.start(), [0, 1]);
        s.finish(1, true);
        assert_eq!(s.start(), [2]);
        let mut one = app(1);
        let mut order = Vec::new();
        while !one.is_over() {
            let i = one.start()[0];
            order.push(i);
            one.finish(i, true);
        }
        assert_eq!(order, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn after_a_failure_nothing_new_starts_and_running_stacks_finish() {
        let mut s = app(3);
        s.start();
        s.finish(0, true);
        s.start();
        s.finish(1, true);
        assert_eq!(s.start(), [2, 4]);
        s.finish(2, false);
        assert!(!s.is_over(), "audit still runs");
        assert!(s.start().is_empty());
        s.finish(4, true);
        assert!(s.is_over(), "monitoring never starts");
    }
}
