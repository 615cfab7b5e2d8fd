//! A child process whose output goes to a log file, killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};

use super::{EDGE, wait_for};

pub struct Process {
    name: String,
    child: Mutex<Option<Child>>,
    log_path: PathBuf,
}

impl Process {
    pub fn spawn(name: &str, program: &Path, args: &[String], env: &[(&str, &str)], dir: &Path) -> Self {
        let log_path = dir.join(format!("{name}.log"));
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Self { name: name.to_owned(), child: Mutex::new(Some(child)), log_path }
    }

    /// An `edge` process with JSON logs.
    pub fn spawn_edge(name: &str, args: &[String], env: &[(&str, &str)], dir: &Path) -> Self {
        let mut all = vec!["--log-format".to_string(), "json".into()];
        all.extend(args.iter().cloned());
        let mut env = env.to_vec();
        env.push(("EDGE_LOG", "info"));
        Self::spawn(name, Path::new(EDGE), &all, &env, dir)
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn id(&self) -> u32 {
        self.child().as_ref().map(Child::id).unwrap_or(0)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Log lines (JSON) whose message contains `message`.
    pub fn log_events(&self, message: &str) -> Vec<serde_json::Value> {
        self.log()
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|event| event["message"].as_str().is_some_and(|m| m.contains(message)))
            .collect()
    }

    /// Waits until the log has a line containing `needle`.
    pub fn wait_for_log(&self, needle: &str) {
        let found = wait_for(|| {
            self.assert_running();
            self.log().contains(needle).then_some(())
        });
        assert!(found.is_some(), "{} never logged {needle:?}\n{}", self.name, self.log());
    }

    /// Waits for a JSON log event with `message` and returns its `field`.
    pub fn wait_for_log_field(&self, message: &str, field: &str) -> String {
        wait_for(|| {
            self.assert_running();
            self.log_events(message).first().and_then(|e| e[field].as_str().map(str::to_owned))
        })
        .unwrap_or_else(|| panic!("{} never logged {message:?}\n{}", self.name, self.log()))
    }

    fn assert_running(&self) {
        let exited = self.child().as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
        assert!(!exited, "{} exited early\n{}", self.name, self.log());
    }

    /// `kill -9`: no chance to clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits for the process to exit by itself and returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let mut child = self.child().take()?;
        child.wait().ok()?.code()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("----- log of {} -----\n{}", self.name, self.log());
        }
    }
}
