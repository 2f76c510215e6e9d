//! A batch split over the tasks of a job array: task I of N takes a share of the pages,
//! chosen by expected work so that the tasks finish together, and the same in every task
//! (it depends on the manifest alone, never on what is already done), so a task run again
//! takes the same pages.

use crate::shard::Shard;

/// The pages (indices into `work`, in manifest order) that `shard` searches, where `work[n]`
/// is page n's expected candidates. Longest first to the least loaded task (ties: the lower
/// task, the earlier page), which is within 4/3 of the best split and exact for equal pages.
pub fn pages_of(shard: Shard, work: &[f64]) -> Vec<usize> {
    let tasks = shard.count.min(usize::MAX as u64) as usize;
    let mut order: Vec<usize> = (0..work.len()).collect();
    order.sort_by(|&a, &b| work[b].total_cmp(&work[a]).then(a.cmp(&b)));
    let mut load = vec![0f64; tasks.min(work.len()).max(1)];
    let mut mine = Vec::new();
    for page in order {
        let task = (0..load.len()).min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b))).unwrap_or(0);
        load[task] += work[page];
        if task as u64 == shard.index {
            mine.push(page);
        }
    }
    mine.sort_unstable();
    mine
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(count: u64, work: &[f64]) -> Vec<Vec<usize>> {
        (0..count).map(|index| pages_of(Shard { index, count }, work)).collect()
    }

    #[test]
    fn every_page_goes_to_exactly_one_task() {
        let work: Vec<f64> = (0..37).map(|n| 2f64.powi(16 + 4 * (n % 3))).collect();
        for count in [1u64, 2, 3, 4, 7, 37, 100] {
            let mut all: Vec<usize> = split(count, &work).concat();
            all.sort_unstable();
            assert_eq!(all, (0..37).collect::<Vec<_>>(), "{count} tasks");
        }
    }

    #[test]
    fn tasks_get_equal_work_where_it_can_be_had() {
        // One 8-digit page and sixteen 7-digit pages over 3 tasks: the big page's task takes
        // fewer of the small ones.
        let mut work = vec![2f64.powi(32)];
        work.extend([2f64.powi(28); 16]);
        let loads: Vec<f64> = split(3, &work).iter().map(|pages| pages.iter().map(|&p| work[p]).sum()).collect();
        assert_eq!(loads.iter().cloned().fold(f64::MIN, f64::max), 2f64.powi(32));
        assert_eq!(split(3, &work)[0], vec![0]);
        // Equal pages: as even as whole pages allow.
        let sizes: Vec<usize> = split(4, &[1.0; 10]).iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![3, 3, 2, 2]);
    }

    #[test]
    fn more_tasks_than_pages_leaves_the_rest_idle() {
        assert_eq!(split(5, &[1.0, 2.0]), vec![vec![1], vec![0], vec![], vec![], vec![]]);
    }
}
