//! Zeroed slot arrays for the large random-access tables of the search
//! (the visited set), backed by transparent huge pages where the kernel
//! offers them (`madvise(MADV_HUGEPAGE)`, see the kernel's
//! Documentation/admin-guide/mm/transhuge.rst: with THP in `madvise`
//! mode only regions so advised get 2 MiB pages). A probe of a table of
//! tens of millions of slots otherwise misses the TLB as well as the
//! cache: with 4 KiB pages every probe walks the page table (on a
//! virtual machine, two of them). The advice changes no result, only
//! where the memory comes from; elsewhere than on Linux it is a no-op.

/// A zeroed `Vec<u128>` of `n` slots; if it is large, advise the kernel
/// to back it with huge pages before it is first touched (the zeroed
/// allocation of that size is fresh anonymous memory, faulted on first
/// write).
pub(crate) fn zeroed_slots(n: usize) -> Vec<u128> {
    let v = vec![0u128; n];
    advise_huge(v.as_ptr() as usize, n * 16);
    v
}

/// Huge pages are 2 MiB on x86-64 and arm64 (4 KiB base pages).
const HUGE: usize = 2 << 20;

#[cfg(target_os = "linux")]
fn advise_huge(addr: usize, len: usize) {
    // only the 2 MiB-aligned part of the range can be huge pages
    let lo = addr.next_multiple_of(HUGE);
    let hi = (addr + len) / HUGE * HUGE;
    if hi > lo {
        // SAFETY: [lo, hi) lies inside the live allocation `addr..addr+len`;
        // MADV_HUGEPAGE is advice and neither moves nor changes its contents.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge(_addr: usize, _len: usize) {}
