//! `--backend`: a comma list of devices, parsed once and opened once into a [`DeviceSet`].

use crate::cpu::CpuDevice;
use crate::device::{Device, DeviceSet};
use crate::gpu::helper_check;
use crate::gpu::on_demand::{GpuOnDemand, Opening, Readiness};
use crate::gpu::{adapter, GpuDevice, GpuOptions};
use crate::tuning::Tuning;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// One item of `--backend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendItem {
    /// Every real GPU, else the CPU.
    Auto,
    /// The CPU.
    Cpu,
    /// Every real GPU adapter (or every adapter `--adapter` names).
    Gpu,
    /// Adapter N of `ghostsum devices`, software ones included.
    GpuIndex(usize),
    /// Every real GPU and the CPU.
    All,
}

/// `--backend LIST`, e.g. `cpu,gpu:1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendList(pub Vec<BackendItem>);

impl std::str::FromStr for BackendList {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let items = text
            .split(',')
            .map(|item| match item.trim() {
                "auto" => Ok(BackendItem::Auto),
                "cpu" => Ok(BackendItem::Cpu),
                "gpu" => Ok(BackendItem::Gpu),
                "all" => Ok(BackendItem::All),
                other => other.strip_prefix("gpu:").and_then(|n| n.parse().ok()).map(BackendItem::GpuIndex).ok_or_else(
                    || format!("'{other}' is not auto, cpu, gpu, gpu:N (N from `ghostsum devices`) or all"),
                ),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BackendList(items))
    }
}

impl fmt::Display for BackendList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .0
            .iter()
            .map(|item| match item {
                BackendItem::Auto => "auto".into(),
                BackendItem::Cpu => "cpu".into(),
                BackendItem::Gpu => "gpu".into(),
                BackendItem::GpuIndex(n) => format!("gpu:{n}"),
                BackendItem::All => "all".into(),
            })
            .collect();
        f.write_str(&names.join(","))
    }
}

impl BackendList {
    /// Could the list include the CPU (so --threads means something)?
    pub fn may_use_cpu(&self) -> bool {
        self.0.iter().any(|i| matches!(i, BackendItem::Cpu | BackendItem::All | BackendItem::Auto))
    }

    /// Does an item choose among the adapters (gpu, all, auto), so that --adapter narrows it?
    pub fn filters_adapters(&self) -> bool {
        self.0.iter().any(|i| matches!(i, BackendItem::Gpu | BackendItem::All | BackendItem::Auto))
    }

    /// Could the list include a GPU (so --adapter means something)?
    pub fn may_use_gpu(&self) -> bool {
        self.0.iter().any(|i| !matches!(i, BackendItem::Cpu))
    }
}

/// An adapter as the choice sees it.
struct AdapterSummary {
    name: String,
    real_gpu: bool,
}

/// What to open: adapter indices and whether the CPU takes part, with a note on choices
/// made for the user (auto's fallback).
#[derive(Debug)]
struct Choice {
    gpus: Vec<usize>,
    cpu: bool,
    note: Option<String>,
}

