//! The decisions of one review, taken one file at a time: a pure state machine over the
//! plan's files (no terminal, no files), so the keys' meaning is tested without a tty.

use super::plan::Plan;

/// What was decided for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Not reached (the review was quit before it): like skipped.
    Pending,
    /// Its new output becomes the reference.
    Accepted,
    /// The reference stays; the new output stays in `tmpout/`.
    Rejected,
    /// Left for later: the reference stays.
    Skipped,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    AcceptFile,
    /// Every differing file of the current test, also those already decided otherwise.
    AcceptTest,
    Reject,
    Skip,
    /// End the review; the decisions so far apply.
    Quit,
}

#[derive(Debug)]
pub struct Session {
    /// Per test of the plan, per differing file.
    pub choices: Vec<Vec<Choice>>,
    /// The file being decided: (test, file); `None` once done.
    at: Option<(usize, usize)>,
}

impl Session {
    pub fn new(plan: &Plan) -> Session {
        let choices: Vec<Vec<Choice>> = plan
            .tests
            .iter()
            .map(|t| vec![Choice::Pending; t.files.len()])
            .collect();
        let at = choices.iter().position(|f| !f.is_empty()).map(|t| (t, 0));
        Session { choices, at }
    }

    /// The file to decide next: (test index, file index).
    pub fn current(&self) -> Option<(usize, usize)> {
        self.at
    }

    /// 1-based position of the current file over all files.
    pub fn ordinal(&self) -> usize {
        match self.at {
            Some((t, f)) => self.choices[..t].iter().map(Vec::len).sum::<usize>() + f + 1,
            None => self.choices.iter().map(Vec::len).sum(),
        }
    }

    pub fn act(&mut self, action: Action) {
        let Some((t, f)) = self.at else {
            return;
        };
        match action {
            Action::AcceptFile => self.choices[t][f] = Choice::Accepted,
            Action::Reject => self.choices[t][f] = Choice::Rejected,
            Action::Skip => self.choices[t][f] = Choice::Skipped,
            Action::AcceptTest => {
                self.choices[t]
                    .iter_mut()
                    .for_each(|c| *c = Choice::Accepted);
                self.at = self.first_of(t + 1);
                return;
            }
            Action::Quit => {
                self.at = None;
                return;
            }
        }
        self.at = if f + 1 < self.choices[t].len() {
            Some((t, f + 1))
        } else {
            self.first_of(t + 1)
        };
    }

    fn first_of(&self, from: usize) -> Option<(usize, usize)> {
        (from..self.choices.len())
            .find(|&t| !self.choices[t].is_empty())
            .map(|t| (t, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::plan::TestReview;

    fn plan(files: &[usize]) -> Plan {
        let file = |i: usize| crate::record::FileRecord {
            name: format!("f{i}"),
            mode: "text".into(),
            verdict: crate::compare::FileVerdict::Missing,
            filters: Vec::new(),
        };
        Plan {
            tests: files
                .iter()
                .enumerate()
                .map(|(t, &n)| TestReview {
                    name: format!("t{t}"),
                    tmpout: Default::default(),
                    files: (0..n).map(file).collect(),
                })
                .collect(),
            refused: Vec::new(),
            settled: Vec::new(),
        }
    }

    #[test]
    fn keys_walk_the_files_and_accept_test_takes_every_file_of_it() {
        use Choice::*;
        let mut s = Session::new(&plan(&[2, 2, 1, 1]));
        assert_eq!((s.current(), s.ordinal()), (Some((0, 0)), 1));
        s.act(Action::AcceptFile);
        s.act(Action::Reject);
        assert_eq!((s.current(), s.ordinal()), (Some((1, 0)), 3));
        s.act(Action::Skip);
        s.act(Action::AcceptTest);
        assert_eq!(s.current(), Some((2, 0)));
        s.act(Action::Reject);
        s.act(Action::Quit);
        assert_eq!(s.current(), None);
        s.act(Action::AcceptFile);
        assert_eq!(
            s.choices,
            [
                vec![Accepted, Rejected],
                vec![Accepted, Accepted],
                vec![Rejected],
                vec![Pending]
            ]
        );
    }
}
