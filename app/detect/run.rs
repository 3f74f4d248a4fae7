//! Running external commands with a time limit (killed when it runs out).

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Output of a command that finished in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit status code; `None` if ended by a signal.
    pub status_code: Option<i32>,
    /// Standard output, lossily decoded as UTF-8.
    pub stdout: String,
    /// Standard error, lossily decoded as UTF-8.
    pub stderr: String,
}

impl CommandOutput {
    /// True when the command exited with status 0.
    pub fn success(&self) -> bool {
        self.status_code == Some(0)
    }
}

/// Runs `program args...` with no stdin, capturing stdout/stderr; kills it after `timeout`.
///
/// Returns `Err(reason)` when the program cannot be started (e.g. not installed) or timed out.
pub fn run_command(
    program: &str,
    args: &[&str],
    timeout: Duration,
) -> Result<CommandOutput, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("`{program}` not found")
            } else {
                format!("could not start `{program}`: {e}")
            }
        })?;
    // Drain pipes on their own threads so a chatty child cannot block on a full pipe.
    let out_reader = child.stdout.take().map(spawn_reader);
    let err_reader = child.stderr.take().map(spawn_reader);

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {
                if Instant::now() >= deadline {
                    // Best effort: the child may have just exited.
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "`{program}` timed out after {} ms and was killed",
                        timeout.as_millis()
                    ));
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                let _ = child.kill();
                return Err(format!("waiting for `{program}` failed: {e}"));
            }
        }
    };
    let stdout = out_reader.map(join_reader).unwrap_or_default();
    let stderr = err_reader.map(join_reader).unwrap_or_default();
    Ok(CommandOutput {
        status_code: status.code(),
        stdout,
        stderr,
    })
}

fn spawn_reader<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        // A read error just truncates the captured text.
        let _ = r.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

fn join_reader(h: thread::JoinHandle<String>) -> String {
    h.join().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_program_is_a_reason_not_a_panic() {
        let r = run_command(
            "definitely-not-a-real-program-xyz",
            &[],
            Duration::from_secs(1),
        );
        assert!(r.unwrap_err().contains("not found"));
    }

    #[cfg(unix)]
    #[test]
    fn slow_program_is_killed() {
        let t0 = Instant::now();
        let r = run_command("sleep", &["10"], Duration::from_millis(200));
        assert!(r.unwrap_err().contains("timed out"));
        assert!(t0.elapsed() < Duration::from_secs(3));
    }

    #[cfg(unix)]
    #[test]
    fn captures_stdout() {
        let r = run_command("echo", &["hello"], Duration::from_secs(2)).unwrap();
        assert!(r.success());
        assert_eq!(r.stdout.trim(), "hello");
    }
}