fn choose(list: &BackendList, adapters: &[AdapterSummary], filter: Option<&str>) -> anyhow::Result<Choice> {
    let wanted = |a: &AdapterSummary| match filter {
        // Naming an adapter allows a software one.
        Some(text) => a.name.to_lowercase().contains(&text.to_lowercase()),
        None => a.real_gpu,
    };
    let matching: Vec<usize> = (0..adapters.len()).filter(|&i| wanted(&adapters[i])).collect();
    let names = || {
        if adapters.is_empty() {
            "none".to_string()
        } else {
            adapters.iter().enumerate().map(|(i, a)| format!("gpu:{i} {}", a.name)).collect::<Vec<_>>().join(", ")
        }
    };
    let none_found = || match filter {
        Some(text) => format!("no GPU adapter matches '{text}' (adapters: {})", names()),
        None => format!("no real GPU found (adapters: {})", names()),
    };
    let mut choice = Choice { gpus: Vec::new(), cpu: false, note: None };
    for item in &list.0 {
        match *item {
            BackendItem::Cpu => choice.cpu = true,
            BackendItem::Gpu if matching.is_empty() => {
                anyhow::bail!("--backend gpu: {}; name a software adapter as gpu:N, or use --backend cpu", none_found())
            }
            BackendItem::Gpu => choice.gpus.extend(&matching),
            BackendItem::GpuIndex(n) if n >= adapters.len() => {
                anyhow::bail!(
                    "--backend gpu:{n}: there is no adapter {n} (adapters: {}); see ghostsum devices",
                    names()
                )
            }
            BackendItem::GpuIndex(n) => choice.gpus.push(n),
            BackendItem::All => {
                if matching.is_empty() {
                    choice.note = Some(format!("all found no GPU to add to the CPU: {}", none_found()));
                }
                choice.gpus.extend(&matching);
                choice.cpu = true;
            }
            BackendItem::Auto if matching.is_empty() => {
                choice.cpu = true;
                choice.note = Some(format!("auto chose the CPU: {}", none_found()));
            }
            BackendItem::Auto => choice.gpus.extend(&matching),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    choice.gpus.retain(|i| seen.insert(*i));
    Ok(choice)
}

/// Opens the devices `list` names: GPUs first, then the CPU. When the CPU runs beside GPUs
/// it leaves a core per GPU to the threads that feed them while they take part, unless
/// `threads` says otherwise. Returns the set and a note on what `auto` chose.
pub fn open(
    list: &BackendList,
    threads: Option<usize>,
    filter: Option<&str>,
    tuning: &Tuning,
) -> anyhow::Result<(DeviceSet, Option<String>)> {
    let (adapters, mut choice) = find_and_choose(list, filter)?;
    let mut devices: Vec<Box<dyn Device>> = Vec::new();
    for &index in &choice.gpus {
        match GpuDevice::open(&adapters[index], GpuOptions::from_tuning(tuning)) {
            Ok(gpu) => devices.push(Box::new(gpu)),
            // auto never fails for want of a GPU: it falls back to the CPU, and says why.
            Err(e) if list.0 == [BackendItem::Auto] => {
                choice.cpu = true;
                choice.note = Some(format!("auto chose the CPU: {e:#}"));
            }
            Err(e) => return Err(e),
        }
    }
    if choice.cpu {
        devices.push(Box::new(cpu_device(threads, devices.len(), tuning)));
    }
    Ok((DeviceSet::new(devices), choice.note))
}

/// Finds the devices `list` names, as [`open`] would, without opening them: "found:" and
/// the devices in words, or the error [`open`] would give.
pub fn check(list: &BackendList) -> anyhow::Result<String> {
    let (adapters, choice) = find_and_choose(list, None)?;
    let mut found: Vec<String> =
        choice.gpus.iter().map(|&n| format!("gpu:{n} {}", adapter::describe(&adapters[n].get_info()))).collect();
    if choice.cpu {
        found.push("cpu".into());
    }
    Ok(format!("found: {}", found.join(", ")))
}

/// For a batch: when `list` is the CPU beside GPUs named by index (`cpu,gpu:0`), the set
/// with each GPU still to be found and opened on its own device thread, so the CPU starts at
/// once. With `check_now` (the batch has a page long enough for a GPU) a helper process
/// checks each GPU meanwhile; without, a GPU is looked for only if a page goes to it. A GPU
/// looked for that does not exist or cannot be opened fails the batch as it would have here,
/// but when its [`Readiness`] says so: at the next page, or at the batch's end. None for any
/// other list (`auto`, `gpu`, `all` choose among the adapters, so they must see them first):
/// open it with [`open`].
pub fn open_beside_cpu(
    list: &BackendList,
    threads: Option<usize>,
    filter: Option<&str>,
    tuning: &Tuning,
    check_now: bool,
) -> Option<(DeviceSet, Opening)> {
    let mut indices: Vec<usize> = Vec::new();
    let mut cpu = false;
    for item in &list.0 {
        match *item {
            BackendItem::Cpu => cpu = true,
            BackendItem::GpuIndex(n) if !indices.contains(&n) => indices.push(n),
            BackendItem::GpuIndex(_) => {}
            _ => return None,
        }
    }
    if !cpu || indices.is_empty() || filter.is_some() {
        return None;
    }
    let adapters: Arc<OnceLock<Vec<wgpu::Adapter>>> = Arc::default();
    let mut devices: Vec<Box<dyn Device>> = Vec::new();
    let mut opening = Vec::new();
    for n in indices {
        let adapters = adapters.clone();
        let finder = Box::new(move || {
            let adapters = adapters.get_or_init(adapter::adapters);
            choose(&BackendList(vec![BackendItem::GpuIndex(n)]), &summaries_of(adapters), None)?;
            Ok(adapters[n].clone())
        });
        let ready = Arc::new(Readiness::new(check_now));
        let options = GpuOptions::from_tuning(tuning);
        let label = format!("gpu:{n}");
        // Found on its thread when it opens only where a check was wanted and no helper
        // could be started.
        let found_at_first_work = !check_now || helper_check::start(&label, ready.clone());
        opening.push((devices.len(), ready.clone()));
        devices.push(Box::new(GpuOnDemand::new(label, finder, found_at_first_work, options, ready)));
    }
    devices.push(Box::new(cpu_device(threads, devices.len(), tuning)));
    Some((DeviceSet::new(devices), opening))
}

/// The adapters, and what `list` chooses among them. Enumerating adapters loads every Vulkan
/// driver (a software one brings LLVM, tens of MB): only when a GPU may be wanted.
fn find_and_choose(list: &BackendList, filter: Option<&str>) -> anyhow::Result<(Vec<wgpu::Adapter>, Choice)> {
    let adapters = if list.may_use_gpu() { adapter::adapters() } else { Vec::new() };
    let choice = choose(list, &summaries_of(&adapters), filter)?;
    Ok((adapters, choice))
}

/// What `choose` needs to know of each adapter.
fn summaries_of(adapters: &[wgpu::Adapter]) -> Vec<AdapterSummary> {
    adapters
        .iter()
        .map(|a| {
            let info = a.get_info();
            AdapterSummary { real_gpu: adapter::is_real_gpu(&info), name: info.name }
        })
        .collect()
}

/// The CPU beside `feeders` GPUs: while they work it leaves a core to each GPU's host
/// thread, unless `threads` says otherwise; while they sit a page out (a batch's short
/// pages), every core is its.
fn cpu_device(threads: Option<usize>, feeders: usize, tuning: &Tuning) -> CpuDevice {
    if let Some(threads) = threads {
        return CpuDevice::new(threads, tuning.cpu_kernel);
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    CpuDevice::new(cores, tuning.cpu_kernel).beside_a_gpu(cores.saturating_sub(feeders))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, real_gpu: bool) -> AdapterSummary {
        AdapterSummary { name: name.into(), real_gpu }
    }

    #[test]
    fn lists_parse_and_choose_adapters() {
        let list = |s: &str| s.parse::<BackendList>().unwrap();
        assert_eq!(list("cpu, gpu:1").0, vec![BackendItem::Cpu, BackendItem::GpuIndex(1)]);
        assert!("gpu:x".parse::<BackendList>().is_err() && "tpu".parse::<BackendList>().is_err());
        assert_eq!(list("gpu:0,cpu").to_string(), "gpu:0,cpu");
        let two_and_software = [adapter("NVIDIA H100", true), adapter("NVIDIA H100", true), adapter("llvmpipe", false)];
        let pick = |l: &str, filter| choose(&list(l), &two_and_software, filter).map(|c| (c.gpus, c.cpu));
        assert_eq!(pick("auto", None).unwrap(), (vec![0, 1], false));
        assert_eq!(pick("all", None).unwrap(), (vec![0, 1], true));
        assert_eq!(pick("gpu,gpu:1,gpu:2", None).unwrap(), (vec![0, 1, 2], false));
        assert_eq!(pick("gpu", Some("llvm")).unwrap(), (vec![2], false));
        assert!(pick("gpu:3", None).unwrap_err().to_string().contains("no adapter 3"));
        let software_only = [adapter("llvmpipe", false)];
        let only = |l: &str| choose(&list(l), &software_only, None);
        assert!(only("gpu").unwrap_err().to_string().contains("name a software adapter as gpu:N"));
        let auto = only("auto").unwrap();
        assert!(auto.cpu && auto.gpus.is_empty() && auto.note.unwrap().contains("auto chose the CPU"));
        assert_eq!(only("all").map(|c| (c.gpus, c.cpu)).unwrap(), (vec![], true));
    }
}
