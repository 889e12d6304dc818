//! CPU time and memory read from `/proc`: a process's user + system seconds
//! (`/proc/<pid>/stat` utime + stime), its peak and current resident set (`VmHWM`, `VmRSS`
//! in `/proc/<pid>/status`), and the whole machine's busy seconds (`/proc/stat`), which tell
//! how much else ran during a scenario.

use std::sync::OnceLock;

use anyhow::{Context, bail};

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux this runs on).
fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .and_then(|text| text.trim().parse::<f64>().ok())
            .filter(|ticks| *ticks > 0.0)
            .unwrap_or(100.0)
    })
}

/// User + system CPU seconds of `pid` (a number, or `self`).
pub(crate) fn cpu_seconds(pid: &str) -> anyhow::Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    let rest = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("{path} has no command name"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3 of stat(5), utime field 14, stime field 15.
    let tick = |index: usize| -> anyhow::Result<f64> {
        let field = fields
            .get(index)
            .with_context(|| format!("{path} is too short"))?;
        Ok(field.parse::<f64>()?)
    };
    Ok((tick(11)? + tick(12)?) / ticks_per_second())
}

/// Peak and current resident set of `pid`, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Memory {
    pub hwm_kib: u64,
    pub rss_kib: u64,
}

pub(crate) fn memory(pid: &str) -> anyhow::Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = text
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("{path} has no {name}"))?;
        let kib = line
            .split_whitespace()
            .nth(1)
            .with_context(|| format!("{path}: {line}"))?;
        Ok(kib.parse()?)
    };
    Ok(Memory {
        hwm_kib: field("VmHWM:")?,
        rss_kib: field("VmRSS:")?,
    })
}

/// Busy CPU seconds of the whole machine since boot, all cores together (everything but
/// idle and iowait).
pub(crate) fn machine_busy_seconds() -> anyhow::Result<f64> {
    let text = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = text.lines().next().context("/proc/stat is empty")?;
    let mut fields = line.split_whitespace();
    if fields.next() != Some("cpu") {
        bail!("/proc/stat does not start with the cpu line: {line}");
    }
    let values: Vec<f64> = fields.filter_map(|field| field.parse().ok()).collect();
    if values.len() < 8 {
        bail!("/proc/stat's cpu line is too short: {line}");
    }
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7];
    Ok(busy / ticks_per_second())
}

/// How many cores the machine has (for the "share of the machine" arithmetic).
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_process() {
        assert!(cpu_seconds("self").unwrap() >= 0.0);
        let memory = memory("self").unwrap();
        assert!(memory.hwm_kib >= memory.rss_kib && memory.rss_kib > 0);
        assert!(machine_busy_seconds().unwrap() > 0.0);
    }
}
