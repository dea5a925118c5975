//! Running the stacks of a deploy or of an `--apply`, up to N at a time ([`Schedule`]): each
//! stack's job (`aws cloudformation deploy`, or executing its reviewed change set) runs on its
//! own thread; its progress lines travel whole to
//! the calling thread, which prints them (each keeps its `[i/n] stack:` label, so
//! interleaved stacks stay readable) and runs what comes before and after each stack.

use std::io::Write;
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::Duration;

use super::aws::AwsCli;
use super::progress::Reporter;
use super::run::{Outcome, StackJob};
use super::schedule::Schedule;
use crate::error::Result;

enum Message {
    Line(String),
    Done(usize, Result<Outcome>),
}

/// A `Write` that sends each complete line to the printing thread.
struct Lines {
    tx: Sender<Message>,
    pending: Vec<u8>,
}

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let _ = self
                .tx
                .send(Message::Line(String::from_utf8_lossy(&line).into_owned()));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let rest = String::from_utf8_lossy(&self.pending).into_owned();
            let _ = self.tx.send(Message::Line(rest + "\n"));
        }
    }
}

/// What the caller does around each stack.
pub trait Around {
    /// Before stack `i` starts: its job (template written, parameters final). An error
    /// stops the deploy: nothing new starts.
    fn start(&mut self, i: usize) -> Result<StackJob>;
    /// After stack `i` deployed or had no changes. An error stops the deploy.
    fn after(&mut self, i: usize, outcome: &Outcome, out: &mut dyn Write) -> Result<()>;
}

/// How the stacks ended: per stack its outcome (`None`: never started), and the first error.
pub struct Ended {
    /// Per stack, in deploy order.
    pub outcomes: Vec<Option<Outcome>>,
    /// The first error from [`Around`] or from starting the AWS CLI.
    pub error: Option<crate::error::CliError>,
}

/// Deploys `needs.len()` stacks (`needs[i]`: the stacks `i` waits for), at most `limit` at a
/// time, printing progress to `out`. Stops starting stacks after the first failure or error
/// and waits for the running ones.
pub fn deploy_all(
    aws: &AwsCli,
    needs: Vec<Vec<usize>>,
    limit: usize,
    poll: Duration,
    reporter: &Reporter,
    around: &mut dyn Around,
    out: &mut dyn Write,
) -> Ended {
    let count = needs.len();
    let mut schedule = Schedule::new(needs, limit);
    let mut outcomes: Vec<Option<Outcome>> = vec![None; count];
    let mut error = None;
    thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Message>();
        loop {
            for i in schedule.start() {
                match around.start(i) {
                    Ok(job) => {
                        let tx = tx.clone();
                        scope.spawn(move || {
                            let mut lines = Lines {
                                tx: tx.clone(),
                                pending: Vec::new(),
                            };
                            let result = job.run(aws, poll, reporter, &mut lines);
                            drop(lines);
                            let _ = tx.send(Message::Done(i, result));
                        });
                    }
                    Err(e) => {
                        schedule.finish(i, false);
                        error.get_or_insert(e);
                    }
                }
            }
            if schedule.is_over() {
                break;
            }
            match rx.recv() {
                Ok(Message::Line(line)) => {
                    let _ = out.write_all(line.as_bytes());
                    let _ = out.flush();
                }
                Ok(Message::Done(i, Ok(outcome))) => {
                    let mut ok = !matches!(outcome, Outcome::Failed { .. });
                    if ok {
                        if let Err(e) = around.after(i, &outcome, out) {
                            error.get_or_insert(e);
                            ok = false;
                        }
                    }
                    schedule.finish(i, ok);
                    outcomes[i] = Some(outcome);
                }
                Ok(Message::Done(i, Err(e))) => {
                    schedule.finish(i, false);
                    error.get_or_insert(e);
                }
                Err(_) => break,
            }
        }
    });
    Ended { outcomes, error }
}
