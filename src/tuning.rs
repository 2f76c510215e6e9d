//! Knobs for measuring new hardware, read once from the environment at start. A value that
//! does not parse is an error naming the variable, never silently ignored.

/// The environment's tuning, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// `GHOSTSUM_CPU_KERNEL=avx512|avx2|neon|sha-ni|arm-sha|portable`: force a CPU kernel this CPU can run.
    pub cpu_kernel: Option<crate::cpu::kernel::KernelKind>,
    /// `GHOSTSUM_GPU_WORKGROUP_SIZE=N` (1 to 1024, default 64): GPU invocations per workgroup.
    pub gpu_workgroup_size: u32,
    /// `GHOSTSUM_GPU_RUNTIME_CHECKS=1`: keep wgpu's bounds checks in the shader (default 0).
    pub gpu_runtime_checks: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning { cpu_kernel: None, gpu_workgroup_size: 64, gpu_runtime_checks: false }
    }
}

impl Tuning {
    /// Reads the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Reads the variables through `env`.
    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let mut tuning = Tuning::default();
        if let Some(wanted) = env("GHOSTSUM_CPU_KERNEL") {
            let kinds = crate::cpu::kernel::KernelKind::available();
            let found = kinds.iter().find(|k| k.name() == wanted.trim()).ok_or_else(|| {
                let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
                anyhow::anyhow!(
                    "GHOSTSUM_CPU_KERNEL={wanted} is not a kernel this CPU can run; use one of: {}, or unset it",
                    names.join(", ")
                )
            })?;
            tuning.cpu_kernel = Some(*found);
        }
        if let Some(size) = env("GHOSTSUM_GPU_WORKGROUP_SIZE") {
            tuning.gpu_workgroup_size =
                size.trim().parse().ok().filter(|n| (1..=1024).contains(n)).ok_or_else(|| {
                    anyhow::anyhow!(
                        "GHOSTSUM_GPU_WORKGROUP_SIZE={size} is not a whole number from 1 to 1024; unset it for 64"
                    )
                })?;
        }
        if let Some(checks) = env("GHOSTSUM_GPU_RUNTIME_CHECKS") {
            tuning.gpu_runtime_checks = match checks.trim() {
                "1" => true,
                "0" => false,
                _ => anyhow::bail!("GHOSTSUM_GPU_RUNTIME_CHECKS={checks} must be 0 or 1"),
            };
        }
        Ok(tuning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_errors_naming_the_variable() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(Tuning::from_lookup(&env(&[])).unwrap(), Tuning::default());
        let t =
            Tuning::from_lookup(&env(&[("GHOSTSUM_GPU_WORKGROUP_SIZE", "128"), ("GHOSTSUM_CPU_KERNEL", "portable")]));
        assert_eq!(
            t.unwrap(),
            Tuning {
                cpu_kernel: Some(crate::cpu::kernel::KernelKind::Portable),
                gpu_workgroup_size: 128,
                gpu_runtime_checks: false
            }
        );
        for (name, value) in [
            ("GHOSTSUM_GPU_WORKGROUP_SIZE", "0"),
            ("GHOSTSUM_GPU_WORKGROUP_SIZE", "big"),
            ("GHOSTSUM_GPU_RUNTIME_CHECKS", "yes"),
            ("GHOSTSUM_CPU_KERNEL", "sse9"),
        ] {
            let lookup = move |n: &str| (n == name).then(|| value.to_string());
            let err = Tuning::from_lookup(&lookup).unwrap_err().to_string();
            assert!(err.starts_with(&format!("{name}={value}")), "{err}");
        }
    }
}
