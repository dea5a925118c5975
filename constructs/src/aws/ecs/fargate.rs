//! The task sizes Fargate accepts (Linux, platform version 1.4.0 and later).

/// Task CPU units Fargate accepts.
pub const FARGATE_CPU_UNITS: &[u32] = &[256, 512, 1024, 2048, 4096, 8192, 16384];

/// The task memory sizes (MiB) Fargate accepts with `cpu` units, or `None` when Fargate has
/// no such CPU size.
pub fn fargate_memory_options(cpu: u32) -> Option<Vec<u32>> {
    let gib = |from: u32, to: u32, step: u32| (from..=to).step_by(step as usize).map(|g| g * 1024);
    Some(match cpu {
        256 => vec![512, 1024, 2048],
        512 => gib(1, 4, 1).collect(),
        1024 => gib(2, 8, 1).collect(),
        2048 => gib(4, 16, 1).collect(),
        4096 => gib(8, 30, 1).collect(),
        8192 => gib(16, 60, 4).collect(),
        16384 => gib(32, 120, 8).collect(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_fargate_documentation() {
        assert_eq!(fargate_memory_options(256), Some(vec![512, 1024, 2048]));
        assert_eq!(
            fargate_memory_options(512),
            Some(vec![1024, 2048, 3072, 4096])
        );
        let m = fargate_memory_options(4096).unwrap();
        assert_eq!((m[0], *m.last().unwrap(), m.len()), (8192, 30720, 23));
        let m = fargate_memory_options(8192).unwrap();
        assert_eq!((m[0], m[1], *m.last().unwrap()), (16384, 20480, 61440));
        let m = fargate_memory_options(16384).unwrap();
        assert_eq!((m[0], m[1], *m.last().unwrap()), (32768, 40960, 122880));
        assert_eq!(fargate_memory_options(300), None);
        for cpu in FARGATE_CPU_UNITS {
            assert!(fargate_memory_options(*cpu).is_some());
        }
    }
}
